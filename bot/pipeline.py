"""The pipeline every surface shares: text → request → query → template → messages."""

from __future__ import annotations

import functools
import json
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from bot.commands import home
from bot.commands.dispatch import dispatch
from bot.commands.parsing import Request, parse
from bot.commands.registry import SUBCOMMANDS
from bot.commands.situation import Caller, Situation, Surface
from bot.knowledge.dates import zone_name
from bot.knowledge.digest import Digest
from bot.queries.calendar import day_zones, local_days
from bot.queries.menus import menu_choices
from bot.reminders.desk import NO_REMINDERS
from bot.rendering.blocks import Message, option_objects, parse_blocks, parse_view, with_blocks
from bot.rendering.labels import minute_marks
from bot.rendering.renderer import Renderer
from bot.rendering.stamps import Stamped

if TYPE_CHECKING:
    from bot.reminders.desk import Reminders
    from bot.reminders.feed import FeedLinks


# The answer cache is bounded by (estimated) memory, not by count: a request's words are part
# of its key, and 600 distinct 40,000-character requests once took 400 MB.
CACHE_BYTES = 16 * 1024 * 1024  # by default: SCO_ANSWER_CACHE_MB
# One answer may take at most this share of the budget (a bigger one is not cached).
LARGEST_SHARE = 8
# An answer depends on the digest, the request, the local day in each of the digest's zones
# (countdowns, what has begun or ended) and the minute (the "as of" stamps). It is rendered once
# per day and restamped for each new minute: only the stamps differ from minute to minute.
_Key = tuple[str, Request, tuple[date, ...], bool, Surface, str | None, bool]


@dataclass(frozen=True)
class _Entry:
    """A cached answer, its pages cut at its minute's marks, and its estimated bytes."""

    rendered: Rendered
    stamped: tuple[Stamped, ...]
    weight: int

    def at(self, minute: datetime, zones: tuple[str, ...]) -> Rendered:
        """The answer as of another minute of the same day: its stamps filled in anew."""
        rendered = self.rendered
        if rendered.minute is None or minute == rendered.minute:
            return rendered
        marks = minute_marks(minute, zones)
        return Rendered(tuple(s.fill(marks) for s in self.stamped), rendered.public, minute)


def _weight(request: Request, rendered: Rendered) -> int:
    """Roughly the bytes an entry holds: its key's words and its rendered pages (kept as JSON
    and, once asked for, as Python objects several times their JSON length)."""
    words = sum(sys.getsizeof(arg) + 8 for arg in request.args)
    return 1024 + words + 8 * sum(len(page) for page in rendered.pages)


SHARE_TEMPLATE = "share.j2"
WELCOME_TEMPLATE = "welcome.j2"
PRIVATE_TEMPLATES = frozenset({"not_found.j2", "calendar.j2"})  # a secret link stays private


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
    """The rendered reply to one command (each page a message's JSON), and whether it goes to
    the whole channel."""

    pages: tuple[str, ...]
    public: bool
    minute: datetime | None = None  # the minute its stamps show, when they can be restamped

    @classmethod
    def of(cls, messages: list[Message], public: bool, minute: datetime | None = None) -> Rendered:
        """From rendered messages."""
        return cls(tuple(json.dumps(m.payload()) for m in messages), public, minute)

    @functools.cached_property
    def messages(self) -> list[Message]:
        """The pages as messages."""
        return [_message(json.loads(page)) for page in self.pages]

    # A plain property: functools.cached_property takes one lock shared by every instance
    # (Python 3.11), and each answer's waitress threads would queue on it for a 1 µs join.
    @property
    def ack_body(self) -> str:
        """The first message as Slack's slash-command response JSON (pre-serialised pages)."""
        if self.public:  # a channel message: no link previews under the sources list either
            extra = ', "response_type": "in_channel", "unfurl_links": false, "unfurl_media": false'
        else:
            extra = ', "response_type": "ephemeral"'
        return self.pages[0][:-1] + extra + "}"


def _message(payload: dict[str, Any]) -> Message:
    return Message(payload["text"], tuple(payload["blocks"]))


