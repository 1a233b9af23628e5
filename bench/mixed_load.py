"""Mixed load against `sco-bot serve` while Slack answers 429 to one request in ten.

    python -m bench.mixed_load [--seconds 300] [--clients 8] [--rate R] [--every 10]
                               [--retry-after 1] [--latency 0.05] [--out FILE]

The server runs as in production (`sco-bot serve`, waitress, 8 threads) in its own process; the
fake Slack in another (`FakeSlack.throttle_every`: every n-th call, API or response_url, is
answered 429 with Retry-After, the others after `--latency` s, like a network round trip); the
load comes from this one: `--clients` threads on keep-alive connections, each sending the next
request of a weighted mix as soon as the last was answered (as fast as the server answers), or
with `--rate`, R requests a second in all on a fixed schedule (a request's time then counts from
when it was due, so a slow answer delays the ones behind it and they count it too):

    slash commands (bench.config.MIX by forty users)  48%   `/sco remind status`   2%
    @mentions (new event ids)                          10%   direct messages        5%
    Home tab opens                                     10%   Share (new messages)   5%
    open_brief (new trigger ids)                        5%   ask_brief              5%
    the meeting menu                                    5%   GET /healthz           5%

and a separate prober asks `GET /healthz` every 0.5 s throughout. Reports each kind's
acknowledgement times (median, p99, max), the share answered other than 200, /healthz from the
prober, the server's RSS every 10 s, and what Slack received (calls per method, 429s), during
the run and in the 30 s after it (the background work draining). Never fails on timing.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import multiprocessing
import random
import re
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.config import mix_bodies
from bench.figures import percentile
from bench.served import SECRET, Served, rss_mb, serve_env, serving
from testkit.slack_requests import (
    action_body,
    event_body,
    mention_body,
    sign,
    slash_body,
)

WEIGHTS = {
    "command": 48,
    "remind_status": 2,
    "mention": 10,
    "dm": 5,
    "home": 10,
    "share": 5,
    "open_brief": 5,
    "ask_brief": 5,
    "menu": 5,
    "healthz": 5,
}
DRAIN_SECONDS = 30.0


def _serve_fake(conn: Connection, every: int, retry_after: int, latency: float) -> None:
    """In a child process: the fake Slack, answering 429 every `every` calls, until told."""
    from testkit.fakeslack import FakeSlack

    with FakeSlack().serve_quickly() as fake:
        fake.keep_bodies = False
        fake.latency = latency
        fake.throttle_every(every, retry_after)
        conn.send(fake.api_url)
        while conn.recv() == "counts":
            counts: dict[str, int] = {}
            for method, n in list(fake.counts.items()):
                kind = re.sub(r"\d+$", "", method)  # /respond/share17 -> /respond/share
                counts[kind] = counts.get(kind, 0) + n
            conn.send({"counts": counts, "answered_429": fake.answered_429})


class Requests:
    """The next request of each kind, fresh where Slack's would be (event ids, triggers)."""

    def __init__(self, response_url: str) -> None:
        self.url = response_url
        self.commands = itertools.cycle(mix_bodies())
        self.n = itertools.count()

    def body(self, kind: str) -> tuple[str, bool]:
        """The body of the next request of `kind`, and whether it is JSON."""
        i = next(self.n)
        if kind == "command":
            return next(self.commands), False
        if kind == "remind_status":
            return slash_body("remind status", channel_id=f"C{i % 6:05d}"), False
        if kind == "mention":
            return mention_body("what did china say about afghanistan", f"EvM{i}"), True
        if kind == "dm":
            event = {
                "type": "message",
                "channel_type": "im",
                "user": f"U{i % 40:05d}",
                "text": "who hosted the meeting?",
                "channel": "D0001",
                "ts": f"{i}.1",
            }
            return event_body(event, f"EvD{i}"), True
        if kind == "home":
            event = {"type": "app_home_opened", "user": f"U{i % 40:05d}", "tab": "home"}
            return event_body(event, f"EvH{i}"), True
        url = f"{self.url}{kind}{i}"
        if kind == "share":
            return action_body("share", "brief", url, ephemeral=True, message_ts=f"{i}.2"), False
        if kind == "open_brief":
            return action_body("open_brief", "brief", url, trigger_id=f"{i}.3.t"), False
        if kind == "ask_brief":
            return action_body("ask_brief", "brief", url), False
        return action_body(
            "brief_meeting", "", url, selected="sco-defmin-2021-dushanbe", ephemeral=True
        ), False


