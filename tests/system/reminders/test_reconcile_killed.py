"""SIGKILL the serving process in the middle of its reconcile, again and again, then restart:
the ledger and Slack converge to exactly the desired reminders, none twice, none missing, with
titles that escaping changes (`&`, `<`, `>`) and one title inside another's on the same day."""

from __future__ import annotations

import random
import signal
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.knowledge.loader import load_digest
from bot.reminders.ledger import Ledger
from bot.reminders.plan import Subscription, plan
from bot.reminders.records import State
from bot.reminders.slack_scheduler import tags_of
from testkit.fakeslack import FakeSlack
from testkit.servers import clean_env, start_serve
from testkit.waiting import wait_until
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.databases import fresh_postgres, skip_without_postgres
from tests.slack.reminders.test_delivery_faults import hostile_knowledge

REHEARSAL = datetime(2021, 10, 1, 12, 0, tzinfo=UTC)
CHANNELS = 60
KILLS = 20


@pytest.fixture
def slow_fake(fake_slack: FakeSlack) -> Iterator[FakeSlack]:
    fake_slack.now = REHEARSAL.timestamp()
    # A full reconcile (4 channels at a time) takes seconds: room to be killed in it each round.
    fake_slack.latency = 0.05
    yield fake_slack


def run_kills(
    url: str, fake: FakeSlack, instances: int, seed: int, knowledge: Path
) -> dict[str, int]:
    store = Ledger(url)
    subs = [
        Subscription(f"C{i:04d}", leads=(7, 1), timezone="Asia/Karachi") for i in range(CHANNELS)
    ]
    for sub in subs:
        store.subscribe(sub)
    desired = {
        (r.channel_id, int(r.post_at.timestamp()), r.tag)
        for r in plan(load_digest(knowledge), subs, REHEARSAL)
    }
    env = clean_env()
    env.update(
        SCO_DATABASE_URL=url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        SCO_CLOCK=REHEARSAL.isoformat(),
        SCO_KNOWLEDGE_DIR=str(knowledge),
        SCO_SLACK_CALLS_PER_MINUTE="60000",  # the fake does not limit: no pacing needed
    )
    rng = random.Random(seed)
    kills = 0
    mid_work = 0
    for _ in range(KILLS):
        done_before = len(fake.scheduled)
        procs = [start_serve(env, stderr=subprocess.DEVNULL) for _ in range(instances)]
        # Wait until this round's reconcile is under way, then kill at a random point in it.
        calls_before = len(fake.calls_to("chat."))
        wait_until(lambda n=calls_before: len(fake.calls_to("chat.")) > n, timeout=10)
        threading.Event().wait(rng.uniform(0.0, 0.06))
        for proc in procs:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            kills += 1
        mid_work += int(len(fake.scheduled) < len(desired) and len(fake.scheduled) > done_before)
    partial = len(fake.scheduled)
    procs = [start_serve(env, stderr=subprocess.DEVNULL) for _ in range(instances)]
    try:

        def converged() -> bool:
            rows = [r for sub in subs for r in store.ledger(sub.channel_id)]
            return len(rows) == len(desired) and all(r.state is State.SCHEDULED for r in rows)

        assert wait_until(converged, timeout=60), "the ledger did not converge"
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
    # Each held message carries the tags of its reminders (a channel's reminders of one time).
    keys = Counter(
        (m["channel"], m["post_at"], tag)
        for m in fake.scheduled.values()
        for tag in tags_of(m["text"])
    )
    doubled = sum(n - 1 for n in keys.values() if n > 1)
    lost = len(desired - set(keys))
    extra = len(set(keys) - desired)
    rows = [r for sub in subs for r in store.ledger(sub.channel_id)]
    assert {r.scheduled_message_id for r in rows} == set(fake.scheduled)
    store.close()
    figures = {
        "kills": kills,
        "rounds_killed_while_scheduling": mid_work,
        "desired": len(desired),
        "scheduled_before_final_start": partial,
        "doubled": doubled,
        "lost": lost,
        "extra": extra,
        "schedule_calls": len(fake.calls_to("chat.scheduleMessage")),
        "adopted_or_retried": len(fake.calls_to("chat.scheduledMessages.list")),
    }
    print(figures)
    return figures


def test_sigkill_mid_reconcile_on_sqlite(slow_fake: FakeSlack, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    figures = run_kills(url, slow_fake, 1, seed=7, knowledge=hostile_knowledge(tmp_path))
    assert figures["kills"] == KILLS
    assert figures["doubled"] == figures["lost"] == figures["extra"] == 0


def test_sigkill_two_instances_on_postgres(slow_fake: FakeSlack, tmp_path: Path) -> None:
    skip_without_postgres()
    with fresh_postgres() as url:
        figures = run_kills(url, slow_fake, 2, seed=11, knowledge=hostile_knowledge(tmp_path))
    assert figures["kills"] == 2 * KILLS
    assert figures["doubled"] == figures["lost"] == figures["extra"] == 0
