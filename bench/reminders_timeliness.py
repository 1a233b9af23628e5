"""What users feel of reminder delivery at Slack's real rate, simulated with a scaled clock.

`python -m bench.reminders_timeliness --channels 1000` (about a minute at the default speedup).

Slack's Tier 3 (chat.scheduleMessage, chat.scheduledMessages.list, chat.deleteScheduledMessage:
about 50 calls a minute each) is enforced by the local fake Slack, with time scaled by
`--speedup` (60: one simulated minute a real second; its 429s say Retry-After of at least one
real second, a simulated minute). A bulk reconcile of `channels` new subscriptions starts
`--lead-minutes` before the earliest reminder's time, and `--subscriptions` people run
`remind on` in new channels while it runs. Reported, in simulated seconds:

- confirm_seconds: from `remind on` to Slack's confirmation of all its reminders (p50/p95/max);
- share_429: calls to the rate-limited methods answered 429;
- missed: reminders whose time passed before Slack confirmed them;
- first_reminder_seconds: when each bulk channel's earliest reminder was confirmed
  (p50/p95/max), and last_decile_overlap: the share of the last tenth of channels that is last
  again in the next run's order (0 would be perfect rotation, 1 the same channels always last).

`tls_cpu(calls)` measures the client's CPU per Slack call against the fake over HTTPS: a TLS
context built for every connection (what urllib does without one) against one shared context.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import multiprocessing
import ssl
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.knowledge.digest import Digest
from bot.knowledge.loader import load_digest
from bot.reminders.delivery import WAVE, Delivery
from bot.reminders.desk import ReminderDesk
from bot.reminders.ledger import Ledger
from bot.reminders.messages import ReminderMessages
from bot.reminders.pacing import BURST, TIER3_PER_MINUTE, Pacers
from bot.reminders.plan import Subscription, plan_channel
from bot.reminders.slack_scheduler import SlackScheduler, tags_of
from bot.rendering.renderer import Renderer
from bot.settings import DEFAULT_KNOWLEDGE_DIR, DEFAULT_TEMPLATES_DIR, Settings
from bot.slack.client import create_web_client
from testkit.fakeslack import FakeSlack

REHEARSAL = datetime(2021, 10, 1, 12, 0, tzinfo=UTC)
TIER3_LIMIT = 50.0  # what the fake enforces, a minute
LIMITED = ("chat.scheduleMessage", "chat.scheduledMessages.list", "chat.deleteScheduledMessage")
ROUND_TRIP = 0.15  # simulated seconds a call takes, like a real network


@dataclass(frozen=True)
class ScaledClock:
    """Simulated time: `start`, running `speedup` times faster than the real clock."""

    start: datetime
    speedup: float
    origin: float

    @classmethod
    def starting(cls, start: datetime, speedup: float) -> ScaledClock:
        """A clock at `start` now."""
        return cls(start, speedup, time.monotonic())

    def seconds(self) -> float:
        """Simulated seconds since the start."""
        return (time.monotonic() - self.origin) * self.speedup

    def now(self) -> datetime:
        """The simulated instant."""
        return self.start + timedelta(seconds=self.seconds())

    def unix(self) -> float:
        """The simulated instant as Unix seconds (the fake Slack's clock)."""
        return self.now().timestamp()


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(p95, 1),
        "max": round(ordered[-1], 1),
    }


def _limited_fake(speedup: float) -> FakeSlack:
    fake = FakeSlack().serve_quickly()
    for method in LIMITED:
        fake.limit(method, per_second=TIER3_LIMIT / 60 * speedup, window=60 / speedup)
    fake.latency = ROUND_TRIP / speedup
    return fake


