"""Reconcile against a fake Slack over HTTP, on real SQLite and PostgreSQL ledgers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.reminders.delivery import Delivery
from bot.reminders.desk import ReminderDesk
from bot.reminders.ledger import Ledger
from bot.reminders.messages import ReminderMessages
from bot.reminders.plan import Batch, Subscription
from bot.reminders.records import State
from bot.reminders.slack_scheduler import SlackScheduler
from bot.rendering.renderer import Renderer
from bot.settings import DEFAULT_TEMPLATES_DIR, Settings
from bot.slack.client import create_web_client
from testkit.fakeslack import RESET, STALL, FakeSlack
from tests.conftest import BOT_TOKEN, TEST_DIGEST
from tests.databases import database

REHEARSAL = datetime(2021, 10, 1, 12, 0, tzinfo=UTC)
FESTIVAL = "fanfares-of-peace-2021"


class World:
    """A store, a delivery and a desk wired to the fake Slack, at a fixed `now`."""

    def __init__(self, url: str, fake: FakeSlack, knowledge: Path = TEST_DIGEST) -> None:
        self.url = url
        self.fake = fake
        self.now = REHEARSAL
        fake.now = REHEARSAL.timestamp()
        self.knowledge = knowledge
        self.start()

    def start(self) -> None:
        settings = Settings(
            slack_bot_token=BOT_TOKEN, slack_api_url=self.fake.api_url, slack_timeout_seconds=1
        )
        self.digests = DigestHolder(load_digest(self.knowledge))
        self.store = Ledger(self.url)
        self.client = create_web_client(settings, retry_connection_errors=False)
        self.messages = ReminderMessages(Renderer(DEFAULT_TEMPLATES_DIR), ZoneInfo("UTC"))
        self.delivery = Delivery(
            self.store, SlackScheduler(self.client), self.messages, self.digests
        )
        self.desk = ReminderDesk(self.store, self.delivery, self.digests, lambda: self.now)

    def restart(self) -> None:
        self.store.close()
        self.start()

    def reload(self) -> None:
        self.digests.swap(load_digest(self.knowledge))

    def scheduled(self) -> list[tuple[str, int]]:
        return sorted((m["channel"], m["post_at"]) for m in self.fake.scheduled.values())


@pytest.fixture(params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path: Path, fake_slack: FakeSlack) -> Iterator[World]:
    with database(request.param, tmp_path) as url:
        w = World(url, fake_slack)
        yield w
        w.store.close()


def karachi(day: str, hour: int = 9) -> int:
    return int(
        datetime.fromisoformat(f"{day}T{hour:02d}:00")
        .replace(tzinfo=ZoneInfo("Asia/Karachi"))
        .timestamp()
    )


def test_subscribe_schedules_through_slack_with_ids_in_the_ledger(world: World) -> None:
    status = world.desk.subscribe(
        Subscription("C1", timezone="Asia/Karachi", subscriber="U1"), world.now
    )
    assert world.scheduled() == [("C1", karachi("2021-10-11")), ("C1", karachi("2021-10-17"))]
    assert len(status.confirmed) == 2
    rows = world.store.ledger("C1")
    assert [r.state for r in rows] == [State.SCHEDULED, State.SCHEDULED]
    assert {r.scheduled_message_id for r in rows} == set(world.fake.scheduled)
    calls = world.fake.calls_to("chat.scheduleMessage")
    assert all("metadata" not in c.body and c.body.get("blocks") for c in calls)
    assert "Fanfares of Peace" in calls[0].body["text"]


def test_reconcile_is_idempotent(world: World) -> None:
    world.desk.subscribe(Subscription("C1"), world.now)
    before = len(world.fake.calls_to("chat.scheduleMessage"))
    report = world.delivery.reconcile(world.now)
    assert report.scheduled == [] and report.deleted == []
    assert len(world.fake.calls_to("chat.scheduleMessage")) == before == 2


def test_restart_schedules_nothing_twice(world: World) -> None:
    world.desk.subscribe(Subscription("C1"), world.now)
    world.restart()
    world.now += timedelta(hours=3)
    report = world.delivery.reconcile(world.now)
    assert report.scheduled == []
    assert len(world.fake.scheduled) == 2


def test_remind_off_deletes_every_pending_reminder(world: World) -> None:
    world.desk.subscribe(Subscription("C1"), world.now)
    world.desk.subscribe(Subscription("C2"), world.now)
    status = world.desk.unsubscribe("C1", world.now)
    assert status.removed == 2
    assert [c for c, _ in world.scheduled()] == ["C2", "C2"]
    assert world.store.ledger("C1") == []


def test_changing_leads_deletes_stale_and_schedules_missing(world: World) -> None:
    world.desk.subscribe(Subscription("C1", leads=(7, 1)), world.now)
    world.desk.subscribe(Subscription("C1", leads=(1, 0)), world.now)
    leads = sorted(r.reminder.lead_days for r in world.store.ledger("C1"))
    assert leads == [0, 1]
    assert len(world.fake.scheduled) == 2
    assert len(world.fake.calls_to("chat.deleteScheduledMessage")) == 1


def test_a_moved_event_is_rescheduled(world: World, tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(TEST_DIGEST, knowledge)
    world.knowledge = knowledge
    world.reload()
    world.desk.subscribe(Subscription("C1", leads=(1,)), world.now)
    meetings = knowledge / "meetings.yaml"
    meetings.write_text(
        meetings.read_text().replace(
            "{start: 2021-10-18, end: 2021-10-23}", "{start: 2021-10-25, end: 2021-10-30}"
        )
    )
    world.reload()
    report = world.delivery.reconcile(world.now)
    assert len(report.deleted) == 1 and len(report.scheduled) == 1
    (only,) = world.fake.scheduled.values()
    assert only["post_at"] == int(datetime(2021, 10, 24, 9, tzinfo=UTC).timestamp())


def test_a_crash_between_slack_and_the_ledger_is_adopted_not_doubled(world: World) -> None:
    world.store.subscribe(Subscription("C1", leads=(1,)))
    (reminder,) = [r for r in world.desk.status("C1", world.now).plan.due]  # type: ignore[union-attr]
    row_id = world.store.reserve(reminder)
    assert row_id is not None
    # The process scheduled the message and died before recording Slack's answer.
    message = world.messages.reminder(reminder, world.digests.current)
    world.delivery.scheduler.schedule(Batch((reminder,)), message)
    world.restart()
    report = world.delivery.reconcile(world.now)
    assert report.adopted == [reminder] and report.scheduled == []
    assert len(world.fake.scheduled) == 1
    assert world.store.ledger("C1")[0].state is State.SCHEDULED


def test_channel_errors_mark_the_subscription_broken_and_tell_the_subscriber(world: World) -> None:
    world.fake.channel_errors["CGONE"] = "not_in_channel"
    world.store.subscribe(Subscription("CGONE", subscriber="U7"))
    world.store.subscribe(Subscription("COK"))
    report = world.delivery.reconcile(world.now)
    assert report.broken == [("CGONE", "not_in_channel")]
    assert [c for c, _ in world.scheduled()] == ["COK", "COK"]
    sub = world.store.subscription("CGONE")
    assert sub is not None and sub.broken == "not_in_channel"
    # Neither the refused reminder nor the one reserved with it is left pending in the ledger.
    assert world.store.ledger("CGONE") == []
    dms = world.fake.calls_to("chat.postMessage")
    assert [d.body["channel"] for d in dms] == ["U7"]
    assert "/invite @sco-bot" in str(dms[0].body)
    world.delivery.reconcile(world.now)
    assert len(world.fake.calls_to("chat.postMessage")) == 1  # told once
    status = world.desk.subscribe(Subscription("CGONE", subscriber="U7"), world.now)
    assert status.subscription is not None and status.subscription.broken == "not_in_channel"


def test_rate_limit_waits_for_retry_after_and_continues(world: World) -> None:
    world.fake.limit("chat.scheduleMessage", per_second=3)
    for i in range(4):
        world.store.subscribe(Subscription(f"C{i}"))
    report = world.delivery.reconcile(world.now)
    assert len(report.scheduled) == 8 and report.failed == []
    assert len(world.fake.scheduled) == 8
    assert world.fake.answered_429 >= 1


@pytest.mark.parametrize(
    ("status", "after"),
    [(500, False), (503, False), (500, True), (RESET, False), (RESET, True), (STALL, True)],
    ids=[
        "500",
        "503",
        "500-after-scheduling",
        "reset",
        "reset-after-scheduling",
        "timeout-after-scheduling",
    ],
)
def test_a_transient_failure_is_retried_after_checking_slack(
    world: World, status: int, after: bool
) -> None:
    world.fake.fail("chat.scheduleMessage", status=status, times=1, after=after)
    world.store.subscribe(Subscription("C1"))
    report = world.delivery.reconcile(world.now)
    assert report.failed == []
    assert len(report.scheduled) + len(report.adopted) == 2
    assert len(report.adopted) == (1 if after else 0)
    keys = [(m["channel"], m["post_at"]) for m in world.fake.scheduled.values()]
    assert len(keys) == len(set(keys)) == 2  # nothing doubled, nothing lost
    assert world.fake.calls_to("chat.scheduledMessages.list")  # Slack was asked before a retry
    assert [r.state for r in world.store.ledger("C1")] == [State.SCHEDULED, State.SCHEDULED]


def test_a_failure_that_persists_stays_pending_for_the_next_reconcile(world: World) -> None:
    world.fake.fail("chat.scheduleMessage", status=500, times=2)
    world.store.subscribe(Subscription("C1", leads=(1,)))
    first = world.delivery.reconcile(world.now)
    assert [e for _, e in first.failed] == ["http_500"]
    assert [r.state for r in world.store.ledger("C1")] == [State.PENDING]
    second = world.delivery.reconcile(world.now)
    assert len(second.scheduled) == 1 and second.failed == []
    assert len(world.fake.scheduled) == 1


def test_time_in_past_is_kept_as_missed_not_dropped_silently(world: World) -> None:
    world.fake.now = (REHEARSAL + timedelta(days=12)).timestamp()  # Slack's clock is ahead
    world.store.subscribe(Subscription("C1"))
    report = world.delivery.reconcile(world.now)
    assert [r.lead_days for r in report.missed] == [7] and report.failed == []
    assert len(world.fake.scheduled) == 1
    assert [r.state for r in world.store.ledger("C1")] == [State.MISSED, State.SCHEDULED]
    again = world.delivery.reconcile(world.now)  # counted once, never tried again
    assert again.missed == [] and again.scheduled == []
    assert len(world.fake.calls_to("chat.scheduleMessage")) == 2


def test_sent_reminders_are_kept_as_sent(world: World) -> None:
    world.desk.subscribe(Subscription("C1"), world.now)
    world.now = datetime(2021, 10, 12, tzinfo=UTC)
    world.fake.now = world.now.timestamp()
    report = world.delivery.reconcile(world.now)
    assert report.scheduled == [] and report.deleted == []
    states = [r.state for r in world.store.ledger("C1")]
    assert states == [State.SENT, State.SCHEDULED]
