"""The digest, declared once: plain frozen dataclasses, each field with its rules (rules.py).

Validation (validation.py) has pydantic check the YAML against these very classes and build
them; they pickle and unpickle without pydantic, so a digest read back from the cache never
imports it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from bot.knowledge.dates import When
from bot.knowledge.rules import (
    STRICT,
    ActorRef,
    Before,
    DocRef,
    FileName,
    NonEmpty,
    Number,
    Published,
    Quote,
    ShortText,
    Slug,
    StatusWord,
    Text,
    TimeZoneName,
    Url,
    WhenField,
    Word,
    chair_of,
    unknown_is_none,
)


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

    __pydantic_config__: ClassVar[Any] = STRICT
    id: Slug
    # A bare file name: sources are read from sources/ only, never from elsewhere on disk.
    file: FileName
    title: Text
    publisher: Text
    short: Text  # short attribution used in citations
    published: Published  # a day, or an aware datetime when the curator knows the time
    dateline: str | None = None
    url: Url
    language: str = "en"
    account: Text  # whose account of events this is
    stance: Stance = Stance.THIRD_PARTY
    participant: ActorRef | None = None
    label: ShortText | None = None
    meetings: tuple[Slug, ...] = ()
    partial: bool = False
    copy_of: Slug | None = None  # the document this one reproduces word for word
    relays: Text | None = None  # whose joint release a relay reproduces ("the SCO Secretariat")
    # Worked out once: every citation of every answer names its document.
    citation_label: str = field(init=False, repr=False, compare=False)
    # The instant from which the document counts as published (see published_from).
    published_from: datetime = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (self.stance is Stance.PARTICIPANT) != (self.participant is not None):
            raise ValueError("a participant's account (stance: participant) names its participant")
        if self.relays is not None and self.stance is not Stance.RELAY:
            raise ValueError("`relays:` names whose release a relay (stance: relay) reproduces")
        if self.copy_of == self.id:
            raise ValueError("a document is not a copy of itself")
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

    __pydantic_config__: ClassVar[Any] = STRICT
    id: Slug
    name: Text
    kind: ActorKind
    aliases: tuple[Text, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Citation:
    """A verbatim quote from a source document."""

    __pydantic_config__: ClassVar[Any] = STRICT
    doc: DocRef
    quote: Quote


@dataclass(frozen=True, kw_only=True)
class NotBriefed(Citation):
    """A sentence of a source deliberately left out of the briefing, and why."""

    reason: Text


def _inferred(item: object, name: str) -> None:
    """Mark an item's date as inferred from context (`inferred: true` beside it)."""
    when = getattr(item, name)
    if getattr(item, "inferred", False) and isinstance(when, When) and not when.inferred:
        object.__setattr__(item, name, replace(when, inferred=True))


@dataclass(frozen=True, kw_only=True)
class Chair:
    """Who chaired a meeting, and (optionally) which sources say so."""

    __pydantic_config__: ClassVar[Any] = STRICT
    actor: ActorRef
    sources: tuple[Citation, ...] = ()


@dataclass(frozen=True, kw_only=True)
class _Claim:
    """What outcomes and positions share: who reports them how, their status and time."""

    __pydantic_config__: ClassVar[Any] = STRICT
    voice: Voice | None = None  # derived from the reporting document when not given
    status: StatusWord | None = None  # the source's own word (statuses.py knows its kind)
    # None: the sources do not say when or where it was said (`at_meeting: unknown`)
    at_meeting: Annotated[bool | None, Before(unknown_is_none)] = True
    when: WhenField | None = None  # when it was said, if not at the meeting
    inferred: bool = False  # `when` is inferred from context (a day without a year)
    keywords: tuple[Word, ...] = ()
    mentions: tuple[ActorRef, ...] = ()

    def __post_init__(self) -> None:
        _inferred(self, "when")


@dataclass(frozen=True, kw_only=True)
class Participant:
    """An actor the sources place at the meeting."""

    __pydantic_config__: ClassVar[Any] = STRICT
    actor: ActorRef
    role: str | None = None
    sources: Annotated[tuple[Citation, ...], NonEmpty]