def simulate(
    channels: int = 1000,
    speedup: float = 60.0,
    subscriptions: int = 20,
    lead_minutes: float = 30.0,
    pacing: bool = True,
    knowledge: Path = DEFAULT_KNOWLEDGE_DIR,
    wave: int = WAVE,
) -> dict[str, Any]:
    """One bulk reconcile of `channels` at the real rate, with `subscriptions` changes in it."""
    digest = load_digest(knowledge)
    sample = Subscription("CSAMPLE", timezone="Asia/Karachi")
    first = plan_channel(digest, sample, REHEARSAL).due[0].post_at
    clock = ScaledClock.starting(first - timedelta(minutes=lead_minutes), speedup)
    confirmed_at: dict[tuple[str, int], float] = {}

    def record(method: str, body: dict[str, Any]) -> None:  # when Slack took each reminder
        if method == "chat.scheduleMessage":
            confirmed_at.setdefault((str(body["channel"]), int(body["post_at"])), clock.seconds())

    with tempfile.TemporaryDirectory() as tmp, _limited_fake(speedup) as fake:
        fake.clock = clock.unix
        fake.after_call = record
        pacers = Pacers(TIER3_PER_MINUTE, BURST, speedup) if pacing else None
        store = Ledger(f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}")
        delivery = _delivery(store, fake, pacers, digest, wave)
        desk = ReminderDesk(store, delivery, lambda: digest, clock.now)
        names = [f"C{i:05d}" for i in range(channels)]
        for name in names:
            store.subscribe(Subscription(name, timezone="Asia/Karachi"))
        per_channel, reports = len(plan_channel(digest, sample, clock.now()).due), []
        bulk = threading.Thread(target=lambda: reports.append(delivery.reconcile(clock.now())))
        expected = 2 * channels * 60 / TIER3_PER_MINUTE  # simulated seconds the bulk should take
        bulk.start()
        waits, planned = _subscribe_during(desk, clock, subscriptions, expected, bulk)
        bulk.join()
        bulk_seconds = clock.seconds()
        subs = {n: Subscription(n, timezone="Asia/Karachi") for n in names}
        orders = [delivery.order(names, subs, clock.now()) for _ in range(2)]  # next runs
        calls = len([c for c in fake.snapshot() if c.method in LIMITED])
        held = [*fake.scheduled.values(), *fake.posted]  # posted: its time came in the run
        store.close()
    report = reports[0]
    # A message carries the tags of its reminders (a channel's reminders of one time).
    keys = [(m["channel"], m["post_at"], tag) for m in held for tag in tags_of(m["text"])]
    return {
        "channels": channels,
        "reminders": per_channel * channels,
        "lost": per_channel * channels + planned - len(set(keys)) - len(report.missed),
        "speedup": speedup,
        "pacing_per_minute": TIER3_PER_MINUTE if pacing else None,
        "bulk_seconds": round(bulk_seconds, 1),
        "confirm_seconds": _percentiles(waits),
        "subscriptions": len(waits),
        "calls": calls,
        "answered_429": fake.answered_429,
        "share_429": round(fake.answered_429 / max(1, calls), 4),
        "missed": len(report.missed),
        "doubled": len(keys) - len(set(keys)),
        **_fairness(names, confirmed_at, orders),
    }


def _delivery(
    store: Ledger, fake: FakeSlack, pacers: Pacers | None, digest: Digest, wave: int
) -> Delivery:
    settings = Settings(slack_bot_token="xoxb-bench", slack_api_url=fake.api_url)
    return Delivery(
        store,
        SlackScheduler(create_web_client(settings, retry_connection_errors=False), pacers),
        ReminderMessages(Renderer(DEFAULT_TEMPLATES_DIR), ZoneInfo("UTC")),
        lambda: digest,
        wave=wave,
    )


