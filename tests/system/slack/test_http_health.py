"""Issue 26, item 3: an operator can trust health and logs.

`/healthz` says what Slack makes of the token (`slack: ok | unauthorized | unreachable`, 503 when
the token is refused), `auth.test` runs at start and again later, a refused signature is logged
with its reason at most once a minute per reason, and under SCO_LOG_FORMAT=json every line is
JSON, start-up included (and Bolt's "As you gave `client`" warning is gone)."""

from __future__ import annotations

import dataclasses
import json
import logging
import queue
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.clock import Clock
from bot.knowledge.digest import Digest
from bot.rendering.renderer import Renderer
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import build_slack
from bot.slack.http import create_wsgi_app
from bot.slack.middleware import RefusalLog
from testkit.fakeslack import FakeSlack
from testkit.servers import clean_env, serve_wsgi, start_serve
from testkit.slack_requests import sign, slash_body
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEST_DIGEST

TIMEOUT = 20.0


def health(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=TIMEOUT) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def serve_lines(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], queue.Queue[str]]]:
    proc = start_serve(env)
    assert proc.stderr is not None
    lines: queue.Queue[str] = queue.Queue()

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.put(line)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield proc, lines
    finally:
        proc.terminate()
        proc.wait(TIMEOUT)
        reader.join(TIMEOUT)
        proc.stderr.close()


def read_until(lines: queue.Queue[str], seen: list[str], needle: str) -> str:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"{needle!r} never logged; lines: {seen}")


def test_a_refused_token_is_found_at_start_and_health_answers_503_in_json_lines(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.refuse(BOT_TOKEN, "invalid_auth")
    env = clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
        SCO_KNOWLEDGE_DIR=str(TEST_DIGEST),
        SCO_STATE_DIR=str(tmp_path),
        SCO_CACHE_DIR="off",
        SCO_LOG_FORMAT="json",
    )
    seen: list[str] = []
    for _, lines in serve_lines(env):
        serving = json.loads(read_until(lines, seen, "serving Slack requests at"))
        url = serving["event"].split(" at ")[1].removesuffix("/slack/events")
        if not any("Slack refuses the bot token" in line for line in seen):
            read_until(lines, seen, "Slack refuses the bot token")  # auth.test at start
        status, body = health(url)
        assert (status, body["slack"], body["status"]) == (503, "unauthorized", "unavailable")
        assert body["database"] == "ok"
    while not lines.empty():  # and the lines of stopping
        seen.append(lines.get())
    assert any("stopped" in line for line in seen)
    for line in seen:
        entry = json.loads(line)  # every line JSON, the start-up ones included
        assert {"time", "level", "logger", "event"} <= set(entry)
    assert not any("As you gave" in line for line in seen)
    assert [c.method for c in fake_slack.calls_to("auth.")] == ["auth.test"]


@pytest.fixture
def served(fake_slack: FakeSlack, digest: Digest, settings: Settings) -> Iterator[tuple[str, Any]]:
    settings = dataclasses.replace(settings, slack_timeout_seconds=1)
    services = Services(settings, Clock(), digest, Renderer(settings.templates_dir))
    slack = build_slack(services)
    wsgi = create_wsgi_app(
        slack.app, lambda: digest.version, services.database_ok, slack=lambda: slack.check.state
    )
    try:
        with serve_wsgi(wsgi, threads=2, timeout=TIMEOUT) as url:
            try:
                yield url, slack
            finally:
                fake_slack.release()
    finally:
        services.close(TIMEOUT)


def test_health_tells_an_operator_what_is_wrong_with_slack(
    served: tuple[str, Any], fake_slack: FakeSlack
) -> None:
    url, slack = served
    assert health(url)[1]["slack"] == "unknown"  # not asked yet
    assert slack.check.check() == "ok"
    assert health(url) == (200, {**health(url)[1], "status": "ok", "slack": "ok"})
    fake_slack.fail("auth.test", status=503)
    assert slack.check.check() == "unreachable"
    status, body = health(url)
    assert (status, body["slack"], body["status"]) == (200, "unreachable", "ok")
    fake_slack.refuse(BOT_TOKEN, "token_revoked")
    assert slack.check.check() == "unauthorized"
    status, body = health(url)
    assert (status, body["slack"]) == (503, "unauthorized")


def test_a_refused_signature_is_logged_with_its_reason_once_a_minute(
    served: tuple[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    url, _ = served
    body = slash_body("help")

    def post(headers: dict[str, str]) -> int:
        req = urllib.request.Request(url + "/slack/events", body.encode(), headers)
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as error:
            with error:
                return error.code

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with caplog.at_level(logging.WARNING):
        assert post(sign(body, "another-secret")) == 401
        assert post(sign(body, SIGNING_SECRET, int(time.time()) - 3600)) == 401
        assert post(form) == 401
        assert post({**sign(body, SIGNING_SECRET), "X-Slack-Request-Timestamp": "soon"}) == 401
        assert post(sign(body, "another-secret")) == 401  # the same reason: not logged again
    lines = [r.getMessage() for r in caplog.records if "signature" in r.getMessage()]
    assert len(lines) == 4, lines
    assert any("bad signature (mismatch" in line for line in lines)
    assert any("stale timestamp" in line for line in lines)
    assert any("missing header X-Slack-Request-Timestamp" in line for line in lines)
    assert any("malformed timestamp" in line for line in lines)


def test_refusals_of_one_reason_are_one_line_a_minute_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    moment = [0.0]
    refusals = RefusalLog(clock=lambda: moment[0])
    with caplog.at_level(logging.WARNING):
        for second in range(0, 125, 5):  # 25 forged requests over two minutes
            moment[0] = float(second)
            refusals.refused("bad signature")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert "11 more refused" in lines[1]
