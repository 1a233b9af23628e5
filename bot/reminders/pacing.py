"""Client-side pacing of rate-limited calls, with a priority lane for calls a person waits on."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Slack's Tier 3 is "about 50 calls a minute" per method and workspace. Pacing a little under
# it, with a small burst, keeps 429s rare (burst + a minute's calls stay within 50 a minute).
TIER3_PER_MINUTE = 45.0
BURST = 3


class Pacer:
    """A token bucket shared by threads: `rate` calls a second on average, `burst` at once;
    urgent callers go first.

    A normal caller waits while any urgent caller is waiting, so a subscription change queues
    behind no bulk reconcile's calls, only behind the token being refilled."""

    def __init__(
        self, rate: float, burst: int = BURST, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = float(max(1, burst))
        self.clock = clock
        self._tokens = self.burst
        self._stamp = clock()
        self._urgent = 0
        self._cond = threading.Condition()

    def wait(self, urgent: bool = False) -> None:
        """Block until this call may go."""
        with self._cond:
            if urgent:
                self._urgent += 1
            try:
                while True:
                    now = self.clock()
                    self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                    self._stamp = now
                    if (urgent or self._urgent == 0) and self._tokens >= 1:
                        self._tokens -= 1
                        return
                    self._cond.wait(max(0.001, (1 - self._tokens) / self.rate))
            finally:
                if urgent:
                    self._urgent -= 1
                    self._cond.notify_all()


class Pacers:
    """One pacer per method (Slack limits each method separately); `speedup` scales time, so
    that a simulation runs at Slack's real rate in seconds."""

    def __init__(
        self, per_minute: float = TIER3_PER_MINUTE, burst: int = BURST, speedup: float = 1.0
    ) -> None:
        self.rate = per_minute / 60.0 * speedup
        self.burst = burst
        self._pacers: dict[str, Pacer] = {}
        self._guard = threading.Lock()

    def __call__(self, method: str) -> Pacer:
        """The pacer of `method`."""
        with self._guard:
            pacer = self._pacers.get(method)
            if pacer is None:
                pacer = self._pacers[method] = Pacer(self.rate, self.burst)
            return pacer
