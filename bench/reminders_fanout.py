"""Reconcile N subscribed channels against the local fake Slack enforcing a per-method rate.

Prints a summary and returns the figures; `python -m bench.reminders_fanout --channels 1000`.

The fake's limit is a sliding window: at most `round(per_second * window)` calls in any
`window` seconds (FakeSlack.limit). The first window's calls may go in one burst, so the
floor that limit implies is not `calls / per_second` but `(windows - 1) * window`, where
`windows = ceil(calls / calls_per_window)`: the last window's calls can start the moment it
opens. `naive_floor_seconds` (`calls / per_second`) is reported too; it is not a lower bound.
With `--baseline` (or `work_seconds`) the floor also counts the work the calls themselves take
at the unthrottled pace, which a serial reconcile cannot overlap with waiting.

The fake runs in its own process, as Slack does: its HTTP parsing and bookkeeping then use the
other core instead of competing for the bot's interpreter lock, which charged Slack's work to
the bot (about a third of the unthrottled time when both shared one process).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.knowledge.loader import load_digest
from bot.reminders.delivery import Delivery
from bot.reminders.ledger import Ledger
from bot.reminders.messages import ReminderMessages
from bot.reminders.plan import Subscription
from bot.reminders.slack_scheduler import SlackScheduler
from bot.rendering.renderer import Renderer
from bot.settings import DEFAULT_KNOWLEDGE_DIR, DEFAULT_TEMPLATES_DIR, Settings
from bot.slack.client import create_web_client
from testkit.fakeslack import FakeSlack

REHEARSAL = datetime(2021, 10, 1, 12, 0, tzinfo=UTC)
UNTHROTTLED = 1e9  # calls a second: the fake never answers 429


def floors(
    calls: int, per_second: float, window: float, work_seconds: float | None = None
) -> dict[str, Any]:
    """Lower bounds on the time `calls` take under the fake's windowed limit.

    `work_seconds`: how long the same calls take unthrottled; with it, `work_floor_seconds` is
    max over windows k of `(k - 1) * window + work left from window k on` at that pace.
    """
    per_window = max(1, round(per_second * window))  # exactly as FakeSlack.limit counts
    windows = max(1, math.ceil(calls / per_window))
    figures: dict[str, Any] = {
        "calls_per_window": per_window,
        "windows": windows,
        "rate_floor_seconds": (windows - 1) * window,
        "naive_floor_seconds": calls / per_second,
        "work_seconds": work_seconds,
        "work_floor_seconds": None,
    }
    if work_seconds is not None and calls:
        per_call = work_seconds / calls
        figures["work_floor_seconds"] = max(
            (k - 1) * window + (calls - (k - 1) * per_window) * per_call
            for k in range(1, windows + 1)
        )
    return figures


def _serve_fake(conn: Connection, per_second: float, window: float, now: float) -> None:
    """In a child process: serve the fake, send its URL, then its tally when asked."""
    fake = FakeSlack().serve_quickly()
    fake.now = now
    fake.limit("chat.scheduleMessage", per_second=per_second, window=window)
    with fake:
        conn.send(fake.api_url)
        conn.recv()
        keys = Counter((m["channel"], m["post_at"]) for m in fake.scheduled.values())
        conn.send(
            {
                "in_fake_slack": len(keys),
                "doubled": sum(1 for n in keys.values() if n > 1),
                "answered_429": fake.answered_429,
            }
        )
        conn.recv()


@contextmanager
def _fake_process(per_second: float, window: float) -> Iterator[tuple[str, Connection]]:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(
        target=_serve_fake, args=(theirs, per_second, window, REHEARSAL.timestamp()), daemon=True
    )
    child.start()
    try:
        if not ours.poll(60):
            raise RuntimeError("the fake Slack process did not start")
        yield ours.recv(), ours
    finally:
        ours.send("stop")
        child.join(10)
        if child.is_alive():
            child.kill()


def _ratio(seconds: float, floor: float | None) -> float | None:
    return round(seconds / floor, 3) if floor else None


def run(
    channels: int,
    per_second: float,
    window: float = 60.0,
    database_url: str | None = None,
    work_seconds: float | None = None,
) -> dict[str, Any]:
    """One reconcile of `channels` new subscriptions (two reminders each) under the rate.

    `work_seconds`: the unthrottled time of the same reconcile (see `floors`)."""
    with tempfile.TemporaryDirectory() as tmp, _fake_process(per_second, window) as (api, fake):
        url = database_url or f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}"
        settings = Settings(slack_bot_token="xoxb-bench", slack_api_url=api)
        digest = load_digest(DEFAULT_KNOWLEDGE_DIR)
        store = Ledger(url)
        for i in range(channels):
            store.subscribe(Subscription(f"C{i:05d}", timezone="Asia/Karachi"))
        delivery = Delivery(
            store,
            SlackScheduler(create_web_client(settings)),  # unpaced: measures the fake's floor
            ReminderMessages(Renderer(DEFAULT_TEMPLATES_DIR), ZoneInfo("UTC")),
            lambda: digest,
        )
        started = time.perf_counter()
        report = delivery.reconcile(REHEARSAL)
        elapsed = time.perf_counter() - started
        expected = channels * 2
        bounds = floors(expected, per_second, window, work_seconds)
        fake.send("tally")
        tally = fake.recv()
        store.close()
        return {
            "channels": channels,
            "reminders_expected": expected,
            "scheduled": len(report.scheduled),
            **tally,
            "lost": expected - tally["in_fake_slack"],
            "fake_slack": "its own process",
            "rate_per_second": per_second,
            "rate_window_seconds": window,
            "seconds": round(elapsed, 3),
            **bounds,
            # The floor the windowed rate implies; the ratio the fan-out goal is judged on.
            "floor_seconds": bounds["rate_floor_seconds"],
            "ratio_to_floor": _ratio(elapsed, bounds["rate_floor_seconds"]),
            "ratio_to_naive_floor": _ratio(elapsed, bounds["naive_floor_seconds"]),
            "ratio_to_work_floor": _ratio(elapsed, bounds["work_floor_seconds"]),
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
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="first reconcile the same channels unthrottled, to include the work in the floor",
    )
    args = parser.parse_args()
    if args.baseline and args.database_url:
        parser.error("--baseline needs the default throwaway SQLite ledger (no --database-url)")
    work = None
    if args.baseline:
        work = run(args.channels, UNTHROTTLED, 1.0, args.database_url)["seconds"]
    result = run(args.channels, args.rate, args.window, args.database_url, work)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
