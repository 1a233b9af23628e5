"""What a handler answers against (the digest, the time, who asks) and what it returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from bot.knowledge.dates import zone_name
from bot.knowledge.digest import Digest

if TYPE_CHECKING:
    from bot.reminders.desk import ReminderDesk


@dataclass(frozen=True)
class Reply:
    """What to say: a template and its context, and whether it goes to the whole channel."""

    template: str
    context: Mapping[str, Any]
    public: bool = False


@dataclass(frozen=True)
class Caller:
    """Who typed the command, in which channel, and their own timezone (Slack's profile)."""

    channel_id: str
    user_id: str | None = None
    # The caller's IANA timezone from Slack (users.info), when known: `remind on`'s default.
    timezone: str | None = None


@dataclass(frozen=True)
class Situation:
    """What a command is answered against: the digest, the time, the display timezone."""

    digest: Digest
    now: datetime
    timezone: tzinfo
    caller: Caller | None = None
    reminders: Callable[[], ReminderDesk] | None = None
    admins: frozenset[str] = frozenset()

    @property
    def timezone_name(self) -> str:
        """The IANA name of the display timezone."""
        return zone_name(self.timezone)

    def context(self, **values: Any) -> dict[str, Any]:
        """A template context: what every reply shows (time, zone, digest version) plus `values`."""
        return {
            "now": self.now,
            "timezone": self.timezone_name,
            "version": self.digest.version,
            "docs": self.digest.documents_by_id,
            "actors": self.digest.actors_by_id,
            "meetings": self.digest.meetings,
            **values,
        }
