"""Rendered answers kept in memory for the rest of their day, restamped for each new minute.

An answer depends on the digest, the request, the local day in each of the digest's zones
(countdowns, what has begun or ended) and the minute (the "as of" stamps). It is rendered once
per day and restamped for each new minute: only the stamps differ from minute to minute. The
cache is bounded by (estimated) memory, not by count: a request's words are part of its key,
and 600 distinct 40,000-character requests once took 400 MB."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime

from cachetools import LRUCache

from bot.rendering.labels import minute_marks
from bot.rendering.rendered import Rendered
from bot.rendering.stamps import Stamped

CACHE_BYTES = 16 * 1024 * 1024  # by default: SCO_ANSWER_CACHE_MB
# One answer may take at most this share of the budget (a bigger one is not cached).
LARGEST_SHARE = 8
Day = tuple[str, tuple[date, ...]]  # a digest version and the local day in each of its zones


@dataclass(frozen=True)
class _Entry:
    """A cached answer, its pages cut at its minute's marks, and its estimated bytes."""

    rendered: Rendered
    stamped: tuple[Stamped, ...]
    weight: int

    def at(self, minute: datetime, zones: tuple[str, ...]) -> Rendered:
        """The answer as of another minute of the same day: its stamps filled in anew."""
        rendered = self.rendered
        if rendered.minute is None or minute == rendered.minute:
            return rendered
        marks = minute_marks(minute, zones)
        return Rendered(tuple(s.fill(marks) for s in self.stamped), rendered.public, minute)


def weight(rendered: Rendered, key_bytes: int) -> int:
    """Roughly the bytes an entry holds: its key (`key_bytes`), its rendered pages (kept as JSON
    and, once asked for, as Python objects several times their JSON length), and the same
    text cut at its stamps."""
    return 2 * (1024 + key_bytes + 8 * sum(len(page) for page in rendered.pages))


class RestampingCache:
    """Today's rendered answers of the current digest, at most `max_bytes` of them (estimated),
    the least recently used dropped first; a new day or digest drops every older answer."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: LRUCache[Hashable, _Entry] = LRUCache(
            max(max_bytes, 1), getsizeof=lambda entry: entry.weight
        )
        self._day: Day | None = None  # the newest day an answer was kept for
        self._lock = threading.Lock()  # an LRUCache reorders itself on every read

    def __bool__(self) -> bool:
        return self.max_bytes > 0

    def get(self, key: Hashable, minute: datetime, zones: tuple[str, ...]) -> Rendered | None:
        """The answer kept under `key`, restamped for `minute` (None when not kept)."""
        with self._lock:
            entry = self._entries.get(key)
        return None if entry is None else entry.at(minute, zones)

    def put(
        self, day: Day, key: Hashable, rendered: Rendered, zones: tuple[str, ...], key_bytes: int
    ) -> None:
        """Keep an answer of `day`; drop what can no longer be asked for, then the least
        recently used. An answer for a day before the newest, or too big, is not kept."""
        size = weight(rendered, key_bytes)
        if size > self.max_bytes // LARGEST_SHARE:
            return
        marks = minute_marks(rendered.minute, zones) if rendered.minute else ()
        entry = _Entry(rendered, tuple(Stamped.cut(page, marks) for page in rendered.pages), size)
        with self._lock:
            if self._day is not None and day[1] < self._day[1]:
                return  # a late request for a past day: nobody will ask for it again
            if self._day != day:
                # A new day (or digest): every entry kept before it is dead weight.
                self._entries.clear()
                self._day = day
            if key not in self._entries:
                self._entries[key] = entry

    def usage(self) -> tuple[int, int]:
        """The entries kept and their estimated bytes."""
        with self._lock:
            return len(self._entries), int(self._entries.currsize)
