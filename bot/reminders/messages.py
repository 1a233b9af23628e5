"""The words of reminder messages (a channel's reminders of one time in one message) and of the
notice that a channel cannot receive them."""

from __future__ import annotations

import threading
from datetime import datetime, tzinfo

from cachetools import LRUCache

from bot.knowledge.dates import zone, zone_name
from bot.knowledge.digest import Digest
from bot.queries.calendar import timing
from bot.queries.news import Follow, News
from bot.reminders.plan import Batch, Reminder, Subscription
from bot.rendering.blocks import Message
from bot.rendering.renderer import Renderer

CACHE_SIZE = 1024  # rendered messages kept, the least recently used dropped first


class ReminderMessages:
    """Renders reminder messages (once per digest, batch and post time) and broken notices."""

    def __init__(
        self, renderer: Renderer, default_tz: tzinfo, admins: frozenset[str] = frozenset()
    ) -> None:
        self.renderer = renderer
        self.default_tz = default_tz
        self.admins = admins  # when set, only they may stop reminders (the button says so)
        self._rendered: LRUCache[tuple[str, tuple[tuple[str, int], ...], datetime], Message] = (
            LRUCache(CACHE_SIZE)
        )
        self._lock = threading.Lock()  # deliveries render on several threads; LRUCache is not safe

    def reminder(self, reminder: Reminder, digest: Digest) -> Message:
        """One reminder's message, as it will be posted (the same for every channel)."""
        return self.batch(Batch((reminder,)), digest)

    def batch(self, batch: Batch, digest: Digest) -> Message:
        """The message of a channel's reminders falling at one time, as it will be posted."""
        items = tuple((r.event_id, r.lead_days) for r in batch.reminders)
        key = (digest.view_id, items, batch.post_at)
        with self._lock:
            message = self._rendered.get(key)
        if message is None:
            # Rendered outside the lock: two threads may render the same message, both equal.
            message = self._render(batch, digest)
            with self._lock:
                self._rendered[key] = message
        return message

    def _render(self, batch: Batch, digest: Digest) -> Message:
        items = []
        for reminder in batch.reminders:
            event = digest.event(reminder.event_id)
            tz = zone(event.timezone) if event.timezone else self.default_tz
            items.append(
                {
                    "event": event,
                    "lead": reminder.lead_days,
                    "timing": timing(event.date, tz, reminder.post_at),
                    "meeting": digest.event_meetings.get(event.id),
                }
            )
        context = {
            "items": items,
            "version": digest.version,
            "docs": digest.documents_by_id,
            "admins_only": bool(self.admins),
        }
        return self.renderer.messages("reminder.j2", context)[0]

    def channel_broken(self, sub: Subscription, reason: str) -> Message:
        """The direct message telling a subscriber that Slack refuses their channel."""
        context = {"channel_id": sub.channel_id, "reason": reason}
        return self.renderer.messages("reminder_broken.j2", context)[0]

    def news(self, news: News, digest: Digest, follow: Follow, now: datetime) -> Message:
        """A following channel's "What's new" message (capped to one message)."""
        context = {
            "news": news,
            "docs": digest.documents_by_id,
            "actors": digest.actors_by_id,
            "version": digest.version,
            "now": now,
            "timezone": zone_name(self.default_tz),
            "following": following_words(follow, digest),
        }
        return self.renderer.messages("whats_new.j2", context)[0]


def following_words(follow: Follow, digest: Digest) -> str:
    """What a channel follows, in words: "everything", or its actors' names and topics."""
    if follow.everything:
        return "everything"
    names = [digest.actors_by_id[a].name for a in sorted(follow.actors) if a in digest.actors_by_id]
    return "; ".join([*names, *(f"“{t}”" for t in follow.topics)])
