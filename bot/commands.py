"""`/sco` text → request → domain query → template name and context."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import queries
from bot.dates import zone_name
from bot.knowledge import Digest, alias_key
from bot.reminders import (
    DEFAULT_LEADS,
    DEFAULT_TIME,
    SCHEDULE_WINDOW,
    LeadError,
    Subscription,
    dated_events,
    parse_leads,
    parse_time_of_day,
)
from bot.requests import WORDS, Request
from bot.requests import parse as parse  # re-exported: callers parse through commands too

if TYPE_CHECKING:
    from bot.remind import ReminderDesk


@dataclass(frozen=True)
class Reply:
    """What to render: a template and its context, and where the reply goes."""

    template: str
    context: Mapping[str, Any]
    public: bool = False


@dataclass(frozen=True)
class Caller:
    """Who typed the command, and in which channel."""

    channel_id: str
    user_id: str | None = None


@dataclass(frozen=True)
class Situation:
    """What a command is answered against: the digest, the time, the display timezone."""

    digest: Digest
    now: datetime
    timezone: tzinfo
    caller: Caller | None = None
    reminders: Callable[[], ReminderDesk] | None = None
    admins: frozenset[str] = frozenset()

    @property
    def timezone_name(self) -> str:
        """The IANA name of the display timezone."""
        return zone_name(self.timezone)


Handler = Callable[[Request, Situation], Reply]


@dataclass(frozen=True)
class Subcommand:
    """A `/sco` subcommand: its name, the words that also invoke it, and its handler."""

    name: str
    handler: Handler
    template: str
    aliases: tuple[str, ...] = field(default=())


def _context(situation: Situation, **values: Any) -> dict[str, Any]:
    return {
        "now": situation.now,
        "timezone": situation.timezone_name,
        "version": situation.digest.version,
        "docs": situation.digest.documents_by_id,
        **values,
    }


def _brief(request: Request, situation: Situation) -> Reply:
    digest = situation.digest
    try:
        meeting = queries.find_meeting(digest, request.args[0] if request.args else None)
    except queries.NotFound as missing:
        return Reply("not_found.j2", _context(situation, kind="meeting", missing=missing))
    briefing = queries.brief(digest, meeting, situation.now, situation.timezone)
    return Reply("brief.j2", _context(situation, b=briefing), request.public)


def _positions(request: Request, situation: Situation) -> Reply:
    digest = situation.digest
    if not request.args:
        return Reply(
            "actors.j2", _context(situation, actors=queries.actors_known(digest)), request.public
        )
    words, meeting = request.args, None
    if len(words) > 1 and alias_key(" ".join(words)) not in digest.aliases:
        # `positions china sco-defmin-2021`: the last word may name a meeting (id or prefix).
        try:
            meeting = queries.find_meeting(digest, words[-1])
            words = words[:-1]
        except queries.NotFound:
            pass
    try:
        actor = queries.find_actor(digest, " ".join(words))
    except queries.NotFound as missing:
        return Reply("not_found.j2", _context(situation, kind="actor", missing=missing))
    found = queries.positions(digest, actor, meeting)
    return Reply("positions.j2", _context(situation, p=found), request.public)


def _upcoming(request: Request, situation: Situation) -> Reply:
    found = queries.upcoming(situation.digest, situation.now, situation.timezone)
    return Reply("upcoming.j2", _context(situation, u=found), request.public)


def _sources(request: Request, situation: Situation) -> Reply:
    return Reply(
        "sources.j2", _context(situation, documents=situation.digest.documents), request.public
    )


def _remind(request: Request, situation: Situation) -> Reply:
    action = request.args[0].casefold() if request.args else "status"
    events = {e.id: e for _, e in dated_events(situation.digest)}
    context = _context(
        situation,
        action=action,
        status=None,
        error=None,
        refused=None,
        events=events,
        window=SCHEDULE_WINDOW,
    )
    if action not in ("on", "off", "status"):
        context["error"] = f"unknown action {request.args[0]!r}"
        return Reply("remind.j2", context)
    if situation.caller is None or situation.reminders is None:
        context["error"] = "reminders need a channel (type the command in Slack)"
        return Reply("remind.j2", context)
    changes = action in ("on", "off")
    if changes and situation.admins and situation.caller.user_id not in situation.admins:
        context["refused"] = sorted(situation.admins)
        return Reply("remind.j2", context)
    desk = situation.reminders()
    channel = situation.caller.channel_id
    if action == "on":
        try:
            sub = _subscription(request.args[1:], situation)
        except LeadError as bad:
            context["error"] = str(bad)
            return Reply("remind.j2", context)
        context["status"] = desk.subscribe(sub, situation.now)
    elif action == "off":
        context["status"] = desk.unsubscribe(channel, situation.now)
    else:
        context["status"] = desk.status(channel, situation.now)
    return Reply("remind.j2", context, request.public)


def _subscription(words: tuple[str, ...], situation: Situation) -> Subscription:
    """`[LEADS] [at HH:MM] [tz ZONE]` → a Subscription for the caller's channel."""
    assert situation.caller is not None
    leads: list[str] = []
    at = DEFAULT_TIME
    zone = situation.timezone_name
    rest = list(words)
    while rest:
        word = rest.pop(0)
        if word.casefold() in ("at", "tz"):
            if not rest:
                raise LeadError(f"{word!r} needs a value")
            value = rest.pop(0)
            if word.casefold() == "at":
                at = parse_time_of_day(value)
            else:
                zone = _zone_name(value)
        else:
            leads.append(word)
    return Subscription(
        channel_id=situation.caller.channel_id,
        leads=parse_leads(leads) if leads else DEFAULT_LEADS,
        at=at,
        timezone=zone,
        subscriber=situation.caller.user_id,
    )


def _zone_name(value: str) -> str:
    try:
        return ZoneInfo(value).key
    except (ZoneInfoNotFoundError, ValueError):
        raise LeadError(f"{value!r} is not an IANA timezone (e.g. Europe/Berlin)") from None


def _help(request: Request, situation: Situation) -> Reply:
    return Reply(
        "help.j2",
        _context(situation, commands=list(SUBCOMMANDS.values()), unknown=request.unknown),
        request.public,
    )


SUBCOMMANDS: dict[str, Subcommand] = {
    s.name: s
    for s in (
        Subcommand("brief", _brief, "brief.j2", WORDS["brief"]),
        Subcommand("positions", _positions, "positions.j2", WORDS["positions"]),
        Subcommand("upcoming", _upcoming, "upcoming.j2", WORDS["upcoming"]),
        Subcommand("sources", _sources, "sources.j2", WORDS["sources"]),
        Subcommand("remind", _remind, "remind.j2", WORDS["remind"]),
        Subcommand("help", _help, "help.j2", WORDS["help"]),
    )
}
assert set(SUBCOMMANDS) == set(WORDS), "every subcommand word needs a handler"


def answer(request: Request, situation: Situation) -> Reply:
    """Run a parsed request against the digest."""
    return SUBCOMMANDS[request.name].handler(request, situation)
