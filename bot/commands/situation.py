"""What a handler answers against (the digest, the time, who asks) and what it returns."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.knowledge.dates import zone_name
from bot.knowledge.digest import Digest
from bot.reminders.desk import NO_REMINDERS, Reminders

if TYPE_CHECKING:
    from bot.reminders.feed import FeedLinks


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
    # Where the request came in (`https://host`), for links back to this server.
    origin: str | None = None


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


class Surface(StrEnum):
    """Where a reply is read: it decides how long it may be and what it may offer to press."""

    REPLY = "reply"  # a /sco reply, private to its typist: menus and "Share in channel"
    POST = "post"  # posted for a channel or thread to read (`public`, a mention, a DM)
    SHARE = "share"  # posted by the Share button: says who shared it
    DM = "dm"  # posted in a direct message to the bot (a first one opens with a welcome)
    VIEW = "view"  # a modal: the whole reply, nothing to press in it

    @property
    def posted(self) -> bool:
        """Read by a whole channel or thread: summary first, the rest one click away."""
        return self in (Surface.POST, Surface.SHARE, Surface.DM)


@dataclass(frozen=True)
class Situation:
    """What a command is answered against: the digest, the time, the display timezone."""

    digest: Digest
    now: datetime
    timezone: tzinfo
    caller: Caller | None = None
    reminders: Reminders = NO_REMINDERS  # built by the composition root, or "not here"
    admins: frozenset[str] = frozenset()
    surface: Surface = Surface.REPLY
    feed: FeedLinks | None = None  # the calendar feed's links (None: not served)

    @property
    def posted(self) -> bool:
        """The reply is read by a channel (summary first), not by its typist alone."""
        return self.surface.posted

    @property
    def timezone_name(self) -> str:
        """The IANA name of the display timezone."""
        return zone_name(self.timezone)

    @property
    def may_remind(self) -> bool:
        """Whether the caller may turn reminders on or off (everyone, unless SCO_ADMINS)."""
        user = self.caller.user_id if self.caller else None
        return not self.admins or user in self.admins

    def _sharer(self) -> str | None:
        """The user who shared a reply (a Slack user id), for "Shared by" on the post."""
        if self.surface is not Surface.SHARE or self.caller is None:
            return None
        user = self.caller.user_id or ""
        # Shown as a mention: only a real Slack user id may stand inside `<@…>`.
        return user if _USER_ID.fullmatch(user) else None

    def context(self, **values: Any) -> dict[str, Any]:
        """A template context: what every reply shows (time, zone, digest version) plus `values`."""
        return {
            "now": self.now,
            "timezone": self.timezone_name,
            "version": self.digest.version,
            "docs": self.digest.documents_by_id,
            "actors": self.digest.actors_by_id,
            "meetings": self.digest.meetings,
            "posted": self.surface.posted,
            "in_view": self.surface is Surface.VIEW,
            "shared_by": self._sharer(),
            # The reminder form is offered only to those who may use it; the others are told who.
            "may_remind": self.may_remind,
            "admins": sorted(self.admins),
            **values,
        }
