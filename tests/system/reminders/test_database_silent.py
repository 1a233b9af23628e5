"""Issue 12, item 2: a database that stops answering keeps every wait bounded.

`sco-bot serve` talks to PostgreSQL through a TCP relay on 127.0.0.1 that can go silent:
accepting and reading but never answering (a database whose packets are dropped, as the
client sees it), or pausing connections already open. Nothing leaves loopback."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from testkit.fakeslack import FakeSlack
from testkit.servers import clean_env, sco_bot_serve
from testkit.waiting import wait_until
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, signed_headers, slash_body
from tests.databases import fresh_postgres, skip_without_postgres

UPSTREAM = ("127.0.0.1", 5432)
HEALTH_LIMIT = 2.0
SLACK_LIMIT = 3.0


class Relay:
    """A TCP relay to PostgreSQL that can stop answering (`silent`) and hold traffic on open
    connections (`paused`): the client's bytes are accepted and acknowledged, no reply comes."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.silent = True
        self.flowing = threading.Event()
        self.flowing.set()
        self.sockets: list[socket.socket] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.silent:
                threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
                continue
            upstream = socket.create_connection(UPSTREAM)
            self.sockets.append(upstream)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _swallow(self, sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while sock.recv(65536):
                pass

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while True:
                data = src.recv(65536)
                if not data:
                    break
                self.flowing.wait()
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.closed = True
        self.flowing.set()
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()


@pytest.fixture
def relay() -> Iterator[Relay]:
    skip_without_postgres()
    relay = Relay()
    try:
        yield relay
    finally:
        relay.close()


def timed_health(port: int) -> tuple[int, float]:
    """GET /healthz: its status (0 when it did not answer within 10 s) and the seconds taken."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            status = response.status
            json.loads(response.read())
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0
    return status, time.monotonic() - started


def timed_brief(url: str) -> tuple[int, float]:
    """A signed `/sco brief`: its status (0 on a timeout) and the seconds taken."""
    body = slash_body("brief")
    request = urllib.request.Request(url, body.encode(), signed_headers(body))
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status = response.status
            response.read()
    except OSError:
        status = 0
    return status, time.monotonic() - started


def burst(
    port: int, url: str, count: int
) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """`count` health checks and `count` briefs at once (more than the server's 8 threads)."""
    with ThreadPoolExecutor(max_workers=2 * count) as pool:
        healths = [pool.submit(timed_health, port) for _ in range(count)]
        briefs = [pool.submit(timed_brief, url) for _ in range(count)]
        return [f.result() for f in healths], [f.result() for f in briefs]


def test_a_silent_database_keeps_health_and_briefings_bounded_and_recovers(
    relay: Relay, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    with fresh_postgres() as url:
        env = clean_env()
        env.update(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=fake_slack.api_url,
            SCO_DATABASE_URL=url.replace(":5432/", f":{relay.port}/"),
            SCO_CACHE_DIR="off",
        )
        with sco_bot_serve(env) as (_proc, events_url, port):
            # 1. Silent from the start: every connection attempt goes unanswered.
            healths, briefs = burst(port, events_url, 12)
            print(f"\nsilent: health {healths}\nbriefs {briefs}")
            assert {s for s, _ in healths} == {503}, healths
            assert max(t for _, t in healths) < HEALTH_LIMIT, healths
            assert {s for s, _ in briefs} == {200} and max(t for _, t in briefs) < SLACK_LIMIT

            # 2. The database answers again: no restart needed.
            relay.silent = False
            assert wait_until(lambda: timed_health(port)[0] == 200, timeout=30)

            # 3. Open connections stop answering mid-flight (packets dropped): the first check
            # after that waits for its answer (bounded), the rest no longer.
            relay.flowing.clear()
            status, seconds = timed_health(port)
            assert status == 503 and seconds < HEALTH_LIMIT, (status, seconds)
            healths, briefs = burst(port, events_url, 12)
            print(f"paused: health {healths}\nbriefs {briefs}")
            assert {s for s, _ in healths} == {503}, healths
            assert max(t for _, t in healths) < HEALTH_LIMIT, healths
            assert {s for s, _ in briefs} == {200} and max(t for _, t in briefs) < SLACK_LIMIT

            # 4. And recover.
            relay.flowing.set()
            assert wait_until(lambda: timed_health(port)[0] == 200, timeout=30)


def test_the_ledger_bounds_statements_on_postgresql() -> None:
    skip_without_postgres()
    from sqlalchemy import text

    from bot.reminders.database import STATEMENT_SECONDS
    from bot.reminders.ledger import Ledger

    with fresh_postgres() as url:
        ledger = Ledger(url)
        try:
            with ledger.engine.connect() as conn:
                shown = conn.execute(text("SHOW statement_timeout")).scalar()
        finally:
            ledger.close()
    assert shown == f"{STATEMENT_SECONDS}s"
