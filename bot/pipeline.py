"""The pipeline every surface shares: text → request → query → template → messages."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from bot.commands.dispatch import run
from bot.commands.parsing import Request, parse
from bot.commands.registry import SUBCOMMANDS
from bot.commands.situation import Caller, Situation
from bot.knowledge.dates import zone_name
from bot.knowledge.digest import Digest
from bot.rendering.blocks import Message
from bot.rendering.renderer import Renderer

if TYPE_CHECKING:
    from bot.reminders.desk import ReminderDesk


CACHE_SIZE = 512


@dataclass(frozen=True)
class Rendered:
    """The rendered reply to one command, and whether it goes to the whole channel."""

    messages: list[Message]
    public: bool

    @functools.cached_property
    def ack_body(self) -> str:
        """The first message as Slack's slash-command response JSON (serialised once)."""
        response_type = "in_channel" if self.public else "ephemeral"
        return json.dumps({**self.messages[0].payload(), "response_type": response_type})


class Pipeline:
    """Answers `/sco` text from the current digest, for Slack and the terminal alike."""

    def __init__(
        self,
        digest: Callable[[], Digest],
        renderer: Renderer,
        timezone: tzinfo,
        reminders: Callable[[], ReminderDesk] | None = None,
        admins: frozenset[str] = frozenset(),
    ) -> None:
        self.digest = digest
        self.renderer = renderer
        self.timezone = timezone
        self.reminders = reminders
        self.admins = admins
        self._cache: dict[tuple[str, Request, datetime], Rendered] = {}
        self._cache_lock = threading.Lock()

    @property
    def timezone_name(self) -> str:
        """The IANA name of the display timezone."""
        return zone_name(self.timezone)

    def respond(self, text: str, now: datetime, caller: Caller | None = None) -> Rendered:
        """Answer the text typed after `/sco` (by `caller`, in a channel), as of `now`.

        Briefings depend only on the digest, the request and the minute (replies show time to
        the minute and change at local midnights), so each is rendered once per minute."""
        request = parse(text)
        digest = self.digest()  # read once: a reload swaps it whole
        if SUBCOMMANDS[request.name].personal:
            return self._render(request, digest, now, caller)
        minute = now.replace(second=0, microsecond=0)
        key = (digest.version, request, minute)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._render(request, digest, minute, caller)
            with self._cache_lock:
                self._cache[key] = cached
                while len(self._cache) > CACHE_SIZE:
                    self._cache.pop(next(iter(self._cache)))
        return cached

    def _render(
        self, request: Request, digest: Digest, now: datetime, caller: Caller | None
    ) -> Rendered:
        situation = Situation(digest, now, self.timezone, caller, self.reminders, self.admins)
        reply = run(request, situation)
        return Rendered(self.renderer.messages(reply.template, reply.context), reply.public)

    def render(self, template: str, **context: object) -> list[Message]:
        """Render a template outside a command (errors, notices)."""
        return self.renderer.messages(template, {"version": self.digest().version, **context})
