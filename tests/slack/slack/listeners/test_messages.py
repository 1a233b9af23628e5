"""Questions asked in Slack: signed `app_mention` and `message.im` events through the real Bolt
app, answered by one `chat.postMessage` on the fake Slack (over real HTTP): in the question's
thread for a mention, in the DM for a direct message; once even when Slack retries; never for
bots, edits or other channels' messages. On the fictional two-meeting digest. Answers are
posted after the acknowledgement, on the background executor: the tests wait for it to be idle."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest

from bot.clock import Clock
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.rendering.renderer import Renderer
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import create_app
from testkit.fakeslack import Call, FakeSlack, block_kit_problems
from testkit.slack_requests import action_body, event_body, event_headers
from testkit.waiting import wait_until
from tests.conftest import SIGNING_SECRET, TWO_MEETINGS, signed_headers

LATER = datetime(2033, 1, 1, tzinfo=UTC)
QUESTION = "what did Ila Varen say about piracy?"


@pytest.fixture
def services(settings: Settings, renderer: Renderer) -> Iterator[Services]:
    settings = dataclasses.replace(settings, knowledge_dir=TWO_MEETINGS)
    digest = DigestHolder(load_digest(TWO_MEETINGS))
    made = Services(settings, Clock(start=LATER), digest, renderer)
    yield made
    made.close(10)


@pytest.fixture
def app(services: Services) -> App:
    return create_app(services=services)


@pytest.fixture
def idle(services: Services) -> Callable[[], None]:
    """Wait until everything queued after the acks has been done."""

    def wait() -> None:
        assert wait_until(lambda: services.background.pending() == 0, 10)

    return wait


def deliver(
    app: App, event: dict[str, Any], event_id: str = "Ev1", retry: int | None = None, **kw: str
) -> BoltResponse:
    body = event_body(event, event_id)
    headers = event_headers(body, SIGNING_SECRET, retry, **kw)
    return app.dispatch(BoltRequest(body=body, headers=headers))


def posts(fake: FakeSlack) -> list[Call]:
    """The answers posted (a user's first DM is also welcomed: see `welcomes`)."""
    return [c for c in fake.calls_to("chat.postMessage") if c not in welcomes(fake)]


def welcomes(fake: FakeSlack) -> list[Call]:
    return [
        c
        for c in fake.calls_to("chat.postMessage")
        if str(c.body.get("text", "")).startswith("Welcome to sco-bot")
    ]


def mention(text: str = f"<@UBOT> {QUESTION}", **extra: Any) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": "U123",
        "text": text,
        "ts": "1700000000.000100",
        "channel": "C123",
        **extra,
    }


def direct(text: str = QUESTION, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "user": "U123",
        "text": text,
        "ts": "1700000001.000200",
        "channel": "D123",
        **extra,
    }


def test_a_mention_is_answered_once_in_its_thread(
    app: App, fake_slack: FakeSlack, idle: Callable[[], None]
) -> None:
    assert deliver(app, mention()).status == 200
    idle()
    [post] = posts(fake_slack)
    assert post.body["channel"] == "C123"
    assert post.body["thread_ts"] == "1700000000.000100"
    assert "lemuria-patrols-backbone" in str(post.body["blocks"])
    assert not block_kit_problems(post.body)


def test_a_mention_inside_a_thread_is_answered_in_that_thread(
    app: App, fake_slack: FakeSlack, idle: Callable[[], None]
) -> None:
    deliver(app, mention(thread_ts="1699999999.000001"))
    idle()
    [post] = posts(fake_slack)
    assert post.body["thread_ts"] == "1699999999.000001"


def test_a_direct_message_is_answered_in_the_dm(
    app: App, fake_slack: FakeSlack, idle: Callable[[], None]
) -> None:
    assert deliver(app, direct()).status == 200
    idle()
    [welcome] = welcomes(fake_slack)  # a first DM opens with the welcome
    [post] = posts(fake_slack)
    assert welcome.body["channel"] == "D123"
    assert post.body["channel"] == "D123" and not post.body.get("thread_ts")
    assert "lemuria-patrols-backbone" in str(post.body["blocks"])


