"""The real waitress server for the tests and benchmarks: in a thread, or as `sco-bot serve`."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from bot.slack.http import WsgiApp, create_http_server
from testkit import PROJECT

_SERVING = re.compile(r"serving Slack requests at (http://127\.0\.0\.1:(\d+)/slack/events)")


@contextmanager
def sco_bot_serve(
    env: dict[str, str], timeout: float = 20.0
) -> Iterator[tuple[subprocess.Popen[str], str, int]]:
    """Run `sco-bot serve` on a free port; yield the process, its events URL and its port once
    it says it is serving (within `timeout`), and stop it afterwards."""
    proc = start_serve(env, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    # A thread drains stderr for the whole run: waiting never blocks past the deadline, and
    # the server never stalls on a full pipe.
    reader = threading.Thread(target=_drain, args=(proc.stderr, lines), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0 and proc.poll() is None, (proc.poll(), seen)
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            seen.append(line)
            found = _SERVING.search(line)
            if found:
                break
        yield proc, found.group(1), int(found.group(2))
    finally:
        proc.terminate()
        proc.wait(timeout)
        reader.join(timeout)
        proc.stderr.close()


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment without any Slack or SCO setting (and unbuffered output),
    plus `values`: what a test gives a `sco-bot` it starts."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "SCO_")) and k != "PYTHONWARNINGS"
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(values)
    return env


def start_serve(
    env: dict[str, str],
    stderr: int | IO[Any] = subprocess.PIPE,
    stdout: int | IO[Any] = subprocess.DEVNULL,
) -> subprocess.Popen[str]:
    """Start `sco-bot serve` on a free port of 127.0.0.1 (not waiting for it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", "0", "--host", "127.0.0.1"],
        cwd=PROJECT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        text=True,
    )


def _drain(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def close_on_loop_thread(server: Any) -> None:
    """Run server.close() on waitress's loop thread, waking it through its trigger pipe.

    Not `server.trigger.pull_trigger(server.close)`: that appends the thunk, releases the
    trigger's lock, then writes the wake-up byte. When the loop is already in the trigger's
    handle_read (a worker pulls the trigger after each response), it can run close() in
    between, closing the pipe, and the write then fails with EBADF (or lands in whatever
    reused that fd number). Holding the lock across both makes the write come first.
    """
    trigger = server.trigger
    with trigger.lock:
        trigger.thunks.append(server.close)
        trigger._physical_pull()


@contextmanager
def serve_wsgi(
    wsgi: WsgiApp, threads: int = 4, timeout: float = 10.0, **options: Any
) -> Iterator[str]:
    """Serve `wsgi` through the production server (bot.slack.http, with `options`) on a free
    port of 127.0.0.1 in a thread; yield its base URL, and stop it afterwards."""
    server = create_http_server(wsgi, "127.0.0.1", 0, threads, **options)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # Closed on the server's own loop thread (through its trigger pipe): the loop wakes at
        # once instead of at its next 1 s select timeout, and returns.
        close_on_loop_thread(server)
        thread.join(timeout)
        assert not thread.is_alive()
        server.task_dispatcher.shutdown()
