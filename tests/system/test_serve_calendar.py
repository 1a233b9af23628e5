"""The calendar feed as a calendar app meets it: `/sco calendar` over signed HTTP gives the
link (built from SCO_PUBLIC_URL, else from the request's Host and X-Forwarded-Proto), the
link serves the feed on the same port as /slack/events, conditional GETs cost nothing, and a
wrong token is 404."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
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
from bot.slack.http import EVENTS_PATH, create_wsgi_app
from testkit.fakeslack import FakeSlack
from testkit.servers import serve_wsgi
from testkit.slack_requests import fetch
from tests.conftest import post_command

AUTUMN = datetime(2021, 10, 1, 12, 0, tzinfo=UTC)


def serving(settings: Settings, pipeline: Pipeline, proxy: str | None = None) -> Iterator[str]:
    services = Services(settings, Clock(start=AUTUMN), pipeline.digest, pipeline.renderer)
    app = create_app(services=services)
    wsgi = create_wsgi_app(app, lambda: pipeline.digest().version, feed=calendar_feed(services))
    with serve_wsgi(wsgi, threads=2, trusted_proxy=proxy) as url:
        yield url


@pytest.fixture
def base_url(settings: Settings, pipeline: Pipeline) -> Iterator[str]:
    yield from serving(settings, pipeline)


def ask_calendar(base_url: str, fake: FakeSlack, **headers: str) -> str:
    """`/sco calendar` as Slack sends it; the link in the private reply."""
    answer = post_command(
        base_url + EVENTS_PATH, "calendar", fake.response_url("calendar"), headers=headers
    )
    assert answer.status == 200, answer.body
    reply: dict[str, Any] = answer.json()
    assert reply["response_type"] == "ephemeral"  # the link is the workspace's secret
    text = json.dumps(reply["blocks"])
    start = text.index("/calendar/")
    link = text[text.rindex("`", 0, start) + 1 : text.index("`", start)]
    assert "Google Calendar" in text and "Outlook" in text and "Apple Calendar" in text
    return link


def test_the_link_serves_the_feed_on_the_same_port(base_url: str, fake_slack: FakeSlack) -> None:
    link = ask_calendar(base_url, fake_slack)
    assert link.startswith(base_url + "/calendar/") and link.endswith(".ics")
    feed = fetch(link)
    assert feed.status == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(feed.body)
    festival = [e for e in calendar.walk("VEVENT") if "Fanfares of Peace" in str(e.get("SUMMARY"))]
    assert len(festival) == 1
    assert festival[0].decoded("DTSTART").isoformat() == "2021-10-18"
    assert festival[0].decoded("DTEND").isoformat() == "2021-10-24"  # exclusive
    days = recurring_ical_events.of(calendar).between((2021, 10, 1), (2021, 11, 1))
    assert [str(e.get("SUMMARY")) for e in days].count(str(festival[0].get("SUMMARY"))) == 1


def test_a_calendar_app_polling_costs_nothing(base_url: str, fake_slack: FakeSlack) -> None:
    link = ask_calendar(base_url, fake_slack)
    first = fetch(link)
    again = fetch(link, headers={"If-None-Match": first.headers["ETag"]})
    assert (again.status, again.body) == (304, b"")
    assert again.headers["ETag"] == first.headers["ETag"]
    since = fetch(link, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert (since.status, since.body) == (304, b"")
    other = fetch(link, headers={"If-None-Match": '"not-this-one"'})
    assert other.status == 200 and other.body == first.body


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
    reply = fetch(damage(ask_calendar(base_url, fake_slack)))
    assert reply.status == 404 and b"BEGIN:VCALENDAR" not in reply.body


def test_behind_a_trusted_proxy_the_link_is_the_public_one(
    settings: Settings, pipeline: Pipeline, fake_slack: FakeSlack
) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "sco.example"}
    for base_url in serving(settings, pipeline, proxy="127.0.0.1"):
        link = ask_calendar(base_url, fake_slack, **forwarded)
        assert link.startswith("https://sco.example/calendar/")
        # The same token is served here: only the address differs.
        assert fetch(base_url + link.removeprefix("https://sco.example")).status == 200


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
