"""`/sco remind on|off|status`: a channel's reminder subscription."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.commands.parsing import Request
from bot.commands.situation import Caller, Reply, Situation
from bot.reminders.plan import (
    DEFAULT_LEADS,
    DEFAULT_TIME,
    SCHEDULE_WINDOW,
    LeadError,
    Subscription,
    parse_leads,
    parse_time_of_day,
)

ACTIONS = ("on", "off", "status")


def handle(request: Request, situation: Situation) -> Reply:
    """Subscribe, unsubscribe or show the caller's channel; say why when it cannot."""
    action = request.args[0].casefold() if request.args else "status"
    context = situation.context(
        action=action,
        status=None,
        error=None,
        refused=None,
        events=situation.digest.events_by_id,
        window=SCHEDULE_WINDOW,
    )
    problem = _refusal(request, situation, action)
    if problem:
        context.update(problem)
        return Reply("remind.j2", context)
    assert situation.caller is not None
    reminders = situation.reminders
    caller = situation.caller
    if action == "on":
        try:
            sub = _subscription(request.args[1:], situation, caller)
        except LeadError as bad:
            context["error"] = str(bad)
            return Reply("remind.j2", context)
        context["status"] = reminders.subscribe(sub, situation.now)
    elif action == "off":
        context["status"] = reminders.unsubscribe(caller.channel_id, situation.now)
    else:
        context["status"] = reminders.status(caller.channel_id, situation.now)
    return Reply("remind.j2", context, request.public)


def _refusal(request: Request, situation: Situation, action: str) -> dict[str, Any] | None:
    """Why the request cannot go ahead (as template context), or None."""
    if action not in ACTIONS:
        return {"error": f"unknown action {request.args[0]!r}"}
    if situation.caller is None or not situation.reminders.available:
        return {"error": "reminders need a channel (type the command in Slack)"}
    changes = action in ("on", "off")
    if changes and situation.admins and situation.caller.user_id not in situation.admins:
        return {"refused": sorted(situation.admins)}
    return None


def _subscription(words: tuple[str, ...], situation: Situation, caller: Caller) -> Subscription:
    """`[LEADS] [at HH:MM] [tz ZONE]` → a Subscription for the caller's channel."""
    leads: list[str] = []
    at = DEFAULT_TIME
    zone = _caller_zone(caller) or situation.timezone_name
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
        channel_id=caller.channel_id,
        leads=parse_leads(leads) if leads else DEFAULT_LEADS,
        at=at,
        timezone=zone,
        subscriber=caller.user_id,
    )


def _zone_name(value: str) -> str:
    # A folder ("Europe") raises IsADirectoryError, an over-long name OSError: all say the same.
    try:
        if len(value) > 64:
            raise ValueError(value)
        return ZoneInfo(value).key
    except (ZoneInfoNotFoundError, ValueError, OSError):
        shown = value if len(value) <= 64 else value[:60] + "..."
        raise LeadError(f"{shown!r} is not an IANA timezone (e.g. Europe/Berlin)") from None


def _caller_zone(caller: Caller) -> str | None:
    """The caller's own timezone, when Slack gave a valid one."""
    try:
        return _zone_name(caller.timezone) if caller.timezone else None
    except LeadError:
        return None


@dataclass(frozen=True)
class ReminderForm:
    """The reminder form's fields as submitted (any text: Slack's form is the user's)."""

    leads: str = ""
    at: str = ""
    timezone: str = ""


def form_problems(form: ReminderForm, situation: Situation) -> dict[str, dict[str, Any]]:
    """Each field's problem (template context, by field) with the checks `remind on` makes."""
    problems: dict[str, dict[str, Any]] = {}
    refusal = _refusal(Request("remind", ("on",)), situation, "on")
    if refusal:
        problems["leads"] = {"error": None, "refused": None, **refusal}
    checks: tuple[tuple[str, Callable[[], object]], ...] = (
        ("leads", lambda: parse_leads(form.leads.split())),
        ("at", lambda: parse_time_of_day(form.at.strip()) if form.at.strip() else None),
        ("tz", lambda: _zone_name(form.timezone.strip()) if form.timezone.strip() else None),
    )
    for field, check in checks:
        try:
            check()
        except LeadError as bad:
            problems.setdefault(field, {"error": str(bad), "refused": None})
    return problems


def form_command(form: ReminderForm) -> str:
    """The `remind on` text the (checked) form stands for: typed or submitted, one path."""
    words = ["remind", "on", *form.leads.split()]
    if form.at.strip():
        words += ["at", form.at.strip()]
    if form.timezone.strip():
        words += ["tz", _zone_name(form.timezone.strip())]
    return " ".join(words)
