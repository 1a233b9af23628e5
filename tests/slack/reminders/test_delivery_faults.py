"""Issue 11's doubles and losses, each reproduced against the fake Slack over HTTP on real SQLite
and PostgreSQL ledgers: a reminder is held once, never twice, never lost."""

from __future__ import annotations

import json
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from bot.clock import Clock
from bot.reminders.plan import MAX_LEADS, Batch, Subscription
from bot.reminders.records import State
from bot.services import build_services
from bot.settings import Settings
from bot.slack.app import create_app
from testkit.fakeslack import STALL, FakeSlack
from testkit.waiting import wait_until
from tests.conftest import TEST_DIGEST, send
from tests.databases import database
from tests.unit.reminders.test_delivery import REHEARSAL, World

# Same day, one title inside the other; and a title that mrkdwn escaping changes.
HOSTILE_EVENTS = """\
      - id: border-talks-2021
        title: Border talks
        kind: meeting
        date: 2021-10-20
        summary: Talks on the border.
        sources:
          - doc: sco-secretariat-2021-07-28
            quote: a festival of military orchestras, Fanfares of Peace
      - id: border-talks-review-2021
        title: Review of Border talks
        kind: meeting
        date: 2021-10-20
        summary: A review of the talks on the border.
        sources:
          - doc: sco-secretariat-2021-07-28
            quote: a festival of military orchestras, Fanfares of Peace
      - id: arms-control-2021
        title: Arms <control> & "trust" > fear
        kind: meeting
        date: 2021-10-21
        summary: Talks on arms control & trust.
        sources:
          - doc: sco-secretariat-2021-07-28
            quote: a festival of military orchestras, Fanfares of Peace
"""
BORDER = ("border-talks-2021", "border-talks-review-2021")
ARMS = "arms-control-2021"


def hostile_knowledge(directory: Path) -> Path:
    """A copy of the project's digest with the events above added (used by the kill tests)."""
    knowledge = directory / "hostile-knowledge"
    shutil.copytree(TEST_DIGEST, knowledge)
    meetings = knowledge / "meetings.yaml"
    text = meetings.read_text()
    assert text.count("\n    events:\n") == 1
    meetings.write_text(text.replace("\n    events:\n", "\n    events:\n" + HOSTILE_EVENTS))
    return knowledge


@pytest.fixture(params=["sqlite", "postgres"])
def hostile(
    request: pytest.FixtureRequest, tmp_path: Path, fake_slack: FakeSlack
) -> Iterator[World]:
    with database(request.param, tmp_path) as url:
        w = World(url, fake_slack, hostile_knowledge(tmp_path))
        yield w
        w.store.close()


def held_keys(fake: FakeSlack) -> Counter[tuple[str, int, str]]:
    """Each held reminder (channel, post time, its blocks) and how often Slack holds it."""
    return Counter(
        (m["channel"], m["post_at"], json.dumps(m["blocks"])) for m in fake.scheduled.values()
    )


def assert_ledger_matches_slack(world: World, channel: str) -> None:
    rows = world.store.ledger(channel)
    ids = [r.scheduled_message_id for r in rows if r.state is State.SCHEDULED]
    # A channel's reminders of one time share one message.
    assert sorted(set(ids)) == sorted(world.fake.scheduled), "the ledger and Slack disagree"
    for row in rows:
        if row.scheduled_message_id:
            held = world.fake.scheduled[row.scheduled_message_id]
            assert held["post_at"] == int(row.reminder.post_at.timestamp())
            assert row.reminder.tag in held["text"]  # the right event's message, not a lookalike


# 1. The answer to chat.scheduleMessage is lost, and Slack's list cannot be read either.


@pytest.mark.parametrize(
    ("lost", "status", "times"),
    [(500, 500, 1), (500, 429, 6), (STALL, 500, 1)],
    ids=["500-then-list-500", "500-then-six-429s", "timeout-then-list-500"],
)
def test_an_unanswered_schedule_is_not_resent_while_slack_cannot_be_listed(
    hostile: World, lost: int, status: int, times: int
) -> None:
    world = hostile
    world.fake.fail("chat.scheduleMessage", status=lost, after=True)  # lands, answer lost
    world.fake.fail("chat.scheduledMessages.list", status=status, times=times)
    world.store.subscribe(Subscription("C1", leads=(1,)))
    world.delivery.reconcile(world.now)
    assert max(held_keys(world.fake).values()) == 1, "scheduled blindly: held twice"

    # `remind off` while Slack still cannot list: the unconfirmed one must not become an orphan.
    world.fake.fail("chat.scheduledMessages.list", status=500)
    world.desk.unsubscribe("C1", world.now)
    world.delivery.reconcile(world.now)  # Slack answers again
    assert world.fake.scheduled == {}, "an orphan survived remind off"
    assert world.store.ledger("C1") == []


