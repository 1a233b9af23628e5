"""`sco-bot serve`'s stop (bot/serve.py): draining waitress on SIGTERM raises nothing, however
the threads interleave."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

import pytest

from bot import serve
from bot.slack.http import create_http_server

TIMEOUT = 10.0


def hello(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def test_the_drain_never_writes_to_a_trigger_the_loop_has_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The interleaving that failed about one stop in five: the loop is woken by the drain's
    # first pull and runs its thunks only after the drain queued its last one, but before
    # the drain wrote the byte that goes with it. That last thunk closed every channel, the
    # trigger included, so the drain's write hit a closed descriptor (EBADF, or another
    # file that reused the number) and its thread died with a traceback on stderr.
    failures: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))
    server = create_http_server(hello, "127.0.0.1", 0, threads=1)
    trigger = server.trigger
    handle_read, physical_pull = trigger.handle_read, trigger._physical_pull
    pulls = [0]

    def late_loop() -> None:  # the loop is slow to run the first pull's thunks ...
        time.sleep(0.2)
        handle_read()

    def late_pull() -> None:  # ... and the drain slow to write its second byte
        pulls[0] += 1
        if pulls[0] > 1:
            time.sleep(0.4)
        physical_pull()

    monkeypatch.setattr(trigger, "handle_read", late_loop)
    monkeypatch.setattr(trigger, "_physical_pull", late_pull)
    stopping = threading.Event()
    runner = threading.Thread(target=serve._run_until, args=(server, stopping), daemon=True)
    runner.start()
    stopping.set()
    runner.join(TIMEOUT)
    assert not runner.is_alive()
    for thread in threading.enumerate():
        if thread.name == serve.DRAIN_THREAD:
            thread.join(TIMEOUT)
    assert failures == []
    assert server._map == {}  # every channel closed, the trigger included
