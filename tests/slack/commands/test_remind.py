"""`/sco remind` end to end: signed requests through Bolt, a real ledger, the fake Slack."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from slack_bolt import App

from bot.clock import Clock
from bot.knowledge.digest import Digest
from bot.reminders.messages import ReminderMessages
from bot.reminders.plan import Reminder
from bot.rendering.renderer import Renderer
from bot.rendering.terminal import to_terminal
from bot.services import build_services
from bot.settings import DEFAULT_TEMPLATES_DIR, Settings
from bot.slack.app import create_app
from testkit.fakeslack import FakeSlack, block_kit_problems
from testkit.waiting import eventually
from tests.conftest import send

REHEARSAL = datetime(2021, 10, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def app_and_url(settings: Settings, fake_slack: FakeSlack, tmp_path: Path) -> Iterator[App]:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    configured = replace(settings, database_url=url, timezone=ZoneInfo("Europe/Berlin"))
    clock = Clock(start=REHEARSAL)
    fake_slack.now = REHEARSAL.timestamp()
    yield create_app(services=build_services(configured, clock, serving=True))


def reply_to(app: App, text: str) -> dict[str, object]:
    response = send(app, text)
    assert response.status == 200, response.body
    reply: dict[str, object] = json.loads(response.body)
    assert block_kit_problems(reply) == []
    return reply


def test_remind_on_replies_with_local_times_and_schedules_in_slack(
    app_and_url: App, fake_slack: FakeSlack
) -> None:
    reply = reply_to(app_and_url, "remind on")
    text = json.dumps(reply, ensure_ascii=False)
    assert reply["response_type"] == "ephemeral"
    assert "11 October 2021 09:00 CEST" in text and "17 October 2021 09:00 CEST" in text
    assert "dated 2022 only" in text
    calls = fake_slack.wait_for(
        lambda cs: len([c for c in cs if c.method == "chat.scheduleMessage"]) == 2
    )
    posts = sorted(int(c.body["post_at"]) for c in calls if c.method == "chat.scheduleMessage")
    berlin = ZoneInfo("Europe/Berlin")
    assert posts == [int(datetime(2021, 10, d, 9, tzinfo=berlin).timestamp()) for d in (11, 17)]
    assert {c.body["channel"] for c in calls if c.method == "chat.scheduleMessage"} == {"C123"}


def test_remind_status_and_off(app_and_url: App, fake_slack: FakeSlack) -> None:
    reply_to(app_and_url, "remind on 1d at 08:30 tz Asia/Karachi")
    status = eventually(
        lambda: json.dumps(reply_to(app_and_url, "remind status"), ensure_ascii=False),
        lambda text: "PKT ✓" in text,
    )
    # In each reader's own zone (Slack's date token); the channel's zone in the fallback.
    assert "|17 October 2021 08:30 PKT> ✓" in status
    off = json.dumps(reply_to(app_and_url, "remind off"), ensure_ascii=False)
    assert "Removed 1 pending reminder" in off
    fake_slack.wait_for(lambda cs: any(c.method == "chat.deleteScheduledMessage" for c in cs))
    assert "not subscribed" in json.dumps(reply_to(app_and_url, "remind status"))


@pytest.mark.parametrize(
    "text",
    [
        "remind on 7",
        "remind on at 25:00",
        "remind on tz Mars/Base",
        "remind sideways",
        "remind on <!channel>",
    ],
)
def test_bad_remind_arguments_explain_usage(app_and_url: App, text: str) -> None:
    reply = json.dumps(reply_to(app_and_url, text))
    assert "Sorry" in reply and "/sco remind on [LEADS]" in reply
    assert "<!channel>" not in reply


def test_reminder_message_renders_for_every_day_dated_event(digest: Digest) -> None:
    messages = ReminderMessages(Renderer(DEFAULT_TEMPLATES_DIR), ZoneInfo("UTC"))
    for event in digest.events_by_id.values():
        if not event.date.has_day:
            continue
        for lead in (0, 1, 7):
            message = messages.reminder(Reminder(REHEARSAL, "C1", event.id, lead), digest)
            assert block_kit_problems(message.payload()) == []
            text = to_terminal([message])
            assert event.title in text and "Source: SCO Secretariat" in text
    festival = messages.reminder(Reminder(REHEARSAL, "C1", "fanfares-of-peace-2021", 7), digest)
    assert "starts in 7 days: 18–23 October 2021, Pakistan" in to_terminal([festival])
    assert "/sco upcoming" in to_terminal([festival])