# 2. Adoption must match on an identity Slack gives back exactly, not on escaped text.


def test_a_lost_answer_for_an_escaped_title_is_adopted_not_doubled(hostile: World) -> None:
    world = hostile
    world.store.subscribe(Subscription("C1", leads=(1,)))
    plan = world.desk.status("C1", world.now).plan
    assert plan is not None
    (reminder,) = [r for r in plan.due if r.event_id == ARMS]
    assert world.store.reserve(reminder) is not None
    # Slack held it; the process died before recording the answer.
    message = world.messages.reminder(reminder, world.digests.current)
    world.delivery.scheduler.schedule(Batch((reminder,)), message)
    world.restart()
    report = world.delivery.reconcile(world.now)
    assert report.adopted == [reminder]
    assert max(held_keys(world.fake).values()) == 1
    assert_ledger_matches_slack(world, "C1")


def test_one_title_inside_another_adopts_each_its_own_message(hostile: World) -> None:
    world = hostile
    world.store.subscribe(Subscription("C1", leads=(1,)))
    plan = world.desk.status("C1", world.now).plan
    assert plan is not None
    talks, review = (next(r for r in plan.due if r.event_id == e) for e in BORDER)
    assert talks.post_at == review.post_at
    assert world.store.reserve(talks) is not None and world.store.reserve(review) is not None
    # Both landed in Slack, the review first; neither answer was recorded.
    for reminder in (review, talks):
        message = world.messages.reminder(reminder, world.digests.current)
        world.delivery.scheduler.schedule(Batch((reminder,)), message)
    world.restart()
    report = world.delivery.reconcile(world.now)
    assert sorted(r.event_id for r in report.adopted) == sorted(BORDER)
    # Each adopted as its own, then the two (of one channel and time) merged into one message.
    held = [m for m in world.fake.scheduled.values() if m["post_at"] == talks.post_at.timestamp()]
    assert len(held) == 1 and talks.tag in held[0]["text"] and review.tag in held[0]["text"]
    assert_ledger_matches_slack(world, "C1")


# 3. Two instances on PostgreSQL: a change that meets a busy channel still takes effect.


@pytest.mark.parametrize("change", ["off", "on"])
def test_a_change_through_another_instance_waits_for_the_busy_channel(
    tmp_path: Path, fake_slack: FakeSlack, change: str
) -> None:
    with database("postgres", tmp_path) as url:
        a, b = World(url, fake_slack), World(url, fake_slack)
        if change == "off":
            a.desk.subscribe(Subscription("C1"), a.now)
            assert len(fake_slack.scheduled) == 2
        done = threading.Event()

        def through_b() -> None:
            if change == "off":
                b.desk.unsubscribe("C1", b.now)
            else:
                b.desk.subscribe(Subscription("C1"), b.now)
            done.set()

        with a.store.channel_lock("C1") as got:  # A is reconciling the channel
            assert got
            worker = threading.Thread(target=through_b)
            worker.start()
            changed = (
                (lambda: a.store.subscription("C1") is None)
                if change == "off"
                else (lambda: a.store.subscription("C1") is not None)
            )
            assert wait_until(changed, timeout=10)
            assert not done.wait(0.5)  # B's reconcile waits for the lock...
        worker.join(timeout=30)  # ...and runs once A releases it
        assert done.is_set()
        assert len(fake_slack.scheduled) == (0 if change == "off" else 2)
        assert all(r.state is State.SCHEDULED for r in b.store.ledger("C1"))
        a.store.close()
        b.store.close()


# 4. The lock's session dies while an instance works: it must stop, not go on without it.


