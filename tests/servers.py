"""Helpers for tests that run the real waitress server in a thread."""

from __future__ import annotations

from typing import Any


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