class Load:
    """Client threads on keep-alive connections, each sending the mix until the deadline."""

    def __init__(
        self, port: int, clients: int, seconds: float, response_url: str, rate: float | None
    ) -> None:
        self.port, self.clients = port, clients
        self.interval = clients / rate if rate else 0.0  # each client's, on a fixed schedule
        self.deadline = time.monotonic() + seconds
        self.requests = Requests(response_url)
        self.kinds = list(WEIGHTS)
        self.weights = list(WEIGHTS.values())
        self.times: dict[str, list[float]] = {k: [] for k in WEIGHTS}
        self.statuses: dict[str, dict[int, int]] = {k: {} for k in WEIGHTS}
        self.lock = threading.Lock()

    def run(self) -> None:
        threads = [threading.Thread(target=self._client, args=(i,)) for i in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _client(self, seed: int) -> None:
        pick = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        due = time.perf_counter() + self.interval * seed / self.clients
        pause = threading.Event()
        while time.monotonic() < self.deadline:
            kind = pick.choices(self.kinds, self.weights)[0]
            with self.lock:
                body, is_json = self.requests.body(kind)
            if self.interval:
                pause.wait(max(0.0, due - time.perf_counter()))
            status, seconds = self._send(conn, kind, body, is_json)
            if self.interval:  # counted from when it was due (no coordinated omission)
                seconds = time.perf_counter() - due
                due += self.interval
            if status == 0:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            with self.lock:
                self.times[kind].append(seconds)
                self.statuses[kind][status] = self.statuses[kind].get(status, 0) + 1
        conn.close()

    @staticmethod
    def _send(
        conn: http.client.HTTPConnection, kind: str, body: str, is_json: bool
    ) -> tuple[int, float]:
        started = time.perf_counter()
        try:
            if kind == "healthz":
                conn.request("GET", "/healthz")
            else:
                headers = sign(body, SECRET, json_body=is_json)
                conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except OSError:
            status = 0
        return status, time.perf_counter() - started


def _kind_figures(times: list[float], statuses: dict[int, int]) -> dict[str, Any]:
    if not times:
        return {"n": 0}
    return {
        "n": len(times),
        "median_ms": round(percentile(times, 50) * 1000, 1),
        "p99_ms": round(percentile(times, 99) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
        "over_1s": sum(t > 1 for t in times),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def _probe(bot: Served, stop: threading.Event, into: list[float], rss: list[float]) -> None:
    last_rss = 0.0
    while not stop.wait(0.5):
        into.append(bot.health().seconds)
        if time.monotonic() - last_rss >= 10:
            last_rss = time.monotonic()
            found = rss_mb(bot.proc.pid)
            if found is not None:
                rss.append(round(found, 1))


def run(
    seconds: float,
    clients: int,
    every: int,
    retry_after: int,
    latency: float,
    drain: float = DRAIN_SECONDS,
    rate: float | None = None,
) -> dict[str, Any]:
    """One mixed-load run; its figures."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    fake = context.Process(target=_serve_fake, args=(theirs, every, retry_after, latency))
    fake.start()
    try:
        if not ours.poll(60):
            raise RuntimeError("the fake Slack did not start")
        api_url = ours.recv()
        response_url = api_url.replace("/api/", "/respond/")
        with tempfile.TemporaryDirectory() as tmp, serving(serve_env(api_url, Path(tmp))) as bot:
            load = Load(bot.port, clients, seconds, response_url, rate)
            health: list[float] = []
            rss: list[float] = [round(rss_mb(bot.proc.pid) or 0, 1)]
            stop = threading.Event()
            prober = threading.Thread(target=_probe, args=(bot, stop, health, rss), daemon=True)
            prober.start()
            started = time.perf_counter()
            load.run()
            elapsed = time.perf_counter() - started
            ours.send("counts")
            during = ours.recv()
            threading.Event().wait(drain)
            stop.set()
            prober.join(10)
            ours.send("counts")
            after = ours.recv()
            rss.append(round(rss_mb(bot.proc.pid) or 0, 1))
            logged = _logged(list(bot.lines))
    finally:
        ours.send("stop")
        fake.join(10)
    acks = [t for k, ts in load.times.items() if k != "healthz" for t in ts]
    total = sum(len(ts) for ts in load.times.values())
    return {
        "config": {
            "seconds": seconds,
            "clients": clients,
            "rate": rate,
            "429_every": every,
            "retry_after": retry_after,
            "slack_latency": latency,
            "server_threads": 8,
        },
        "requests": total,
        "requests_per_second": round(total / elapsed, 1),
        "acks": _kind_figures(acks, {}),
        "by_kind": {k: _kind_figures(load.times[k], load.statuses[k]) for k in WEIGHTS},
        "not_200": sum(n for s in load.statuses.values() for c, n in s.items() if c != 200),
        "healthz_prober": _kind_figures(health, {}),
        "rss_mb": rss,
        "slack_during": during,
        "slack_after_drain": after,
        "server_log": logged,
    }


def _logged(lines: list[str]) -> dict[str, Any]:
    """The server's warnings and errors by kind (what failed, what was dropped)."""
    kinds: dict[str, int] = {}
    for i, line in enumerate(lines):
        if " WARNING " not in line and " ERROR " not in line:
            continue
        text = re.sub(r"^\S+ \S+ ", "", line.strip())
        text = re.sub(r"\d+", "N", text.split(" request_id=")[0])[:120]
        following = lines[i + 1 : i + 80]
        last = [x for x in following if x.startswith("  | ")]
        if last and " ERROR " in line:
            text += " <- " + last[-1][4:].strip()[:100]  # the exception
        kinds[text] = kinds.get(text, 0) + 1
    return dict(sorted(kinds.items(), key=lambda item: -item[1])[:25])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mixed_load", description=__doc__)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rate", type=float, help="requests a second in all (default: flat out)")
    parser.add_argument("--every", type=int, default=10, help="429 every n-th Slack call")
    parser.add_argument("--retry-after", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.05, help="Slack's answer time, s")
    parser.add_argument("--out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    figures = run(
        args.seconds, args.clients, args.every, args.retry_after, args.latency, rate=args.rate
    )
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
