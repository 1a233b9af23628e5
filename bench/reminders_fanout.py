"""Reconcile N subscribed channels against the local fake Slack enforcing a per-method rate.

Prints a summary and returns the figures; `python -m bench.reminders_fanout --channels 1000`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import create_web_client
from bot.delivery import Delivery
from bot.knowledge import load_digest
from bot.reminders import Subscription
from bot.render import Renderer
from bot.settings import DEFAULT_KNOWLEDGE_DIR, DEFAULT_TEMPLATES_DIR, Settings
from bot.store import Store
from tests.fakeslack import FakeSlack

REHEARSAL = datetime(2021, 10, 1, 12, 0, tzinfo=UTC)


def run(
    channels: int, per_second: float, window: float = 60.0, database_url: str | None = None
) -> dict[str, Any]:
    """One reconcile of `channels` new subscriptions (two reminders each) under the rate."""
    with tempfile.TemporaryDirectory() as tmp, FakeSlack().serve_quickly() as fake:
        url = database_url or f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}"
        fake.now = REHEARSAL.timestamp()
        fake.limit("chat.scheduleMessage", per_second=per_second, window=window)
        settings = Settings(slack_bot_token="xoxb-bench", slack_api_url=fake.api_url)
        digest = load_digest(DEFAULT_KNOWLEDGE_DIR)
        store = Store(url)
        for i in range(channels):
            store.subscribe(Subscription(f"C{i:05d}", timezone="Asia/Karachi"))
        delivery = Delivery(
            store,
            create_web_client(settings),
            Renderer(DEFAULT_TEMPLATES_DIR),
            lambda: digest,
            ZoneInfo("UTC"),
        )
        started = time.perf_counter()
        report = delivery.reconcile(REHEARSAL)
        elapsed = time.perf_counter() - started
        expected = channels * 2
        keys = Counter((m["channel"], m["post_at"]) for m in fake.scheduled.values())
        store.close()
        return {
            "channels": channels,
            "reminders_expected": expected,
            "scheduled": len(report.scheduled),
            "in_fake_slack": len(keys),
            "doubled": sum(1 for n in keys.values() if n > 1),
            "lost": expected - len(keys),
            "answered_429": fake.answered_429,
            "rate_per_second": per_second,
            "rate_window_seconds": window,
            "seconds": round(elapsed, 2),
            "floor_seconds": round(expected / per_second, 2),
            "ratio_to_floor": round(elapsed / (expected / per_second), 3),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument(
        "--rate",
        type=float,
        default=100.0,
        help="chat.scheduleMessage calls a second (Slack's Tier 3 is ~50/min)",
    )
    parser.add_argument(
        "--window",
        type=float,
        default=10.0,
        help="the fake's rate window (Slack counts per minute)",
    )
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(json.dumps(run(args.channels, args.rate, args.window, args.database_url), indent=2))


if __name__ == "__main__":
    main()
