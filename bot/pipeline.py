"""The pipeline every surface shares: text → request → query → template → messages."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from bot.commands import home
from bot.commands.dispatch import run
from bot.commands.parsing import Request, parse
from bot.commands.registry import SUBCOMMANDS
from bot.commands.situation import Caller, Situation
from bot.knowledge.dates import zone_name
from bot.knowledge.digest import Digest
from bot.rendering.blocks import Message, parse_blocks, parse_view, with_blocks
from bot.rendering.renderer import Renderer

if TYPE_CHECKING:
    from bot.reminders.desk import ReminderDesk


CACHE_SIZE = 512
SHARE_TEMPLATE = "share.j2"
PRIVATE_TEMPLATES = frozenset({"not_found.j2"})


def shareable(request: Request, template: str) -> bool:
    """Whether a private reply offers "Share in channel": not a name that was not found, nor
    the help for a mistyped command (those stay with the typist, as with `public`)."""
    return request.unknown is None and template not in PRIVATE_TEMPLATES


def share_command(request: Request) -> str:
    """What "Share in channel" runs again, publicly: the request itself; for reminders only
    `remind status` (sharing must never subscribe or unsubscribe again)."""
    if request.name == "remind":
        return "remind status"
    return " ".join((request.name, *request.args))


@dataclass(frozen=True)
class Rendered:
    """The rendered reply to one command, and whether it goes to the whole channel."""

    messages: list[Message]
    public: bool

    @functools.cached_property
    def ack_body(self) -> str:
        """The first message as Slack's slash-command response JSON (serialised once)."""
        body: dict[str, Any] = {**self.messages[0].payload(), "response_type": "ephemeral"}
        if self.public:  # a channel message: no link previews under the sources list either
            body.update(response_type="in_channel", unfurl_links=False, unfurl_media=False)
        return json.dumps(body)


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
        self._loaded: dict[str, datetime] = {}  # digest version -> when first served

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
        # A private reply offers its menus and a "Share in channel" button; a public one none.
        context = {**reply.context, "interactive": not reply.public}
        messages = self.renderer.messages(reply.template, context)
        if not reply.public and shareable(request, reply.template):
            share = self.renderer.source(SHARE_TEMPLATE, {"command": share_command(request)})
            messages = with_blocks(messages, parse_blocks(share))
        return Rendered(messages, reply.public)

    def situation(self, now: datetime, caller: Caller | None) -> Situation:
        """What a command by `caller` is answered against, now."""
        return Situation(self.digest(), now, self.timezone, caller, self.reminders, self.admins)

    def home(self, now: datetime, caller: Caller) -> dict[str, Any]:
        """The caller's App Home tab (a `home` view), from the current digest."""
        situation = self.situation(now, caller)
        loaded = self._loaded.setdefault(situation.digest.version, now)
        reply = home.handle(situation, loaded)
        return parse_view(self.renderer.source(reply.template, reply.context))

    def view(self, template: str, blocks: Sequence[Mapping[str, Any]] = (), **context: Any) -> Any:
        """A modal from a view template, with a reply's `blocks` after the template's own."""
        context = {"version": self.digest().version, "timezone": self.timezone_name, **context}
        return parse_view(self.renderer.source(template, context), blocks)

    def render(self, template: str, **context: object) -> list[Message]:
        """Render a template outside a command (errors, notices)."""
        return self.renderer.messages(template, {"version": self.digest().version, **context})
