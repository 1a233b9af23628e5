"""The digest as the bot uses it: plain frozen dataclasses, one for each model of the schema.

schema.py validates the YAML with pydantic; the loader turns what it validated into these. They
pickle and unpickle without pydantic, so a digest read back from the cache never imports it.
Field names and defaults match schema.py's models (tests/test_knowledge.py checks it)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum

from bot.knowledge.dates import When


class Stance(StrEnum):
    """How a document speaks about a meeting."""

    JOINT = "joint"  # for the meeting as a whole (the host's or secretariat's joint release)
    PARTICIPANT = "participant"  # one participant's own account
    RELAY = "relay"  # a third party reproducing the joint release (a news agency citing it)
    THIRD_PARTY = "third_party"  # a press agency or observer


class Voice(StrEnum):
    """How the reporting document reports a claim."""

    JOINT = "joint"  # the joint release's own voice about what all agreed or said
    RELAY = "relay"  # the joint release's words as a third party relays them
    ACCOUNT = "account"  # a participant's account of a joint (or another's) position
    SPEECH = "speech"  # reported speech of a named person
    OWN = "own"  # a participant's account of its own side's position
    THIRD_PARTY = "third_party"  # a report by someone who is not the speaker


class ActorKind(StrEnum):
    """What kind of actor speaks or acts in the documents."""

    STATE = "state"
    ORGANISATION = "organisation"
    BODY = "body"
    PERSON = "person"


class OutcomeKind(StrEnum):
    """What kind of outcome of a meeting an item is."""

    DECISION = "decision"
    AGREEMENT = "agreement"
    STATEMENT = "statement"


@dataclass(frozen=True, kw_only=True)
class Document:
    """A source document and its attribution."""

    id: str
    file: str
    title: str
    publisher: str
    short: str  # short attribution used in citations
    published: date  # a day, or an aware datetime when the curator knows the time
    dateline: str | None = None
    url: str
    language: str = "en"
    account: str  # whose account of events this is
    stance: Stance = Stance.THIRD_PARTY
    participant: str | None = None
    label: str | None = None
    meetings: tuple[str, ...] = ()
    partial: bool = False
    copy_of: str | None = None  # the document this one reproduces word for word
    relays: str | None = None  # whose joint release a relay reproduces ("the SCO Secretariat")
    # Worked out once: every citation of every answer names its document.
    citation_label: str = field(init=False, repr=False, compare=False)
    # The instant from which the document counts as published (see published_from).
    published_from: datetime = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # How citations name it: its label, else short name and date (unique in a digest).
        published = self.published
        label = self.label or f"{self.short}, {published.day} {published:%b} {published.year}"
        object.__setattr__(self, "citation_label", label)
        object.__setattr__(self, "published_from", published_from(published))


def published_from(published: date) -> datetime:
    """When a document counts as published: at the time given, else from 00:00 UTC of its day
    (one rule for every reply, reminder and search, whatever the reader's timezone)."""
    if isinstance(published, datetime):
        return published.astimezone(UTC)
    return datetime(published.year, published.month, published.day, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class Actor:
    """Someone the documents attribute positions or actions to."""

    id: str
    name: str
    kind: ActorKind
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Citation:
    """A verbatim quote from a source document."""

    doc: str
    quote: str


@dataclass(frozen=True, kw_only=True)
class NotBriefed(Citation):
    """A sentence of a source deliberately left out of the briefing, and why."""

    reason: str


def _inferred(item: object, name: str) -> None:
    """Mark an item's date as inferred from context (`inferred: true` beside it)."""
    when = getattr(item, name)
    if getattr(item, "inferred", False) and isinstance(when, When) and not when.inferred:
        object.__setattr__(item, name, replace(when, inferred=True))


@dataclass(frozen=True, kw_only=True)
class Chair:
    """Who chaired a meeting, and (optionally) which sources say so."""

    actor: str
    sources: tuple[Citation, ...] = ()


@dataclass(frozen=True, kw_only=True)
class _Claim:
    """What outcomes and positions share: who reports them how, their status and time."""

    voice: Voice | None = None  # derived from the reporting document when not given
    status: str | None = None  # the source's own word (statuses.py knows what kind it is)
    at_meeting: bool | None = True  # None: the sources do not say when or where it was said
    when: When | None = None  # when it was said, if not at the meeting
    inferred: bool = False  # `when` is inferred from context (a day without a year)
    keywords: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _inferred(self, "when")


@dataclass(frozen=True, kw_only=True)
class Participant:
    """An actor the sources place at the meeting."""

    actor: str
    role: str | None = None
    sources: tuple[Citation, ...]


@dataclass(frozen=True, kw_only=True)
class Outcome(_Claim):
    """One decision, agreement or statement of the meeting's participants jointly."""

    id: str
    theme: str
    kind: OutcomeKind
    speaker: str | None = None  # a named person who reported it (an official), if any
    summary: str
    sources: tuple[Citation, ...]


@dataclass(frozen=True, kw_only=True)
class Position(_Claim):
    """A position an actor stated, on a topic."""

    id: str
    actor: str
    speaker: str | None = None
    topic: str
    summary: str
    sources: tuple[Citation, ...]


@dataclass(frozen=True, kw_only=True)
class Event:
    """Something dated: a meeting, an exercise, a festival."""

    id: str
    title: str
    kind: str
    date: When
    place: str | None = None
    timezone: str | None = None
    summary: str
    sources: tuple[Citation, ...]
    status: str | None = None  # the source's own word
    supersedes: str | None = None  # the earlier placeholder event this one is what became of
    keywords: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    at_meeting: bool = True  # False: mentioned as background, not referred to at the meeting
    inferred: bool = False  # its date is inferred from context (a day without a year)
    # Later reports of the same event (a new date, a place, "held"), applied in the order given
    # once their documents are published; what the curator wrote first is `original`.
    updates: tuple[EventUpdate, ...] = ()
    original: Event | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _inferred(self, "date")


@dataclass(frozen=True, kw_only=True)
class EventUpdate:
    """What a later document reports of an event: only the fields it gives change."""

    date: When | None = None
    place: str | None = None
    timezone: str | None = None
    status: str | None = None
    summary: str | None = None
    inferred: bool = False
    sources: tuple[Citation, ...]

    def __post_init__(self) -> None:
        _inferred(self, "date")


@dataclass(frozen=True, kw_only=True)
class Talk:
    """Bilateral talks held on the sidelines of a meeting."""

    id: str
    actor: str
    speaker: str | None = None
    counterparts: tuple[str, ...]
    topics: tuple[str, ...] = ()
    sources: tuple[Citation, ...]
    date: When | None = None  # when the talks were held, if not the meeting's date
    status: str | None = None
    kind: str = "talks"  # in the source's words: talks, a meeting, an exchange of pleasantries
    inferred: bool = False

    def __post_init__(self) -> None:
        _inferred(self, "date")


@dataclass(frozen=True, kw_only=True)
class Meeting:
    """One meeting, what it decided and who said what there."""

    id: str
    title: str
    number: int | None = None
    body_name: str | None = None  # the body's name as the numbering source gives it
    number_sources: tuple[Citation, ...] = ()  # who gives the numbering and the body's name
    date: When
    place: str
    timezone: str | None = None
    chair: Chair | None = None  # None: no source names the chair
    body: str  # the actor that speaks for the meeting's joint outcomes
    summary: str
    sources: tuple[Citation, ...]
    participants: tuple[Participant, ...]
    participants_complete: bool = False  # True only when a source lists everyone who took part
    not_briefed: tuple[NotBriefed, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    positions: tuple[Position, ...] = ()
    events: tuple[Event, ...] = ()
    talks: tuple[Talk, ...] = ()