@dataclass(frozen=True, kw_only=True)
class Outcome(_Claim):
    """One decision, agreement or statement of the meeting's participants jointly."""

    id: Slug
    theme: Text
    kind: OutcomeKind
    speaker: str | None = None  # a named person who reported it (an official), if any
    summary: Text
    sources: Annotated[tuple[Citation, ...], NonEmpty]


@dataclass(frozen=True, kw_only=True)
class Position(_Claim):
    """A position an actor stated, on a topic."""

    id: Slug
    actor: ActorRef
    speaker: str | None = None
    topic: Text
    summary: Text
    sources: Annotated[tuple[Citation, ...], NonEmpty]


@dataclass(frozen=True, kw_only=True)
class Event:
    """Something dated: a meeting, an exercise, a festival."""

    __pydantic_config__: ClassVar[Any] = STRICT
    id: Slug
    title: Text
    kind: Slug
    date: WhenField
    place: Text | None = None
    timezone: TimeZoneName | None = None
    summary: Text
    sources: Annotated[tuple[Citation, ...], NonEmpty]
    status: StatusWord | None = None  # the source's own word
    supersedes: Slug | None = None  # the earlier placeholder event this one is what became of
    keywords: tuple[Word, ...] = ()
    mentions: tuple[ActorRef, ...] = ()
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

    __pydantic_config__: ClassVar[Any] = STRICT
    date: WhenField | None = None
    place: Text | None = None
    timezone: TimeZoneName | None = None
    status: StatusWord | None = None
    summary: Text | None = None
    inferred: bool = False
    sources: Annotated[tuple[Citation, ...], NonEmpty]

    def __post_init__(self) -> None:
        _inferred(self, "date")


@dataclass(frozen=True, kw_only=True)
class Talk:
    """Bilateral talks held on the sidelines of a meeting."""

    __pydantic_config__: ClassVar[Any] = STRICT
    id: Slug
    actor: ActorRef
    speaker: str | None = None
    counterparts: Annotated[tuple[ActorRef, ...], NonEmpty]
    topics: tuple[Text, ...] = ()
    sources: Annotated[tuple[Citation, ...], NonEmpty]
    date: WhenField | None = None  # when the talks were held, if not the meeting's date
    status: StatusWord | None = None
    kind: Word = "talks"  # in the source's words: talks, a meeting, an exchange of pleasantries
    inferred: bool = False

    def __post_init__(self) -> None:
        _inferred(self, "date")


@dataclass(frozen=True, kw_only=True)
class Meeting:
    """One meeting, what it decided and who said what there."""

    __pydantic_config__: ClassVar[Any] = STRICT
    id: Slug
    title: Text
    number: Number | None = None
    body_name: Text | None = None  # the body's name as the numbering source gives it
    number_sources: tuple[Citation, ...] = ()  # who gives the numbering and the body's name
    date: WhenField
    place: Text
    timezone: TimeZoneName | None = None
    chair: Annotated[Chair | None, Before(chair_of)] = None  # None: no source names the chair
    body: ActorRef  # the actor that speaks for the meeting's joint outcomes
    summary: Text
    sources: Annotated[tuple[Citation, ...], NonEmpty]
    participants: Annotated[tuple[Participant, ...], NonEmpty]
    participants_complete: bool = False  # True only when a source lists everyone who took part
    not_briefed: tuple[NotBriefed, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    positions: tuple[Position, ...] = ()
    events: tuple[Event, ...] = ()
    talks: tuple[Talk, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SourceIndex:
    """knowledge/sources/index.yaml."""

    __pydantic_config__: ClassVar[Any] = STRICT
    documents: Annotated[tuple[Document, ...], NonEmpty]


@dataclass(frozen=True, kw_only=True)
class ActorIndex:
    """knowledge/actors.yaml."""

    __pydantic_config__: ClassVar[Any] = STRICT
    actors: Annotated[tuple[Actor, ...], NonEmpty]


@dataclass(frozen=True, kw_only=True)
class MeetingIndex:
    """knowledge/meetings.yaml."""

    __pydantic_config__: ClassVar[Any] = STRICT
    meetings: Annotated[tuple[Meeting, ...], NonEmpty]
