"""Issue 26, item 4: reminders and the reminder form as people expect. A posted reminder has a
button to the full brief of its meeting and one to stop reminders in its channel (admins
only, where SCO_ADMINS is set: anyone else is told who may, privately); reminders of one
channel and time are one message; the reminder form picks its channel (the current
conversation by default), so it works from the Home tab, and is offered only to those who may
use it, saying why otherwise. Through the real Bolt app behind waitress, on the fake Slack."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge.digest import Digest
from bot.reminders.messages import ReminderMessages
from bot.reminders.plan import Batch, Reminder
from bot.rendering.renderer import Renderer
from bot.settings import DEFAULT_TEMPLATES_DIR
from testkit.fakeslack import FakeSlack, block_kit_problems, view_problems
from tests.slack.slack.test_listeners import NOW, Bot, actions_of, opened_form, serve_bot, texts
from tests.slack_payloads import (
    CHANNEL,
    USER,
    block_actions,
    button,
    home_opened,
    view_submission,
)

ADMIN = "UADMIN1"
FESTIVAL = "fanfares-of-peace-2021"
AT = datetime(2021, 10, 11, 9, tzinfo=UTC)


@pytest.fixture
def bot(fake_slack: FakeSlack, digest: Digest, tmp_path: Path) -> Iterator[Bot]:
    fake_slack.now = NOW.timestamp()
    yield from serve_bot(fake_slack, digest, NOW, tmp_path)


@pytest.fixture
def admin_bot(fake_slack: FakeSlack, digest: Digest, tmp_path: Path) -> Iterator[Bot]:
    fake_slack.now = NOW.timestamp()
    yield from serve_bot(fake_slack, digest, NOW, tmp_path, admins=frozenset({ADMIN}))


def test_a_reminder_has_a_full_brief_and_a_stop_button(digest: Digest) -> None:
    messages = ReminderMessages(Renderer(DEFAULT_TEMPLATES_DIR), UTC, frozenset({ADMIN}))
    message = messages.reminder(Reminder(AT, CHANNEL, FESTIVAL, 7), digest.as_of(AT))
    assert block_kit_problems(message.payload()) == []
    buttons = actions_of(list(message.blocks))
    assert buttons["open_brief"]["value"] == "brief sco-defmin-2021-dushanbe"
    stop = buttons["stop_reminders"]
    assert stop["style"] == "danger" and stop["confirm"]["confirm"]["text"] == "Stop them"
    assert "(admins)" in stop["text"]["text"]


def test_reminders_of_one_time_in_one_channel_are_one_message(digest: Digest) -> None:
    messages = ReminderMessages(Renderer(DEFAULT_TEMPLATES_DIR), UTC)
    others = [e for e in digest.events_by_id if e != FESTIVAL][:2]
    batch = Batch(tuple(Reminder(AT, CHANNEL, e, 7) for e in [FESTIVAL, *others]))
    message = messages.batch(batch, digest.as_of(AT))
    assert block_kit_problems(message.payload()) == []
    assert message.text.startswith("Reminders of 3 events: ")
    assert [b["text"]["text"] for b in message.blocks if b["type"] == "header"] == [
        "Reminders of 3 events"
    ]
    stops = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]
             if e["action_id"] == "stop_reminders"]  # fmt: skip
    assert len(stops) == 1


def test_stop_reminders_here_unsubscribes_the_channel_it_was_pressed_in(bot: Bot) -> None:
    bot.command("remind on 7d")
    bot.wait("chat.scheduleMessage")
    stop = button("stop_reminders", "remind on 1d")  # the value is not what runs
    press = block_actions(stop, response_url=bot.fake.response_url("stop"))
    assert bot.act(press).status == 200
    [answer] = bot.wait("/respond/stop")
    assert "Reminders are off" in answer.body["text"]
    assert answer.body["response_type"] == "ephemeral"
    bot.wait("chat.deleteScheduledMessage")
    assert bot.fake.scheduled == {}


def test_stop_reminders_pressed_by_someone_else_than_an_admin_is_refused_privately(
    admin_bot: Bot,
) -> None:
    stop = button("stop_reminders", "x")
    press = block_actions(stop, response_url=admin_bot.fake.response_url("s"))
    assert admin_bot.act(press).status == 200
    [answer] = admin_bot.wait("/respond/s")
    assert "Only admins" in answer.body["text"] and f"<@{ADMIN}>" in texts(answer.body["blocks"])


def test_the_form_picks_its_channel_and_opens_from_the_home_tab(bot: Bot) -> None:
    assert bot.event(home_opened()).status == 200
    [home] = bot.wait("views.publish")
    opener = actions_of(home.body["view"]["blocks"])["remind_form"]
    bot.fake.users[USER] = {"tz": "Asia/Tokyo"}
    from_home = block_actions(button("remind_form", opener["value"]), channel=None)
    assert bot.act(from_home).status == 200
    view = opened_form(bot)
    picker = inputs(view)["channel"]
    assert picker["type"] == "conversations_select" and picker["default_to_current_conversation"]
    assert "initial_conversation" not in picker  # from the Home tab: no channel yet
    assert view_problems(view) == []
    # Submitted without a channel: said under the picker; with one: that channel subscribed.
    empty = view_submission({"leads": "7d"}, channel="")
    refused = bot.act(empty).json()
    assert refused["response_action"] == "errors" and "channel" in refused["errors"]
    chosen = view_submission({"leads": "7d", "channel": "C777"}, channel="")
    assert bot.act(chosen).status == 200
    [note] = bot.wait("chat.postEphemeral")
    assert note.body["channel"] == "C777"
    assert {c.body["channel"] for c in bot.wait("chat.scheduleMessage")} == {"C777"}


def test_the_form_opened_in_a_channel_defaults_to_it(bot: Bot) -> None:
    upcoming = bot.command("upcoming")
    opener = actions_of(upcoming["blocks"])["remind_form"]
    bot.act(block_actions(button("remind_form", opener["value"])))
    picker = inputs(opened_form(bot))["channel"]
    assert picker["initial_conversation"] == CHANNEL


def test_the_form_is_offered_only_to_those_who_may_use_it(admin_bot: Bot) -> None:
    upcoming = admin_bot.command("upcoming")
    assert "remind_form" not in actions_of(upcoming["blocks"])
    status = admin_bot.command("remind status", "st")
    assert "remind_form" not in actions_of(status["blocks"])
    assert f"<@{ADMIN}>" in texts(status["blocks"]) and "SCO_ADMINS" in texts(status["blocks"])
    assert admin_bot.event(home_opened()).status == 200
    [home] = admin_bot.wait("views.publish")
    assert "remind_form" not in actions_of(home.body["view"]["blocks"])
    assert f"<@{ADMIN}>" in texts(home.body["view"]["blocks"])
    # The bare `/sco remind` opens no form for them either; an admin's does.
    admin_bot.command("remind", "bare")
    admin_bot.post(_as_admin("remind"))
    [opened] = admin_bot.wait("views.open")
    assert opened.body["trigger_id"] == "1.2.3"
    assert len(admin_bot.fake.calls_to("views.open")) == 1


def _as_admin(text: str) -> str:
    from tests.conftest import slash_body

    return slash_body(text, user_id=ADMIN)


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
