"""The HTTP measurement's two processes: a server for one app and a load generator.

    python -m bench.http_load serve --app ours|ours-new-minute|ours-no-cache|bare|bare-sized
                                    [--threads 8]
        builds the app (bench.apps: as `sco-bot serve` does) behind the production stack
        (bot.slack.http: Bolt's WSGI adapter in waitress), prints `PORT <n>` and serves on
        127.0.0.1 until its stdin closes.
    python -m bench.http_load load --port N [--concurrency 16] [--requests 5000] [--seconds 10]
                                   [--text TEXT]
        POSTs signed `/sco` requests over keep-alive connections (one thread each) and prints
        JSON: the realistic mix (bench.config.MIX by forty users, in turn), or `/sco TEXT`.

The two run as separate processes so that the load generator never shares the server's GIL.
Module-level imports are the standard library, bench.apps (itself only that and bot.clock) and
testkit.slack_requests: the load generator starts fast (slack-sdk, whose SignatureVerifier signs
its requests, adds about 30 ms to its start; it never loads Bolt or the rest of the bot).
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from typing import Any

from bench.apps import APPS, EVENTS_PATH, SIZED, bench_settings, build_app, signed_headers
from bench.config import mix_bodies
from testkit.slack_requests import slash_body


def serve(kind: str, threads: int) -> None:
    """Serve one app through bot.slack.http (waitress) on an ephemeral port until stdin closes."""
    import tempfile

    from bot.slack.http import create_http_server, create_wsgi_app
    from testkit.fakeslack import FakeSlack

    with tempfile.TemporaryDirectory() as tmp, FakeSlack().serve_quickly() as fake:
        tested = build_app(kind, bench_settings(fake.api_url, tmp))
        wsgi = create_wsgi_app(tested.app, tested.version, tested.database)
        server = create_http_server(wsgi, "127.0.0.1", 0, threads)

        def close_on_eof() -> None:
            sys.stdin.read()
            server.trigger.pull_trigger(server.close)

        threading.Thread(target=close_on_eof, daemon=True).start()
        print(f"PORT {server.effective_port}", flush=True)
        try:
            server.run()
        finally:
            server.task_dispatcher.shutdown()


class _Load:
    """The load generator's shared state: what to send, when to stop, and what came back."""

    def __init__(
        self, host: str, port: int, text: str | None, requests: int, concurrency: int
    ) -> None:
        self.host, self.port, self.requests = host, port, requests
        bodies = mix_bodies() if text is None else [slash_body(text)]
        # Signed once, up front: a run lasts seconds, well inside Slack's five-minute window.
        self.signed = [(body.encode(), signed_headers(body)) for body in bodies]
        self.lock = threading.Lock()
        self.issued = 0
        self.deadline = 0.0
        self.latencies: list[list[int]] = [[] for _ in range(concurrency)]
        self.errors: list[str] = []
        self.statuses: dict[int, int] = {}
        self.response_bytes = 0
        self.start_gate = threading.Barrier(concurrency + 1)

    def _another(self) -> tuple[bytes, dict[str, str]] | None:
        """Claim the next request, or None when the count or the time is used up."""
        with self.lock:
            if self.issued >= self.requests or time.perf_counter() >= self.deadline:
                return None
            self.issued += 1
            return self.signed[self.issued % len(self.signed)]

    def worker(self, index: int) -> None:
        """One keep-alive connection, one request at a time, latency measured per request."""
        mine = self.latencies[index]
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        conn.connect()
        self.start_gate.wait()
        try:
            while (request := self._another()) is not None:
                body, headers = request
                started = time.perf_counter_ns()
                try:
                    conn.request("POST", EVENTS_PATH, body, headers)
                    response = conn.getresponse()
                    data = response.read()
                except (OSError, http.client.HTTPException) as exc:
                    with self.lock:
                        self.errors.append(type(exc).__name__)
                    conn.close()
                    conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                    continue
                mine.append(time.perf_counter_ns() - started)
                with self.lock:
                    self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
                    self.response_bytes = max(self.response_bytes, len(data))
        finally:
            conn.close()


def load(
    port: int,
    concurrency: int,
    requests: int,
    seconds: float,
    text: str | None = None,
    host: str = "127.0.0.1",
) -> dict[str, Any]:
    """Signed POSTs of the mix (or `/sco <text>`) on `concurrency` keep-alive connections, one
    thread each, until `requests` are done or `seconds` have passed.
    Latency is client-side, per request."""
    state = _Load(host, port, text, requests, concurrency)
    workers = [
        threading.Thread(target=state.worker, args=(i,), daemon=True) for i in range(concurrency)
    ]
    for w in workers:
        w.start()
    state.deadline = time.perf_counter() + seconds
    began = time.perf_counter()
    state.start_gate.wait()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - began
    flat = [ns // 1000 for per in state.latencies for ns in per]
    ok = state.statuses.get(200, 0)
    return {
        "text": text or "the realistic mix (bench.config.MIX)",
        "distinct_requests": len(state.signed),
        "concurrency": concurrency,
        "completed": len(flat),
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(state.statuses.items())},
        "errors": len(state.errors),
        "error_kinds": sorted(set(state.errors)),
        "seconds": elapsed,
        "requests_per_second": ok / elapsed if elapsed > 0 else 0.0,
        "response_bytes": state.response_bytes,
        "latencies_us": flat,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    serve_args = modes.add_parser("serve", help="serve one app; prints PORT <n>")
    serve_args.add_argument("--app", choices=(*APPS, SIZED), required=True)
    serve_args.add_argument("--threads", type=int, default=8, help="waitress threads (8)")
    load_args = modes.add_parser("load", help="signed POSTs; prints JSON")
    load_args.add_argument("--port", type=int, required=True)
    load_args.add_argument("--concurrency", type=int, default=16)
    load_args.add_argument("--requests", type=int, default=5000, help="at most this many")
    load_args.add_argument("--seconds", type=float, default=10.0, help="at most this long")
    load_args.add_argument("--text", help="the text after /sco (default: the realistic mix)")
    args = parser.parse_args(argv)
    if args.mode == "serve":
        serve(args.app, args.threads)
    else:
        result = load(args.port, args.concurrency, args.requests, args.seconds, args.text)
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
