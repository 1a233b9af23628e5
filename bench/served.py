"""`sco-bot serve` as a process of its own, against a fake Slack, with timed signed requests.

Shared by bench.slack_faults (the red team's reproductions) and bench.mixed_load: each starts
the real server (waitress, 8 threads, as in production) with SLACK_API_URL pointing at a
FakeSlack on loopback, and times what a client of it sees."""

from __future__ import annotations

import http.client
import json
import queue
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from testkit.servers import clean_env, start_serve
from testkit.slack_requests import sign

SECRET = "bench-signing-secret-0123456789"
TOKEN = "xoxb-bench-token-0123456789"
EVENTS = "/slack/events"
HEALTH = "/healthz"
CLIENT_TIMEOUT = 60.0
_SERVING = re.compile(r"serving Slack requests at http://127\.0\.0\.1:(\d+)/slack/events")


@dataclass
class Answer:
    """What a client saw: the status (0: no answer), the body, and how long it took."""

    status: int
    body: bytes
    seconds: float


@dataclass
class Served:
    """A running `sco-bot serve`: its process, port, and every line it wrote to stderr."""

    proc: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)

    def request(
        self, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
    ) -> Answer:
        """One request on a new connection, timed from connecting to the last byte read."""
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=CLIENT_TIMEOUT)
        try:
            conn.request(method, path, body=body.encode(), headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            status = response.status
        except OSError:
            status, data = 0, b""
        finally:
            conn.close()
        return Answer(status, data, time.perf_counter() - started)

    def post(self, body: str, *, json_body: bool = False) -> Answer:
        """POST a body to /slack/events, signed as Slack signs it."""
        return self.request("POST", EVENTS, body, sign(body, SECRET, json_body=json_body))

    def health(self) -> Answer:
        """GET /healthz."""
        return self.request("GET", HEALTH)


def serve_env(api_url: str, state: Path, **extra: str) -> dict[str, str]:
    """The environment of a served bot calling the fake Slack at `api_url`."""
    return clean_env(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        SCO_STATE_DIR=str(state),
        SCO_CACHE_DIR=str(state / "cache"),
        SCO_CLOCK="2021-07-29T09:00:00Z",
        SCO_RECONCILE_SECONDS="3600",
        **extra,
    )


@contextmanager
def serving(env: dict[str, str], timeout: float = 30.0) -> Iterator[Served]:
    """Start `sco-bot serve` on a free port, yield it once it listens, stop it with SIGTERM."""
    proc = start_serve(env, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_drain, args=(proc.stderr, lines), daemon=True).start()
    served: Served | None = None
    kept: list[str] = []
    try:
        deadline = time.monotonic() + timeout
        while served is None:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("sco-bot serve did not start:\n" + "".join(kept))
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            kept.append(line)
            found = _SERVING.search(line)
            if found:
                served = Served(proc, int(found.group(1)), kept)
        threading.Thread(target=_collect, args=(lines, kept), daemon=True).start()
        yield served
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _drain(stream: object, into: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line)


def _collect(lines: queue.Queue[str], kept: list[str]) -> None:
    while True:
        kept.append(lines.get())


def rss_mb(pid: int) -> float | None:
    """A process's resident memory in MB (Linux), or None."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else None


def as_json(answer: Answer) -> object:
    """The answer's body as JSON (None when it is not)."""
    try:
        return json.loads(answer.body)
    except ValueError:
        return None
