"""Who is asking, as Slack knows them: a user's own timezone (users.info), cached per user."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from weakref import WeakKeyDictionary

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.commands.parsing import parse

log = logging.getLogger("sco_bot")
ZONE_TTL_SECONDS = 6 * 3600  # people travel; a day-old zone is still a good default
MAX_CACHED_USERS = 10_000


class UserZones:
    """Users' IANA timezones from `users.info` (scope users:read), each asked once per TTL.

    Unknown answers None (the caller's default is then SCO_TIMEZONE); only a Slack answer is
    cached, not a failed connection."""

    def __init__(self, client: WebClient, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.clock = clock
        self._zones: dict[str, tuple[str | None, float]] = {}
        self._lock = threading.Lock()

    def zone(self, user_id: str | None) -> str | None:
        """The user's timezone, e.g. "Europe/Berlin" (None when unknown)."""
        if not user_id:
            return None
        with self._lock:
            cached = self._zones.get(user_id)
        if cached is not None and self.clock() - cached[1] < ZONE_TTL_SECONDS:
            return cached[0]
        try:
            found = self.client.users_info(user=user_id).get("user") or {}
        except SlackApiError as refused:  # Slack's answer (user_not_found...): kept, as None
            log.warning("users.info for %s: %s", user_id[:20], refused.response.get("error"))
            found = {}
        except (SlackClientError, OSError) as error:  # no answer: asked again next time
            log.warning("users.info for %s failed: %s", user_id[:20], error)
            return None
        zone = found.get("tz") if isinstance(found.get("tz"), str) else None
        with self._lock:
            if len(self._zones) >= MAX_CACHED_USERS:
                self._zones.clear()
            self._zones[user_id] = (zone, self.clock())
        return zone

    def for_command(self, text: str, user_id: str | None) -> str | None:
        """The zone a `/sco` command needs (only `remind` uses it: other commands ask nothing)."""
        return self.zone(user_id) if parse(text).name == "remind" else None


_BY_APP: WeakKeyDictionary[App, UserZones] = WeakKeyDictionary()


def zones_of(app: App) -> UserZones:
    """The one user-timezone cache of an app, shared by its listeners."""
    found = _BY_APP.get(app)
    if found is None:
        found = _BY_APP[app] = UserZones(app.client)
    return found