def test_only_a_users_first_direct_message_is_welcomed(
    app: App, fake_slack: FakeSlack, idle: Callable[[], None]
) -> None:
    deliver(app, direct(), event_id="Ev1")
    deliver(app, direct(text="what did lemuria say about patrols?"), event_id="Ev2")
    deliver(app, mention(), event_id="Ev3")  # a mention in a channel is never welcomed
    idle()
    assert len(welcomes(fake_slack)) == 1 and len(posts(fake_slack)) == 3


@pytest.mark.parametrize("reason", ["http_error", "http_timeout", "connection_failed"])
def test_a_retried_event_is_answered_once(
    app: App, fake_slack: FakeSlack, idle: Callable[[], None], reason: str
) -> None:
    for retry in (None, 1, 2, 3):
        assert deliver(app, mention(), "EvSame", retry, retry_reason=reason).status == 200
    idle()
    assert len(posts(fake_slack)) == 1


def test_a_retry_after_an_error_that_never_reached_us_is_answered(
    app: App, fake_slack: FakeSlack, idle: Callable[[], None]
) -> None:
    deliver(app, direct(), "EvLost", retry=1, retry_reason="connection_failed")
    idle()
    assert len(posts(fake_slack)) == 1


def test_two_events_are_two_answers(
    app: App, fake_slack: FakeSlack, idle: Callable[[], None]
) -> None:
    deliver(app, mention(), "EvA")
    deliver(app, direct(), "EvB")
    idle()
    assert sorted(p.body["channel"] for p in posts(fake_slack)) == ["C123", "D123"]


@pytest.mark.parametrize(
    "event",
    [
        direct(bot_id="BOTHER", subtype="bot_message"),  # another bot's post
        direct(bot_id="BOTHER"),  # a bot posting as a user-like message
        direct(subtype="message_changed"),  # an edit
        direct(subtype="channel_join"),
        direct(channel_type="channel", channel="C123"),  # a channel message, not a DM
        mention(bot_id="BOTHER"),  # a bot mentioning us
        direct(bot_id="BBOT"),  # our own message (Bolt's ignoring_self_events)
    ],
    ids=["bot_message", "bot_id", "edit", "join", "channel", "bot_mention", "self"],
)
def test_bots_edits_and_other_messages_are_ignored(
    app: App, fake_slack: FakeSlack, idle: Callable[[], None], event: dict[str, Any]
) -> None:
    assert deliver(app, event).status == 200
    idle()
    assert posts(fake_slack) == []


def test_a_mention_never_echoes_live_syntax(
    app: App, fake_slack: FakeSlack, idle: Callable[[], None]
) -> None:
    deliver(app, mention("<@UBOT> patrols <!here> <@U999> <#C1|general> <https://evil.example|x>"))
    idle()
    [post] = posts(fake_slack)
    dumped = str(post.body)
    assert "<!here>" not in dumped and "<@U999>" not in dumped and "evil.example" not in dumped


def test_a_command_word_in_a_dm_runs_the_command(
    app: App, fake_slack: FakeSlack, idle: Callable[[], None]
) -> None:
    deliver(app, direct("sources"))
    idle()
    [post] = posts(fake_slack)
    assert post.body["blocks"][0]["text"]["text"] == "Source documents"
    assert post.body["text"].startswith("4 source documents: Council Secretariat, 12 Jun 2031")


@pytest.mark.parametrize(
    ("action_id", "value", "expected"),
    [
        ("ask_brief", "brief council-2031-poseidonis", "Defence Council in Poseidonis"),
        ("ask_positions", "positions lemuria", "Positions: Lemuria"),
    ],
)
def test_an_answers_buttons_reply_to_the_presser_only(
    app: App,
    fake_slack: FakeSlack,
    idle: Callable[[], None],
    action_id: str,
    value: str,
    expected: str,
) -> None:
    body = action_body(action_id, value, fake_slack.response_url("button"))
    response = app.dispatch(BoltRequest(body=body, headers=signed_headers(body)))
    assert response.status == 200
    # Acknowledged first; the reply is posted on the background executor.
    idle()
    [reply] = fake_slack.calls_to("/respond/button")
    assert expected in str(reply.body)
    assert reply.body["response_type"] == "ephemeral" and reply.body["replace_original"] is False
    assert not block_kit_problems(reply.body)
