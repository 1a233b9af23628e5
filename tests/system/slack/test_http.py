"""The real waitress server in-process, Bolt behind it, spoken to over loopback HTTP."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.clock import Clock
from bot.pipeline import Pipeline
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.http import EVENTS_PATH, MAX_BODY_BYTES, create_wsgi_app
from testkit.fakeslack import FakeSlack, block_kit_problems
from testkit.servers import serve_wsgi
from testkit.slack_requests import HttpReply, fetch
from tests.conftest import post_command, slash_body

TIMEOUT = 10.0


@pytest.fixture
def base_url(settings: Settings, pipeline: Pipeline) -> Iterator[str]:
    clock = Clock(start=datetime(2021, 7, 29, 9, 0, tzinfo=UTC))
    app = create_app(services=Services(settings, clock, pipeline.digest, pipeline.renderer))
    with serve_wsgi(create_wsgi_app(app, lambda: pipeline.digest().version)) as url:
        yield url


def test_brief_over_http_answers_in_the_response(base_url: str, fake_slack: FakeSlack) -> None:
    reply = post_command(base_url + EVENTS_PATH, "brief", fake_slack.response_url("brief"))

    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    data = reply.json()
    assert data["response_type"] == "ephemeral"
    assert data["blocks"][0]["type"] == "header"
    assert "18th meeting" in data["blocks"][0]["text"]["text"]
    assert block_kit_problems(data) == []
    # A single-page reply is the HTTP response itself: the listener acked synchronously, so
    # nothing was (or will be) posted to response_url.
    assert fake_slack.calls_to("/respond") == []
    # Nor was Slack asked anything before the answer (not even auth.test: issue 25).
    assert fake_slack.snapshot() == []


def test_every_subcommand_fits_in_the_first_page(base_url: str, fake_slack: FakeSlack) -> None:
    for text in ("positions china public", "upcoming", "sources", "help", "positions"):
        reply = post_command(base_url + EVENTS_PATH, text, fake_slack.response_url(text.split()[0]))
        assert reply.status == 200, text
        data = reply.json()
        assert block_kit_problems(data) == [], text
        assert data["response_type"] == ("in_channel" if text.endswith("public") else "ephemeral")
    assert fake_slack.calls_to("/respond") == []


def test_a_bad_signature_is_401_over_http(base_url: str, fake_slack: FakeSlack) -> None:
    reply = post_command(
        base_url + EVENTS_PATH, "brief", fake_slack.response_url(), secret="wrong-secret"
    )

    assert reply.status == 401
    assert reply.json() == {"error": "invalid request"}
    assert fake_slack.snapshot() == []


def test_an_unsigned_request_is_401(base_url: str) -> None:
    body = slash_body("brief").encode()
    reply = fetch(
        base_url + EVENTS_PATH, body, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert reply.status == 401


def test_healthz_reports_the_digest_version(base_url: str, pipeline: Pipeline) -> None:
    reply = fetch(base_url + "/healthz")

    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json() == {"status": "ok", "digest": pipeline.digest().version}


@pytest.mark.parametrize("path", ["/", "/nope", "/slack/events/extra", "/healthz/x"])
def test_an_unknown_path_is_404(base_url: str, path: str) -> None:
    assert fetch(base_url + path).status == 404
    assert fetch(base_url + path, b"x=1").status == 404


def test_a_body_over_the_limit_is_refused_without_reaching_bolt(
    base_url: str, fake_slack: FakeSlack
) -> None:
    # Announce a body over the limit and read the answer before sending it: the server must
    # refuse on the headers alone (sending the body first races the server's early close).
    host, port = base_url.removeprefix("http://").split(":")
    length = MAX_BODY_BYTES + 1
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as conn:
        conn.sendall(
            (
                f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: {host}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {length}\r\n\r\n"
            ).encode()
        )
        status_line = conn.makefile("rb").readline().decode()

    assert status_line.split()[1] == "413", status_line
    assert fake_slack.snapshot() == []


def test_concurrent_commands_all_answer(base_url: str, fake_slack: FakeSlack) -> None:
    results: list[HttpReply] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        reply = post_command(base_url + EVENTS_PATH, "brief", fake_slack.response_url(str(i)))
        with lock:
            results.append(reply)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)

    assert [r.status for r in results] == [200] * 12
    assert len({r.body for r in results}) == 1  # the same clock-frozen answer every time
    assert fake_slack.calls_to("/respond") == []
