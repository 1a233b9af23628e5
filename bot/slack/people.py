"""Who is asking, as Slack knows them: a user's own timezone (users.info), cached per user."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from cachetools import TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.commands.parsing import Request

log = logging.getLogger("sco_bot")
ZONE_TTL_SECONDS = 6 * 3600  # people travel; a day-old zone is still a good default
MAX_CACHED_USERS = 10_000


class UserZones:
    """Users' IANA timezones from `users.info` (scope users:read), each asked once per TTL.

    Unknown answers None (the caller's default is then SCO_TIMEZONE); only a Slack answer is
    cached, not a failed connection. At most MAX_CACHED_USERS are kept (the least recently
    used go first)."""

    def __init__(self, client: WebClient, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self._zones: TTLCache[str, str | None] = TTLCache(
            MAX_CACHED_USERS, ZONE_TTL_SECONDS, timer=clock
        )
        self._lock = threading.Lock()

    def known(self, user_id: str | None) -> tuple[bool, str | None]:
        """(True, zone) when the user's zone is cached (or there is no user), without asking."""
        if not user_id:
            return True, None
        with self._lock:
            if user_id in self._zones:
                return True, self._zones[user_id]
        return False, None

    def zone(self, user_id: str | None) -> str | None:
        """The user's timezone, e.g. "Europe/Berlin" (None when unknown); asks Slack when the
        cache does not know it."""
        cached, zone = self.known(user_id)
        if cached or not user_id:
            return zone
        try:
            found = self.client.users_info(user=user_id).get("user") or {}
        except SlackApiError as refused:  # Slack's answer (user_not_found...): kept, as None
            error = refused.response.get("error")
            log.warning("users.info for %s: %s", user_id[:20], error)
            if error == "ratelimited":  # not an answer about the user: asked again next time
                return None
            found = {}
        except (SlackClientError, OSError) as failed:  # no answer: asked again next time
            log.warning("users.info for %s failed: %s", user_id[:20], failed)
            return None
        zone = found.get("tz") if isinstance(found.get("tz"), str) else None
        with self._lock:
            self._zones[user_id] = zone
        return zone

    def for_command(self, request: Request, user_id: str | None) -> str | None:
        """The zone a `/sco` command needs: only `remind on` without `tz` uses it (the others,
        `remind status` included, ask Slack nothing, so Slack's silence never delays them)."""
        words = [a.casefold() for a in request.args]
        if request.name != "remind" or words[:1] != ["on"] or "tz" in words:
            return None
        return self.zone(user_id)
