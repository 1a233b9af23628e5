"""The digest's dated events as an iCalendar file (RFC 5545), as of a time.

An event dated to a day or a range of days is an all-day event (DTEND the day after its last);
one dated only to a month, a season, a quarter or a year is a dated note (VJOURNAL, which
calendar apps do not put on a day: the sources give none), one with no date at all is left
out. Its UID is its digest id, stable across versions; SEQUENCE
counts the published reports that changed it (its updates, and being superseded); a superseded
or cancelled event is STATUS:CANCELLED. The description says whose report it is, with the
quote and the source's address. Nothing comes from a document not yet published."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from icalendar import Calendar, Component, Journal
from icalendar import Event as CalendarEvent

from bot.knowledge.digest import BEFORE_EVERYTHING, Digest
from bot.knowledge.model import Event
from bot.knowledge.statuses import outcome
from bot.queries.calendar import event_slots
from bot.rendering.labels import when_label
from bot.rendering.renderer import Renderer

PRODID = "-//sco-bot//SCO briefings//EN"
UID_DOMAIN = "sco-bot"
TEMPLATE = "calendar_event.j2"
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&"}


def calendar_feed(digest: Digest, default_tz: tzinfo, renderer: Renderer) -> bytes:
    """The events of a digest (as of now: pass `Digest.as_of(now)`) as an iCalendar file."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "SCO events (sco-bot)")
    stamp = feed_stamp(digest)
    for slot in event_slots(digest, default_tz):
        event = slot.event
        if event.date.first is None or event.date.last is None:
            continue  # no date at all: nothing a calendar can hold
        calendar.add_component(_entry(event, slot.became, stamp, digest, renderer))
    return bytes(calendar.to_ical())


def _entry(
    event: Event, became: Event | None, stamp: datetime, digest: Digest, renderer: Renderer
) -> Component:
    assert event.date.first is not None and event.date.last is not None
    cancelled = became is not None or outcome(event.status) == "cancelled"
    entry: Component
    if event.date.has_day:
        entry = CalendarEvent()
        entry.add("dtstart", event.date.first)
        entry.add("dtend", event.date.last + timedelta(days=1))
        entry.add("summary", event.title)
        entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        entry.add("transp", "TRANSPARENT")
    else:  # a dated note: the period's first day is the note's date, not the event's
        entry = Journal()
        entry.add("dtstart", event.date.first)
        entry.add("summary", f"{event.title} ({when_label(event.date)}; day not given)")
        entry.add("status", "CANCELLED" if cancelled else "FINAL")
    entry.add("uid", f"{event.id}@{UID_DOMAIN}")
    entry.add("dtstamp", stamp)
    if event.place:
        entry.add("location", event.place)
    entry.add("sequence", len((event.original or event).updates) + (1 if became else 0))
    entry.add("description", _description(event, became, digest, renderer))
    first = digest.document(event.sources[0].doc)
    entry.add("url", first.url)
    return entry


def _description(event: Event, became: Event | None, digest: Digest, renderer: Renderer) -> str:
    context = {"event": event, "became": became, "docs": digest.documents_by_id}
    text = renderer.text(TEMPLATE, context)
    for entity, character in _ENTITIES.items():  # plain text: the template escaped for mrkdwn
        text = text.replace(entity, character)
    return text


def feed_stamp(digest: Digest) -> datetime:
    """DTSTAMP: when the latest document the digest holds counts as published, so that the
    file is the same bytes until a document is published (and a poll costs nothing)."""
    if digest.cutoff is not None and digest.cutoff != BEFORE_EVERYTHING:
        return digest.cutoff.astimezone(UTC)
    instants = [d.published_from for d in digest.documents]
    return max(instants) if instants else datetime(1970, 1, 1, tzinfo=UTC)
