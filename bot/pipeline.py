"""The pipeline every surface shares: request → command → template → messages.

`Rendered` and `CACHE_BYTES` are imported here for the callers that know them from here."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING

from bot.commands import home
from bot.commands.dispatch import dispatch
from bot.commands.parsing import Request, parse
from bot.commands.registry import SUBCOMMANDS
from bot.commands.situation import Caller, Situation, Surface
from bot.knowledge.dates import zone_name
from bot.knowledge.digest import Digest
from bot.queries.calendar import day_zones, local_days
from bot.reminders.desk import NO_REMINDERS
from bot.rendering.blocks import Message
from bot.rendering.rendered import Rendered
from bot.rendering.renderer import Renderer
from bot.rendering.restamping import CACHE_BYTES, RestampingCache

__all__ = ["CACHE_BYTES", "Finish", "Pipeline", "Rendered"]

if TYPE_CHECKING:
    from bot.reminders.desk import Reminders
    from bot.reminders.feed import FeedLinks


# An answer is kept for the rest of its day under everything else it depends on: the digest
# as of its minute, the request, the surface, who shared it, whether the caller may remind.
_Key = tuple[str, Request, tuple[date, ...], Surface, str | None, bool]
WELCOME_TEMPLATE = "welcome.j2"
# What a private reply gets added to it on the surface that shows it (Slack's Share button).
Finish = Callable[[Request, str, list[Message]], list[Message]]


class Pipeline:
    """Answers `/sco` requests from the current digest, for Slack and the terminal alike: it
    dispatches a parsed request to its command and renders the reply (kept for the rest of its
    day in a RestampingCache). How a surface shows the reply is that surface's (bot/slack/)."""

    def __init__(
        self,
        digest: Callable[[], Digest],
        renderer: Renderer,
        timezone: tzinfo,
        reminders: Reminders = NO_REMINDERS,
        admins: frozenset[str] = frozenset(),
        *,
        cache_bytes: int = CACHE_BYTES,
        feed: FeedLinks | None = None,
        finish: Finish | None = None,
    ) -> None:
        self.digest = digest
        self.feed = feed
        self.renderer = renderer
        self.timezone = timezone
        self.reminders = reminders
        self.admins = admins
        self.finish = finish
        self.cache = RestampingCache(cache_bytes)

    @property
    def timezone_name(self) -> str:
        """The IANA name of the display timezone."""
        return zone_name(self.timezone)

    def respond(
        self,
        text: str,
        now: datetime,
        caller: Caller | None = None,
        *,
        surface: Surface = Surface.REPLY,
    ) -> Rendered:
        """Answer the text typed after `/sco` (see `answer`)."""
        return self.answer(parse(text), now, caller, surface=surface)

    def answer(
        self,
        request: Request,
        now: datetime,
        caller: Caller | None = None,
        *,
        surface: Surface = Surface.REPLY,
    ) -> Rendered:
        """Answer a request (by `caller`, in a channel), as of `now`, for the surface it is read
        on (`public` posts a /sco reply).

        Briefings depend only on the digest, the request, the local day in the digest's zones
        and the minute (the stamps), so each is rendered once a day and restamped per minute."""
        if surface is Surface.REPLY and request.public:
            surface = Surface.POST
        if surface is Surface.DM:
            return self._direct(request, now, caller)
        whole = self.digest()  # read once: a reload swaps it whole
        if SUBCOMMANDS[request.name].personal or not self.cache:
            return self._render(request, whole.as_of(now), now, caller, surface)
        minute = now.replace(second=0, microsecond=0)
        zones = day_zones(whole, self.timezone)
        # Every answer is of the digest as of its minute: only what was published by then.
        digest = whole.as_of(minute)
        # A shared post names its sharer: it is one answer per user.
        sharer = caller.user_id if caller and surface is Surface.SHARE else None
        # With SCO_ADMINS, the reminder form's button is offered to admins only.
        may_remind = self.may_remind(caller.user_id if caller else None)
        days = local_days(minute, zones)
        key: _Key = (digest.view_id, request, days, surface, sharer, may_remind)
        cached = self.cache.get(key, minute, zones)
        if cached is not None:
            return cached
        rendered = self._render(request, digest, minute, caller, surface)
        words = sum(sys.getsizeof(arg) + 8 for arg in request.args)  # the key's own bytes
        self.cache.put((digest.view_id, days), key, rendered, zones, words)
        return rendered

    def _direct(self, request: Request, now: datetime, caller: Caller | None) -> Rendered:
        """The answer to a direct message, opening with a welcome on the user's first one."""
        situation = self.situation(now, caller)
        reply = self._render(request, situation.digest, now, caller, Surface.DM)
        if not home.first_contact(situation, "dm"):
            return reply
        welcome = self.renderer.messages(WELCOME_TEMPLATE, {"version": situation.digest.version})
        return Rendered((*Rendered.of(welcome, reply.public).pages, *reply.pages), reply.public)

    def may_remind(self, user_id: str | None) -> bool:
        """Whether a user may turn reminders on or off (everyone, unless SCO_ADMINS)."""
        return not self.admins or user_id in self.admins

    @staticmethod
    def needs_ledger(request: Request) -> bool:
        """Whether answering reads or writes the reminder ledger (a database)."""
        return SUBCOMMANDS[request.name].personal

    def cache_usage(self) -> tuple[int, int]:
        """The answer cache's entries and their estimated bytes."""
        return self.cache.usage()

    def _render(
        self,
        request: Request,
        digest: Digest,
        now: datetime,
        caller: Caller | None,
        surface: Surface = Surface.REPLY,
    ) -> Rendered:
        situation = Situation(
            digest, now, self.timezone, caller, self.reminders, self.admins, surface, self.feed
        )
        reply = dispatch(request, situation)
        # A private reply offers its menus and what its surface adds (Slack's Share button);
        # posts and modals none (a menu on a post would replace it for everyone who reads it).
        interactive = surface is Surface.REPLY and not reply.public
        context = {**reply.context, "interactive": interactive}
        messages = self.renderer.messages(reply.template, context)
        if interactive and self.finish is not None:
            messages = self.finish(request, reply.template, messages)
        return Rendered.of(messages, reply.public, now if now.second == 0 else None)

    def situation(self, now: datetime, caller: Caller | None) -> Situation:
        """What a command by `caller` is answered against, now: the digest as of now."""
        digest = self.digest().as_of(now)
        return Situation(
            digest, now, self.timezone, caller, self.reminders, self.admins, feed=self.feed
        )

    def render(self, template: str, **context: object) -> list[Message]:
        """Render a template outside a command (errors, notices)."""
        return self.renderer.messages(template, {"version": self.digest().version, **context})
