"""Signed `/sco` requests: the apps under test, a server process and a load generator.

    python -m bench.http_load serve --app ours|ours-uncached|bare [--threads 8]
        builds the app behind the production stack (bot.server: Bolt's WSGI adapter in
        waitress), prints `PORT <n>` and serves on 127.0.0.1 until its stdin closes.
    python -m bench.http_load load --port N [--concurrency 16] [--requests 5000] [--seconds 10]
        POSTs signed `/sco brief` over keep-alive connections (one thread each) and prints JSON.

The two run as separate processes so that the load generator never shares the server's GIL.
Module-level imports are the standard library (and tests.slack_requests, itself only that):
the load generator starts fast and never loads Slack's libraries or the bot.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from bot.testing.slack_requests import sign, slash_body

SIGNING_SECRET = "bench-signing-secret-0123456789"
BOT_TOKEN = "xoxb-bench-token-0123456789"
EVENTS_PATH = "/slack/events"
# "Now" for every answer: the day after the Dushanbe meeting, so `brief` has its "what lies
# ahead" and `upcoming` lists events (with real time the digest has nothing ahead).
REHEARSAL_NOW = datetime(2021, 7, 29, 9, 0, tzinfo=UTC)


def signed_headers(
    body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Slack's headers for `body`, signed with our test signing secret unless told otherwise."""
    return sign(body, secret, timestamp)


def bench_settings(api_url: str, database_dir: str) -> Any:
    """Settings for the apps under test: a fake Slack, a throwaway SQLite ledger."""
    from bot.settings import Settings

    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=api_url,
        database_url=f"sqlite:///{database_dir}/x.sqlite3",
    )


APPS = ("ours", "ours-uncached", "bare")
MINUTES_PER_DAY = 24 * 60


def stepping_clock(start: datetime) -> Any:
    """A bot.clock.Clock whose every `now()` is one minute later (wrapping after a day): no two
    requests in a row share a minute, so no answer cached per minute is ever reused."""
    import itertools
    from dataclasses import dataclass, field
    from datetime import timedelta

    from bot.clock import Clock

    @dataclass(frozen=True)
    class SteppingClock(Clock):
        ticks: Iterator[int] = field(default_factory=itertools.count, compare=False, repr=False)

        def now(self) -> datetime:
            return start + timedelta(minutes=next(self.ticks) % MINUTES_PER_DAY)

    return SteppingClock(start=start)


def build_app(kind: str, settings: Any) -> tuple[Any, Callable[[], str]]:
    """`ours`: bot.app.create_app on a clock running from REHEARSAL_NOW; `ours-uncached`: the
    same on a clock a minute later at every request; `bare`: a slack_bolt.App built with the same
    options and one `/sco` listener that only acks. Returns the app and its version callable."""
    if kind in ("ours", "ours-uncached"):
        from bot.clock import Clock
        from bot.knowledge.loader import load_digest
        from bot.slack.app import create_app

        clock = Clock(start=REHEARSAL_NOW) if kind == "ours" else stepping_clock(REHEARSAL_NOW)
        app = create_app(settings, clock=clock)
        version = load_digest(settings.knowledge_dir).version
        return app, lambda: version
    if kind == "bare":
        from slack_bolt import Ack, App
        from slack_sdk import WebClient

        bare = App(
            client=WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url),
            signing_secret=settings.slack_signing_secret,
            process_before_response=True,
            token_verification_enabled=False,
            name="bare",
        )

        def only_ack(ack: Ack) -> None:
            ack()

        bare.command("/sco")(only_ack)
        return bare, lambda: "bare"
    raise ValueError(f"unknown app {kind!r} (one of {', '.join(APPS)})")


def serve(kind: str, threads: int) -> None:
    """Serve one app through bot.server on an ephemeral port until stdin closes."""
    import tempfile

    from bot.slack.http import create_http_server, create_wsgi_app
    from bot.testing.fakeslack import FakeSlack

    with tempfile.TemporaryDirectory() as tmp, FakeSlack().serve_quickly() as fake:
        app, version = build_app(kind, bench_settings(fake.api_url, tmp))
        server = create_http_server(create_wsgi_app(app, version), "127.0.0.1", 0, threads)

        def close_on_eof() -> None:
            sys.stdin.read()
            server.trigger.pull_trigger(server.close)

        threading.Thread(target=close_on_eof, daemon=True).start()
        print(f"PORT {server.effective_port}", flush=True)
        try:
            server.run()
        finally:
            server.task_dispatcher.shutdown()


def load(
    port: int,
    concurrency: int,
    requests: int,
    seconds: float,
    text: str = "brief",
    host: str = "127.0.0.1",
) -> dict[str, Any]:
    """Signed POSTs of `/sco <text>` on `concurrency` keep-alive connections, one thread each,
    until `requests` are done or `seconds` have passed. Latency is client-side, per request."""
    body = slash_body(text).encode()
    headers = signed_headers(body.decode())
    lock = threading.Lock()
    issued = 0
    latencies: list[list[int]] = [[] for _ in range(concurrency)]
    errors: list[str] = []
    statuses: dict[int, int] = {}
    response_bytes = [0]
    start_gate = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def worker(index: int) -> None:
        nonlocal issued
        mine = latencies[index]
        conn = http.client.HTTPConnection(host, port, timeout=30)
        conn.connect()
        start_gate.wait()
        try:
            while True:
                with lock:
                    if issued >= requests or time.perf_counter() >= deadline[0]:
                        return
                    issued += 1
                started = time.perf_counter_ns()
                try:
                    conn.request("POST", EVENTS_PATH, body, headers)
                    response = conn.getresponse()
                    data = response.read()
                except (OSError, http.client.HTTPException) as exc:
                    with lock:
                        errors.append(type(exc).__name__)
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=30)
                    continue
                mine.append(time.perf_counter_ns() - started)
                with lock:
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                    response_bytes[0] = len(data)
        finally:
            conn.close()

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for w in workers:
        w.start()
    deadline[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start_gate.wait()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - began
    flat = [ns // 1000 for per in latencies for ns in per]
    ok = statuses.get(200, 0)
    return {
        "text": text,
        "concurrency": concurrency,
        "completed": len(flat),
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "seconds": elapsed,
        "requests_per_second": ok / elapsed if elapsed > 0 else 0.0,
        "response_bytes": response_bytes[0],
        "latencies_us": flat,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    serve_args = modes.add_parser("serve", help="serve one app; prints PORT <n>")
    serve_args.add_argument("--app", choices=APPS, required=True)
    serve_args.add_argument("--threads", type=int, default=8, help="waitress threads (8)")
    load_args = modes.add_parser("load", help="signed POSTs; prints JSON")
    load_args.add_argument("--port", type=int, required=True)
    load_args.add_argument("--concurrency", type=int, default=16)
    load_args.add_argument("--requests", type=int, default=5000, help="at most this many")
    load_args.add_argument("--seconds", type=float, default=10.0, help="at most this long")
    load_args.add_argument("--text", default="brief", help="the text after /sco")
    args = parser.parse_args(argv)
    if args.mode == "serve":
        serve(args.app, args.threads)
    else:
        result = load(args.port, args.concurrency, args.requests, args.seconds, args.text)
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
