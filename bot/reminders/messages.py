"""The words of reminder messages and of the notice that a channel cannot receive them."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.knowledge.dates import zone
from bot.knowledge.digest import Digest
from bot.queries.calendar import timing
from bot.reminders.plan import Reminder, Subscription
from bot.rendering.blocks import Message
from bot.rendering.renderer import Renderer

CACHE_SIZE = 1024


class ReminderMessages:
    """Renders reminders (once per digest, event, lead and post time) and broken notices."""

    def __init__(self, renderer: Renderer, default_tz: tzinfo) -> None:
        self.renderer = renderer
        self.default_tz = default_tz
        self._rendered: dict[tuple[str, str, int, datetime], Message] = {}

    def reminder(self, reminder: Reminder, digest: Digest) -> Message:
        """The reminder's message, as it will be posted (the same for every channel)."""
        key = (digest.view_id, reminder.event_id, reminder.lead_days, reminder.post_at)
        message = self._rendered.get(key)
        if message is None:
            message = self._render(reminder, digest)
            if len(self._rendered) >= CACHE_SIZE:
                self._rendered.clear()
            self._rendered[key] = message
        return message

    def _render(self, reminder: Reminder, digest: Digest) -> Message:
        event = digest.event(reminder.event_id)
        tz = zone(event.timezone) if event.timezone else self.default_tz
        context = {
            "event": event,
            "lead": reminder.lead_days,
            "timing": timing(event.date, tz, reminder.post_at),
            "version": digest.version,
            "docs": digest.documents_by_id,
        }
        return self.renderer.messages("reminder.j2", context)[0]

    def channel_broken(self, sub: Subscription, reason: str) -> Message:
        """The direct message telling a subscriber that Slack refuses their channel."""
        context = {"channel_id": sub.channel_id, "reason": reason}
        return self.renderer.messages("reminder_broken.j2", context)[0]