def test_an_instance_whose_lock_session_died_stops_before_its_next_call(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    with database("postgres", tmp_path) as url:
        a, b = World(url, fake_slack), World(url, fake_slack)
        a.store.subscribe(Subscription("C1", leads=(7, 1, 0)))
        fired = threading.Event()
        took_over: list[object] = []

        def failover(method: str, _body: dict[str, Any]) -> None:
            if method != "chat.scheduleMessage" or fired.is_set():
                return
            fired.set()
            # A's first call landed; its lock's session dies and B takes over the channel.
            with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as admin:
                pids = admin.execute(
                    "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                    " WHERE l.locktype = 'advisory' AND l.granted"
                    " AND d.datname = current_database()"
                ).fetchall()
                assert len(pids) == 1
                admin.execute("SELECT pg_terminate_backend(%s)", pids[0])
            took_over.append(b.delivery.reconcile(b.now, ["C1"]))

        fake_slack.after_call = failover
        a.delivery.reconcile(a.now, ["C1"])
        fake_slack.after_call = None
        assert fired.is_set() and len(took_over) == 1, "B did not take over"
        assert sorted(held_keys(fake_slack).values()) == [1, 1, 1], "held twice"
        a.delivery.reconcile(a.now)  # and A, back, finds nothing to do
        assert sorted(held_keys(fake_slack).values()) == [1, 1, 1]
        assert_ledger_matches_slack(a, "C1")
        a.store.close()
        b.store.close()


# 5. Concurrent first subscriptions of one channel: subscribing is an upsert.


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_concurrent_first_subscriptions_all_succeed(tmp_path: Path, kind: str) -> None:
    from bot.reminders.ledger import Ledger

    with database(kind, tmp_path) as url:
        store = Ledger(url)
        failures: list[str] = []
        rounds, writers = 15, 8
        for n in range(rounds):
            barrier = threading.Barrier(writers)

            def subscribe(
                i: int, channel: str = f"CNEW{n}", barrier: threading.Barrier = barrier
            ) -> None:
                barrier.wait()
                try:
                    store.subscribe(Subscription(channel, leads=(i,)))
                except Exception as exc:
                    failures.append(type(exc).__name__)

            threads = [threading.Thread(target=subscribe, args=(i,)) for i in range(writers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert failures == [], f"{len(failures)} of {rounds * writers} failed: {failures[:3]}"
        assert len(store.subscriptions()) == rounds
        store.close()


# 6. Both databases accept or refuse the same leads, with a clear message.


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_too_many_leads_are_refused_alike_and_the_cap_fits_both(
    settings: Settings, fake_slack: FakeSlack, tmp_path: Path, kind: str
) -> None:
    with database(kind, tmp_path) as url:
        configured = replace(settings, database_url=url, timezone=ZoneInfo("UTC"))
        fake_slack.now = REHEARSAL.timestamp()
        app = create_app(services=build_services(configured, Clock(start=REHEARSAL)))
        leads = " ".join(f"{d}d" for d in range(100))
        response = send(app, f"remind on {leads}")
        assert response.status == 200
        assert f"at most {MAX_LEADS} lead times" in response.body
        assert fake_slack.calls_to("chat.scheduleMessage") == []
        widest = " ".join(f"{d}d" for d in range(365, 365 - MAX_LEADS, -1))
        response = send(app, f"remind on {widest}")
        assert response.status == 200 and "at most" not in response.body
        assert "went wrong" not in response.body.casefold()

        from bot.reminders.ledger import Ledger

        store = Ledger(url)
        sub = store.subscription("C123")
        assert sub is not None and len(sub.leads) == MAX_LEADS
        store.close()


# Retries come within minutes: the channels a reconcile left unsettled are named.


def test_a_channel_left_pending_is_named_for_a_retry_soon(hostile: World) -> None:
    world = hostile
    world.fake.fail("chat.scheduleMessage", status=500, times=8)  # 4 reminders, both passes
    world.store.subscribe(Subscription("C1", leads=(1,)))
    first = world.delivery.reconcile(world.now)
    assert len(first.failed) == 4
    assert world.delivery.unsettled() == ["C1"]
    report = world.delivery.reconcile(world.now, ["C1"])
    assert report.scheduled and world.delivery.unsettled() == []


# Fairness: earliest reminder first across channels, and no channel always last.


def test_bulk_order_is_earliest_first_and_rotates_ties(hostile: World) -> None:
    world = hostile
    names = [f"C{i}" for i in range(8)]
    subs = {n: Subscription(n, leads=(7,)) for n in names}
    subs["CSOON"] = Subscription("CSOON", leads=(9,))  # 9 October, before any 7-day one
    order = [world.delivery.order([*names, "CSOON", "COFF"], subs, world.now) for _ in range(6)]
    assert all(o[:2] == ["COFF", "CSOON"] for o in order)  # deletions, then the soonest
    assert len({o[-1] for o in order}) > 1, "the same channel is always last"


def test_the_periodic_loop_retries_an_unsettled_channel_long_before_the_next_full_run(
    hostile: World,
) -> None:
    from bot.reminders.periodic import PeriodicReconcile

    world = hostile
    world.fake.fail("chat.scheduleMessage", status=500, times=8)  # the whole first run fails
    world.store.subscribe(Subscription("C1", leads=(1,)))
    loop = PeriodicReconcile(lambda: [world.delivery], lambda: world.now, 3600, retry=0.05)
    loop.start()
    try:
        confirmed = lambda: [r.state for r in world.store.ledger("C1")] == [State.SCHEDULED] * 4  # noqa: E731
        assert wait_until(confirmed, timeout=20), "not retried before the hourly reconcile"
    finally:
        loop.stop()
    assert max(held_keys(world.fake).values()) == 1
