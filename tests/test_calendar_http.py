"""The calendar feed as a calendar app meets it: `/sco calendar` over signed HTTP gives the
link (built from SCO_PUBLIC_URL, else from the request's Host and X-Forwarded-Proto), the
link serves the feed on the same port as /slack/events, conditional GETs cost nothing, and a
wrong token is 404."""

from __future__ import annotations

import dataclasses
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import Message
from typing import Any

import icalendar
import pytest
import recurring_ical_events

from bot.clock import Clock
from bot.pipeline import Pipeline
from bot.serve import calendar_feed
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.http import EVENTS_PATH, create_http_server, create_wsgi_app
from testkit.fakeslack import FakeSlack
from testkit.servers import close_on_loop_thread
from tests.conftest import signed_headers, slash_body

TIMEOUT = 10.0
AUTUMN = datetime(2021, 10, 1, 12, 0, tzinfo=UTC)


def serving(settings: Settings, pipeline: Pipeline, proxy: str | None = None) -> Iterator[str]:
    services = Services(settings, Clock(start=AUTUMN), pipeline.digest, pipeline.renderer)
    app = create_app(services=services)
    wsgi = create_wsgi_app(app, lambda: pipeline.digest().version, feed=calendar_feed(services))
    server = create_http_server(wsgi, "127.0.0.1", 0, threads=2, trusted_proxy=proxy)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        close_on_loop_thread(server)
        thread.join(TIMEOUT)
        server.task_dispatcher.shutdown()


@pytest.fixture
def base_url(settings: Settings, pipeline: Pipeline) -> Iterator[str]:
    yield from serving(settings, pipeline)


def get(url: str, **headers: str) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def ask_calendar(base_url: str, fake: FakeSlack, **headers: str) -> str:
    """`/sco calendar` as Slack sends it; the link in the private reply."""
    body = slash_body("calendar", fake.response_url("calendar"))
    request = urllib.request.Request(
        base_url + EVENTS_PATH, body.encode(), {**signed_headers(body), **headers}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        reply: dict[str, Any] = json.loads(response.read())
    assert reply["response_type"] == "ephemeral"  # the link is the workspace's secret
    text = json.dumps(reply["blocks"])
    start = text.index("/calendar/")
    link = text[text.rindex("`", 0, start) + 1 : text.index("`", start)]
    assert "Google Calendar" in text and "Outlook" in text and "Apple Calendar" in text
    return link


def test_the_link_serves_the_feed_on_the_same_port(base_url: str, fake_slack: FakeSlack) -> None:
    link = ask_calendar(base_url, fake_slack)
    assert link.startswith(base_url + "/calendar/") and link.endswith(".ics")
    status, headers, body = get(link)
    assert status == 200 and headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(body)
    festival = [e for e in calendar.walk("VEVENT") if "Fanfares of Peace" in str(e.get("SUMMARY"))]
    assert len(festival) == 1
    assert festival[0].decoded("DTSTART").isoformat() == "2021-10-18"
    assert festival[0].decoded("DTEND").isoformat() == "2021-10-24"  # exclusive
    days = recurring_ical_events.of(calendar).between((2021, 10, 1), (2021, 11, 1))
    assert [str(e.get("SUMMARY")) for e in days].count(str(festival[0].get("SUMMARY"))) == 1


def test_a_calendar_app_polling_costs_nothing(base_url: str, fake_slack: FakeSlack) -> None:
    link = ask_calendar(base_url, fake_slack)
    _, headers, body = get(link)
    status, again, empty = get(link, **{"If-None-Match": headers["ETag"]})
    assert (status, empty) == (304, b"") and again["ETag"] == headers["ETag"]
    status, _, empty = get(link, **{"If-Modified-Since": headers["Last-Modified"]})
    assert (status, empty) == (304, b"")
    status, _, same = get(link, **{"If-None-Match": '"not-this-one"'})
    assert status == 200 and same == body


@pytest.mark.parametrize(
    "damage",
    [
        lambda link: link.replace(".ics", "x.ics"),
        lambda link: link[: link.rindex("/") + 1] + "Og.0000.ics",
        lambda link: link[: link.rindex("/") + 1] + ".ics",
        lambda link: link[: link.rindex("/") + 1] + "%00%ff.ics",
    ],
)
def test_a_wrong_token_is_404(
    base_url: str, fake_slack: FakeSlack, damage: Callable[[str], str]
) -> None:
    status, _, body = get(damage(ask_calendar(base_url, fake_slack)))
    assert status == 404 and b"BEGIN:VCALENDAR" not in body


def test_behind_a_trusted_proxy_the_link_is_the_public_one(
    settings: Settings, pipeline: Pipeline, fake_slack: FakeSlack
) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "sco.example"}
    for base_url in serving(settings, pipeline, proxy="127.0.0.1"):
        link = ask_calendar(base_url, fake_slack, **forwarded)
        assert link.startswith("https://sco.example/calendar/")
        # The same token is served here: only the address differs.
        assert get(base_url + link.removeprefix("https://sco.example"))[0] == 200


def test_forwarded_headers_from_anyone_else_are_ignored(
    base_url: str, fake_slack: FakeSlack
) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    assert ask_calendar(base_url, fake_slack, **forwarded).startswith(base_url + "/calendar/")


def test_sco_public_url_wins_over_the_request(
    settings: Settings, pipeline: Pipeline, fake_slack: FakeSlack
) -> None:
    configured = dataclasses.replace(settings, public_url="https://bot.example.org/sco")
    for base_url in serving(configured, pipeline, proxy="127.0.0.1"):
        link = ask_calendar(base_url, fake_slack, **{"X-Forwarded-Host": "elsewhere.example"})
        assert link.startswith("https://bot.example.org/sco/calendar/")