def _fairness(
    names: list[str], confirmed_at: dict[tuple[str, int], float], orders: list[list[str]]
) -> dict[str, Any]:
    by_channel: dict[str, list[float]] = {}
    for (channel, _), moment in confirmed_at.items():
        by_channel.setdefault(channel, []).append(moment)
    firsts = [min(by_channel[n]) for n in names if n in by_channel]
    laters = [t for n in names for t in sorted(by_channel.get(n, []))[1:]]
    tail = max(1, len(names) // 10)
    overlap = len(set(orders[0][-tail:]) & set(orders[1][-tail:])) / tail
    return {
        "first_reminder_seconds": _percentiles(firsts),
        "every_first_before_any_later": max(firsts, default=0) <= min(laters, default=math.inf),
        "last_decile_overlap": round(overlap, 2),
    }


def _subscribe_during(
    desk: ReminderDesk,
    clock: ScaledClock,
    count: int,
    expected: float,
    bulk: threading.Thread,
) -> tuple[list[float], int]:
    """`remind on` in `count` new channels spread over the bulk run: the simulated seconds each
    took until Slack confirmed every reminder it plans, and how many reminders they planned."""
    waits: list[float] = []
    planned = 0
    for k in range(count):
        due = 3.0 + k * expected / max(1, count)  # the first 3 s into the run, as in the issue
        while clock.seconds() < due and bulk.is_alive():
            time.sleep(0.01)  # a simulated person's arrival time, not a condition to wait for
        if not bulk.is_alive():
            break
        sub = Subscription(f"CNEW{k:03d}", timezone="Asia/Karachi")
        started = clock.seconds()
        status = desk.subscribe(sub, clock.now())
        assert status.plan is not None and len(status.confirmed) == len(status.plan.due)
        waits.append(clock.seconds() - started)
        planned += len(status.plan.due)
    return waits, planned


def _certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    command += ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    command += ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        command,
        check=True,
        capture_output=True,
    )
    return cert, key


def _serve_tls_fake(conn: Connection, cert: str, key: str) -> None:
    """In a child process (its CPU is not the client's): the fake over HTTPS until told."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    with FakeSlack(tls=server).serve_quickly() as fake:
        conn.send(fake.api_url)
        conn.recv()


def tls_cpu(calls: int = 200) -> dict[str, Any]:
    """CPU per Slack call in this process over HTTPS to the fake (in its own process): a TLS
    context built for each connection, as urllib does without one, against one shared context."""
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = _certificate(Path(tmp))

        def per_connection() -> ssl.SSLContext:
            made = ssl.create_default_context()  # loads the system's CA certificates
            made.load_verify_locations(cert)
            return made

        shared = per_connection()
        ours, theirs = context.Pipe()
        child = context.Process(target=_serve_tls_fake, args=(theirs, str(cert), str(key)))
        child.start()
        try:
            if not ours.poll(60):
                raise RuntimeError("the TLS fake did not start")
            settings = Settings(slack_bot_token="xoxb-bench", slack_api_url=ours.recv())
            client = create_web_client(settings)
            figures: dict[str, Any] = {"calls": calls, "fake": "its own process"}
            for name, fixed in (("context_per_call", None), ("shared_context", shared)):
                started = time.process_time()
                for _ in range(calls):
                    client.ssl = fixed or per_connection()
                    client.auth_test()
                spent = time.process_time() - started
                figures[f"{name}_cpu_ms"] = round(spent / calls * 1000, 2)
        finally:
            ours.send("stop")
            child.join(10)
    return figures


def run(channels: int = 1000, speedup: float = 60.0, tls_calls: int = 200) -> dict[str, Any]:
    """Both measurements, paced and (for comparison) unpaced, as bench/run.py reports them."""
    return {
        "paced": simulate(channels, speedup),
        "unpaced": simulate(channels, speedup, pacing=False),
        "tls": tls_cpu(tls_calls),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--speedup", type=float, default=60.0)
    parser.add_argument("--subscriptions", type=int, default=20)
    parser.add_argument("--lead-minutes", type=float, default=30.0)
    parser.add_argument("--no-pacing", action="store_true", help="only slack-sdk's 429 retries")
    parser.add_argument("--tls-calls", type=int, default=200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # missed reminders are counted, not logged each
    result = {
        "timeliness": simulate(
            args.channels, args.speedup, args.subscriptions, args.lead_minutes, not args.no_pacing
        ),
        "tls": tls_cpu(args.tls_calls),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