class Pipeline:
    """Answers `/sco` text from the current digest, for Slack and the terminal alike."""

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
    ) -> None:
        self.digest = digest
        self.feed = feed
        self.renderer = renderer
        self.timezone = timezone
        self.reminders = reminders
        self.admins = admins
        self._cache: OrderedDict[_Key, _Entry] = OrderedDict()
        self._cache_bytes = 0
        self._cache_limit = cache_bytes
        self._cache_now: tuple[str, tuple[date, ...]] | None = None  # the newest (version, days)
        self._cache_lock = threading.Lock()
        self._loaded: dict[str, datetime] = {}  # digest version -> when first served

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
        share: bool = True,
        surface: Surface = Surface.REPLY,
    ) -> Rendered:
        """Answer the text typed after `/sco` (by `caller`, in a channel), as of `now`, for the
        surface it is read on (`public` posts a /sco reply).

        Briefings depend only on the digest, the request, the local day in the digest's zones
        and the minute (the stamps), so each is rendered once a day and restamped per minute."""
        request = parse(text)
        if surface is Surface.REPLY and request.public:
            surface = Surface.POST
        if surface is Surface.DM:
            return self._direct(request, now, caller)
        whole = self.digest()  # read once: a reload swaps it whole
        if SUBCOMMANDS[request.name].personal or not self._cache_limit:
            return self._render(request, whole.as_of(now), now, caller, share, surface)
        minute = now.replace(second=0, microsecond=0)
        zones = day_zones(whole, self.timezone)
        # Every answer is of the digest as of its minute: only what was published by then.
        digest = whole.as_of(minute)
        # A shared post names its sharer: it is one answer per user.
        sharer = caller.user_id if caller and surface is Surface.SHARE else None
        # With SCO_ADMINS, the reminder form's button is offered to admins only.
        may_remind = self.may_remind(caller.user_id if caller else None)
        days = local_days(minute, zones)
        key = (digest.view_id, request, days, share, surface, sharer, may_remind)
        cached = self._cache.get(key)
        if cached is not None:
            return cached.at(minute, zones)
        rendered = self._render(request, digest, minute, caller, share, surface)
        self._remember(key, rendered, zones)
        return rendered

    def _direct(self, request: Request, now: datetime, caller: Caller | None) -> Rendered:
        """The answer to a direct message, opening with a welcome on the user's first one."""
        situation = self.situation(now, caller)
        reply = self._render(request, situation.digest, now, caller, False, Surface.DM)
        if not home.first_contact(situation, "dm"):
            return reply
        welcome = self.renderer.messages(WELCOME_TEMPLATE, {"version": situation.digest.version})
        return Rendered((*Rendered.of(welcome, reply.public).pages, *reply.pages), reply.public)

    def may_remind(self, user_id: str | None) -> bool:
        """Whether a user may turn reminders on or off (everyone, unless SCO_ADMINS)."""
        return not self.admins or user_id in self.admins

    def needs_ledger(self, text: str) -> bool:
        """Whether answering `text` reads or writes the reminder ledger (a database)."""
        return SUBCOMMANDS[parse(text).name].personal

    def _remember(self, key: _Key, rendered: Rendered, zones: tuple[str, ...]) -> None:
        """Cache an answer; drop what can no longer be asked for, then the oldest."""
        version, request, days, *_ = key
        weight = 2 * _weight(request, rendered)  # its pages, and the same text cut at its stamps
        if weight > self._cache_limit // LARGEST_SHARE:
            return
        marks = minute_marks(rendered.minute, zones) if rendered.minute else ()
        entry = _Entry(rendered, tuple(Stamped.cut(page, marks) for page in rendered.pages), weight)
        with self._cache_lock:
            newest = self._cache_now
            if newest is not None and days < newest[1]:
                return  # a late request for a past day: nobody will ask for it again
            if newest != (version, days):
                # A new day (or digest): every entry cached before it is dead weight.
                self._cache.clear()
                self._cache_bytes = 0
                self._cache_now = (version, days)
            if key not in self._cache:
                self._cache[key] = entry
                self._cache_bytes += weight
            while self._cache_bytes > self._cache_limit:
                _, dropped = self._cache.popitem(last=False)
                self._cache_bytes -= dropped.weight

    def cache_usage(self) -> tuple[int, int]:
        """The answer cache's entries and their estimated bytes."""
        with self._cache_lock:
            return len(self._cache), self._cache_bytes

    def _render(
        self,
        request: Request,
        digest: Digest,
        now: datetime,
        caller: Caller | None,
        share: bool = True,
        surface: Surface = Surface.REPLY,
    ) -> Rendered:
        situation = Situation(
            digest, now, self.timezone, caller, self.reminders, self.admins, surface, self.feed
        )
        reply = dispatch(request, situation)
        # A private reply offers its menus and a "Share in channel" button; posts and modals
        # none (a menu on a post would replace it for everyone who reads it).
        interactive = surface is Surface.REPLY and not reply.public
        context = {**reply.context, "interactive": interactive}
        messages = self.renderer.messages(reply.template, context)
        if share and interactive and shareable(request, reply.template):
            button = self.renderer.source(SHARE_TEMPLATE, {"command": share_command(request)})
            messages = with_blocks(messages, parse_blocks(button))
        return Rendered.of(messages, reply.public, now if now.second == 0 else None)

    def situation(self, now: datetime, caller: Caller | None) -> Situation:
        """What a command by `caller` is answered against, now: the digest as of now."""
        digest = self.digest().as_of(now)
        return Situation(
            digest, now, self.timezone, caller, self.reminders, self.admins, feed=self.feed
        )

    def home(self, now: datetime, caller: Caller, notice: str | None = None) -> dict[str, Any]:
        """The caller's App Home tab (a `home` view), from the current digest, with a `notice`
        on top (what could not be shown to them)."""
        situation = self.situation(now, caller)
        loaded = self._loaded.setdefault(situation.digest.version, now)
        reply = home.handle(situation, loaded, notice)
        return parse_view(self.renderer.source(reply.template, reply.context))

    def menu_options(
        self, menu: str, typed: str, block_id: str, now: datetime
    ) -> list[dict[str, Any]]:
        """The options a menu offers for what the user typed (a menu past 100 choices)."""
        actor = block_id.removeprefix("earlier ") if block_id.startswith("earlier ") else ""
        digest = self.digest().as_of(now)
        return option_objects(menu_choices(digest, menu, typed, actor))

    def view(self, template: str, blocks: Sequence[Mapping[str, Any]] = (), **context: Any) -> Any:
        """A modal from a view template, with a reply's `blocks` after the template's own."""
        context = {"version": self.digest().version, "timezone": self.timezone_name, **context}
        return parse_view(self.renderer.source(template, context), blocks)

    def render(self, template: str, **context: object) -> list[Message]:
        """Render a template outside a command (errors, notices)."""
        return self.renderer.messages(template, {"version": self.digest().version, **context})
