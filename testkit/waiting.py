"""Waiting for a condition with a deadline, never a fixed sleep."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    get: Callable[[], T], ok: Callable[[T], bool], timeout: float = 5.0, poll: float = 0.02
) -> T:
    """Re-read `get()` until `ok` holds or the deadline passes; return the last value read."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = get()
        if ok(value) or time.monotonic() > deadline:
            return value
        pause.wait(poll)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, poll: float = 0.02) -> bool:
    """True once `condition()` holds; False if it still does not at the deadline."""
    return eventually(condition, bool, timeout, poll)
