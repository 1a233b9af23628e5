"""The one place that reads the time; everything else takes `now` as an argument."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo


def parse_instant(text: str, tz: tzinfo) -> datetime:
    """Parse an ISO date or datetime; a date means midnight and a naive value means `tz`."""
    text = text.strip()
    if not text:
        raise ValueError("empty date")
    if len(text) == 10:
        day = date.fromisoformat(text)
        moment = datetime(day.year, day.month, day.day)
    else:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Clock:
    """Wall-clock time, or a rehearsal clock that starts at `start` and then runs forward."""

    start: datetime | None = None
    _origin: float = field(default_factory=time.monotonic, compare=False, repr=False)

    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        if self.start is None:
            return datetime.now(UTC)
        return self.start + timedelta(seconds=time.monotonic() - self._origin)
