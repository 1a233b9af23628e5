"""Exactly once across processes: instances reconciling at once against one PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bot.reminders.ledger import Ledger
from bot.reminders.plan import Subscription
from bot.reminders.records import State
from testkit.fakeslack import FakeSlack
from testkit.servers import clean_env
from tests.conftest import BOT_TOKEN, PROJECT, TEST_DIGEST
from tests.databases import fresh_postgres, skip_without_postgres

REHEARSAL = datetime(2021, 10, 1, 12, 0, tzinfo=UTC)
CHANNELS = 40
LEADS = (7, 1, 0)


def sync_processes(count: int, env: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
    """Start `count` reconciles at the same moment and wait for all of them."""
    command = [sys.executable, "-m", "bot.cli", "reminders", "sync", "--at", REHEARSAL.isoformat()]
    procs = [
        subprocess.Popen(
            command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(count)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def test_three_instances_schedule_each_reminder_once(fake_slack: FakeSlack, tmp_path: Path) -> None:
    skip_without_postgres()
    fake_slack.now = REHEARSAL.timestamp()
    with fresh_postgres() as url:
        store = Ledger(url)
        for i in range(CHANNELS):
            store.subscribe(Subscription(f"C{i:04d}", leads=LEADS, timezone="Asia/Karachi"))
        env = clean_env()
        env.update(
            SCO_DATABASE_URL=url,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_API_URL=fake_slack.api_url,
            SCO_KNOWLEDGE_DIR=str(TEST_DIGEST),
            SCO_SLACK_CALLS_PER_MINUTE="60000",  # the fake does not limit: no pacing needed
        )

        results = sync_processes(3, env)
        for result in results:
            assert result.returncode == 0, result.stderr
        print("\n".join(r.stdout.splitlines()[3] for r in results))

        expected = CHANNELS * len(LEADS)
        keys = Counter((m["channel"], m["post_at"]) for m in fake_slack.scheduled.values())
        assert len(keys) == expected and max(keys.values()) == 1
        assert len(fake_slack.calls_to("chat.scheduleMessage")) == expected  # none even tried twice
        rows = [r for i in range(CHANNELS) for r in store.ledger(f"C{i:04d}")]
        assert len(rows) == expected
        assert all(r.state is State.SCHEDULED for r in rows)
        assert {r.scheduled_message_id for r in rows} == set(fake_slack.scheduled)

        # A second round of three finds nothing to do.
        again = sync_processes(3, env)
        assert all(r.returncode == 0 and "0 scheduled" in r.stdout for r in again)
        assert len(fake_slack.calls_to("chat.scheduleMessage")) == expected
        store.close()
