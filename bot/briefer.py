"""The pipeline every surface shares: text → request → query → template → messages."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from bot.commands import Caller, Situation, answer
from bot.dates import zone_name
from bot.knowledge import Digest, load_digest
from bot.queries import prepare
from bot.render import Message, Renderer
from bot.requests import STATEFUL, Request, parse
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.remind import ReminderDesk


CACHE_SIZE = 512


@dataclass(frozen=True)
class Answer:
    """The rendered reply to one command, and whether it goes to the whole channel."""

    messages: list[Message]
    public: bool

    @functools.cached_property
    def ack_body(self) -> str:
        """The first message as Slack's slash-command response JSON (serialised once)."""
        response_type = "in_channel" if self.public else "ephemeral"
        return json.dumps({**self.messages[0].payload(), "response_type": response_type})


class Briefer:
    """Answers `/sco` text from one loaded digest, for Slack and the terminal alike."""

    def __init__(
        self,
        digest: Digest,
        renderer: Renderer,
        timezone: tzinfo,
        reminders: Callable[[], ReminderDesk] | None = None,
        admins: frozenset[str] = frozenset(),
    ) -> None:
        # Replaced whole on reload (one attribute swap); each answer reads it once.
        self.digest = digest
        self.renderer = renderer
        self.timezone = timezone
        self.reminders = reminders
        self.admins = admins
        self._cache: dict[tuple[str, Request, datetime], Answer] = {}
        self._cache_lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        reminders: Callable[[], ReminderDesk] | None = None,
        *,
        precompile: bool = False,
    ) -> Briefer:
        """Load the digest and templates the settings name (raises DigestError when invalid).

        With `precompile` (a server), templates and the digest's derived views are built now,
        not on someone's first command."""
        cache = settings.cache_dir
        digest = load_digest(Path(settings.knowledge_dir), cache)
        if precompile:
            prepare(digest, settings.timezone)
        return cls(
            digest,
            Renderer(
                Path(settings.templates_dir),
                precompile=precompile,
                bytecode_cache=cache / "templates" if cache else None,
            ),
            settings.timezone,
            reminders,
            settings.admins,
        )

    @property
    def timezone_name(self) -> str:
        """The IANA name of the display timezone."""
        return zone_name(self.timezone)

    def answer(self, text: str, now: datetime, caller: Caller | None = None) -> Answer:
        """Answer the text typed after `/sco` (by `caller`, in a channel), as of `now`.

        Briefings depend only on the digest, the request and the minute (replies show time to
        the minute and change at local midnights), so each is rendered once per minute."""
        request = parse(text)
        digest = self.digest  # read once: a reload swaps it whole
        if request.name in STATEFUL:
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
    ) -> Answer:
        situation = Situation(digest, now, self.timezone, caller, self.reminders, self.admins)
        reply = answer(request, situation)
        return Answer(self.renderer.messages(reply.template, reply.context), reply.public)

    def render(self, template: str, **context: object) -> list[Message]:
        """Render a template outside a command (errors, notices)."""
        return self.renderer.messages(template, {"version": self.digest.version, **context})
