"""The pipeline every surface shares: text → request → query → template → messages."""

from __future__ import annotations

import functools
import json
import sys
import threading
from collections import OrderedDict
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


# The answer cache is bounded by (estimated) memory, not by count: a request's words are part
# of its key, and 600 distinct 40,000-character requests once took 400 MB.
CACHE_BYTES = 16 * 1024 * 1024
# One answer may take at most this share of the budget (a bigger one is not cached).
LARGEST_SHARE = 8
_Key = tuple[str, Request, datetime]


def _weight(request: Request, rendered: Rendered) -> int:
    """Roughly the bytes an entry holds: its key's words and its rendered blocks (Python
    objects take several times their JSON length)."""
    words = sum(sys.getsizeof(arg) + 8 for arg in request.args)
    blocks = sum(len(json.dumps(m.payload(), ensure_ascii=False)) for m in rendered.messages)
    return 1024 + words + 8 * blocks


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
        self._cache: OrderedDict[_Key, tuple[Rendered, int]] = OrderedDict()
        self._cache_bytes = 0
        self._cache_now: tuple[str, datetime] | None = None  # the newest (version, minute)
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
        if cached is not None:
            return cached[0]
        rendered = self._render(request, digest, minute, caller)
        self._remember(key, rendered)
        return rendered

    def needs_ledger(self, text: str) -> bool:
        """Whether answering `text` reads or writes the reminder ledger (a database)."""
        return SUBCOMMANDS[parse(text).name].personal

    def _remember(self, key: _Key, rendered: Rendered) -> None:
        """Cache an answer; drop what can no longer be asked for, then the oldest."""
        version, request, minute = key
        weight = _weight(request, rendered)
        if weight > CACHE_BYTES // LARGEST_SHARE:
            return
        with self._cache_lock:
            newest = self._cache_now
            if newest is not None and minute < newest[1]:
                return  # a late request for a past minute: nobody will ask for it again
            if newest != (version, minute):
                # A new minute (or digest): every entry cached before it is dead weight.
                self._cache.clear()
                self._cache_bytes = 0
                self._cache_now = (version, minute)
            if key not in self._cache:
                self._cache[key] = (rendered, weight)
                self._cache_bytes += weight
            while self._cache_bytes > CACHE_BYTES:
                _, (_, dropped) = self._cache.popitem(last=False)
                self._cache_bytes -= dropped

    def cache_usage(self) -> tuple[int, int]:
        """The answer cache's entries and their estimated bytes."""
        with self._cache_lock:
            return len(self._cache), self._cache_bytes

    def _render(
        self, request: Request, digest: Digest, now: datetime, caller: Caller | None
    ) -> Rendered:
        situation = Situation(digest, now, self.timezone, caller, self.reminders, self.admins)
        reply = run(request, situation)
        return Rendered(self.renderer.messages(reply.template, reply.context), reply.public)

    def render(self, template: str, **context: object) -> list[Message]:
        """Render a template outside a command (errors, notices)."""
        return self.renderer.messages(template, {"version": self.digest().version, **context})
