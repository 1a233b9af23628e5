"""Reminders as data: what should be scheduled, from the digest, subscriptions and now."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.knowledge.dates import zone
from bot.knowledge.digest import Digest
from bot.knowledge.model import Event
from bot.knowledge.statuses import outcome

SCHEDULE_WINDOW = timedelta(days=120)  # chat.scheduleMessage refuses post_at further ahead
DEFAULT_LEADS = (7, 1)
DEFAULT_TIME = time(9, 0)
MAX_LEAD_DAYS = 365
MAX_LEADS = 10  # reminders per event and channel: more is noise, and the ledger stores them
_LEAD = re.compile(r"^(\d{1,3})([dw])$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Subscription:
    """A channel's standing request for reminders: leads in days, a local time, a timezone."""

    channel_id: str
    leads: tuple[int, ...] = DEFAULT_LEADS
    at: time = DEFAULT_TIME
    timezone: str = "UTC"
    subscriber: str | None = None
    broken: str | None = None  # Slack's error when the channel cannot receive messages

    @property
    def zone(self) -> ZoneInfo:
        """The subscription's timezone."""
        return zone(self.timezone)


@dataclass(frozen=True, order=True)
class Reminder:
    """One reminder: post in `channel_id` about `event_id`, `lead_days` ahead, at `post_at`."""

    post_at: datetime  # timezone-aware, UTC
    channel_id: str
    event_id: str
    lead_days: int

    @property
    def key(self) -> tuple[str, str, int, int]:
        """What makes a reminder the same one across the plan, the ledger and Slack."""
        return (self.channel_id, self.event_id, self.lead_days, int(self.post_at.timestamp()))

    @property
    def tag(self) -> str:
        """The key as a short token of letters and digits, which a scheduler can carry in the
        message and give back verbatim (no escaping touches it)."""
        digest = hashlib.sha256("|".join(str(part) for part in self.key).encode()).hexdigest()
        return f"sco-{digest[:12]}"


# Reminders of one channel falling at the same time are one message, of at most this many
# (Slack's 50 blocks a message): more at one time are cut into several, in a fixed order.
BATCH_SIZE = 8


@dataclass(frozen=True)
class Batch:
    """The reminders of one channel falling at one time: one message in Slack."""

    reminders: tuple[Reminder, ...]  # one channel, one post_at; in (event, lead) order

    @property
    def post_at(self) -> datetime:
        """When the message posts."""
        return self.reminders[0].post_at

    @property
    def channel_id(self) -> str:
        """Where it posts."""
        return self.reminders[0].channel_id

    @property
    def keys(self) -> frozenset[tuple[str, str, int, int]]:
        """Its reminders' keys: a message held for exactly these is this batch."""
        return frozenset(r.key for r in self.reminders)

    @property
    def tags(self) -> tuple[str, ...]:
        """Its reminders' tags, which the message carries."""
        return tuple(r.tag for r in self.reminders)


def batches(reminders: Iterable[Reminder]) -> list[Batch]:
    """Reminders as the messages that carry them: those of one channel at one time together
    (at most BATCH_SIZE a message), earliest first."""
    by_time: dict[tuple[datetime, str], list[Reminder]] = {}
    for reminder in reminders:
        by_time.setdefault((reminder.post_at, reminder.channel_id), []).append(reminder)
    found: list[Batch] = []
    for key in sorted(by_time):
        ordered = sorted(by_time[key], key=lambda r: (r.event_id, -r.lead_days))
        for start in range(0, len(ordered), BATCH_SIZE):
            found.append(Batch(tuple(ordered[start : start + BATCH_SIZE])))
    return found


class Why(StrEnum):
    """Why a reminder of a subscription is not (yet) scheduled."""

    LATER = "later"  # beyond Slack's 120-day window: scheduled once it comes within it
    PAST = "past"  # its time has gone
    NO_DAY = "no_day"  # the event's date has no day yet (a month or a year only)


@dataclass(frozen=True)
class Unscheduled:
    """A reminder the plan leaves out, and why."""

    event: Event
    lead_days: int | None
    post_at: datetime | None
    why: Why


@dataclass(frozen=True)
class Plan:
    """The reminders to schedule now, and those left out with their reason."""

    due: list[Reminder]
    unscheduled: list[Unscheduled]


class LeadError(ValueError):
    """Bad `remind on` arguments."""


def parse_leads(words: list[str]) -> tuple[int, ...]:
    """`7d 1d 0d` or `2w` → days, largest first, each once."""
    days: set[int] = set()
    for word in words:
        match = _LEAD.match(word.casefold())
        if not match:
            raise LeadError(f"{word!r} is not a lead time like 7d, 1d, 0d or 2w")
        count = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
        if count > MAX_LEAD_DAYS:
            raise LeadError(f"{word!r} is more than {MAX_LEAD_DAYS} days ahead")
        days.add(count)
    if len(days) > MAX_LEADS:
        raise LeadError(f"at most {MAX_LEADS} lead times, not {len(days)}")
    return tuple(sorted(days, reverse=True))


def parse_time_of_day(text: str) -> time:
    """`09:00` → time(9, 0)."""
    match = _TIME.match(text)
    if not match:
        raise LeadError(f"{text!r} is not a time of day like 09:00")
    return time(int(match.group(1)), int(match.group(2)))


def post_time(event: Event, lead_days: int, sub: Subscription) -> datetime | None:
    """When a reminder posts: `lead_days` before the event's first day, at the local time."""
    first = event.date.first
    if first is None or not event.date.has_day:
        return None
    day = first - timedelta(days=lead_days)
    local = datetime.combine(day, sub.at, tzinfo=sub.zone)
    # Round-trip through UTC: a wall time that DST skips resolves to the real instant after it.
    return local.astimezone(ZoneInfo("UTC"))


def plan_channel(digest: Digest, sub: Subscription, now: datetime) -> Plan:
    """What one subscription should have scheduled in Slack as of `now`: for the events the
    documents published by `now` report, as they report them."""
    digest = digest.as_of(now)
    due: list[Reminder] = []
    left: list[Unscheduled] = []
    horizon = now + SCHEDULE_WINDOW
    for event in digest.events_by_id.values():
        if event.id in digest.superseded_by:
            continue  # its reminders are the superseding event's: never both
        if outcome(event.status) == "cancelled":
            continue  # nothing to remind of
        if not event.date.has_day:
            end = event.date.end(sub.zone)
            if end is None or end > now:
                left.append(Unscheduled(event, None, None, Why.NO_DAY))
            continue
        event_end = event.date.end(zone(event.timezone) if event.timezone else sub.zone)
        if event_end is not None and event_end <= now:
            continue  # over: nothing to remind of, nothing to report
        for lead in sub.leads:
            at = post_time(event, lead, sub)
            if at is None:
                continue
            if at <= now:
                left.append(Unscheduled(event, lead, at, Why.PAST))
            elif at > horizon:
                left.append(Unscheduled(event, lead, at, Why.LATER))
            else:
                due.append(Reminder(at, sub.channel_id, event.id, lead))
    return Plan(sorted(due), left)


def plan(digest: Digest, subscriptions: list[Subscription], now: datetime) -> list[Reminder]:
    """Every reminder that should be scheduled in Slack now, across active subscriptions."""
    due: list[Reminder] = []
    for sub in subscriptions:
        if sub.broken is None:
            due += plan_channel(digest, sub, now).due
    return sorted(due)
