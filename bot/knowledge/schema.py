"""The digest's schema: frozen pydantic models, validated against the source texts.

Used to validate only: the loader turns what validates into model.py's plain dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.knowledge.dates import When, parse_when, zone
from bot.knowledge.model import ActorKind, OutcomeKind, Stance, Voice
from bot.knowledge.statuses import STATUS_PATTERN
from bot.knowledge.text import closest_passage, normalise_quote

SOURCES_INDEX = "sources/index.yaml"
ACTORS_FILE = "actors.yaml"
MEETINGS_FILE = "meetings.yaml"

_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def _context(info: ValidationInfo) -> Mapping[str, Any]:
    return info.context or {}


def _known_actor(value: str, info: ValidationInfo) -> str:
    actors = _context(info).get("actors")
    if actors is not None and value not in actors:
        raise ValueError(f"unknown actor {value!r} (not in {ACTORS_FILE})")
    return value


def _timezone(value: str) -> str:
    # A folder ("Asia") raises IsADirectoryError and an over-long name OSError, not
    # ZoneInfoNotFoundError: every failure is the same problem at the same file:line.
    try:
        if len(value) > 64:
            raise ValueError(value)
        zone(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        shown = value if len(value) <= 64 else value[:60] + "..."
        raise ValueError(f"{shown!r} is not an IANA timezone") from None
    return value


def _nonblank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


def _status_word(value: Any) -> Any:
    # The source's word as written, in lower case ("Agreed" at a sentence's start is "agreed").
    return " ".join(value.casefold().split()) if isinstance(value, str) else value


def _unknown_is_none(value: Any) -> Any:
    # `at_meeting: unknown`: the sources do not say when or where it was said.
    return None if isinstance(value, str) and value.strip().casefold() == "unknown" else value


Slug = Annotated[str, Field(pattern=_SLUG, max_length=80)]
StatusWord = Annotated[str, BeforeValidator(_status_word), Field(pattern=STATUS_PATTERN)]
Text = Annotated[str, AfterValidator(_nonblank), Field(max_length=4000)]
ActorRef = Annotated[str, AfterValidator(_known_actor)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
WhenField = Annotated[When, BeforeValidator(parse_when)]


class _Frozen(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        strict=False,
        arbitrary_types_allowed=True,
        defer_build=True,
    )


class Document(_Frozen):
    """A source document and its attribution."""

    id: Slug
    # A bare file name: sources are read from sources/ only, never from elsewhere on disk.
    file: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*\.txt$", max_length=120)]
    title: Text
    publisher: Text
    short: Text = Field(description="Short attribution used in citations")
    published: date | datetime
    dateline: str | None = None
    url: Annotated[str, Field(pattern=r"^https?://\S+$")]
    language: str = "en"
    account: Text = Field(description="Whose account of events this is")
    stance: Stance = Stance.THIRD_PARTY
    participant: ActorRef | None = None
    label: Text | None = Field(default=None, max_length=120)
    meetings: tuple[Slug, ...] = ()
    partial: bool = False
    copy_of: Slug | None = None
    relays: Text | None = None

    @model_validator(mode="after")
    def _participant_with_stance(self) -> Document:
        if (self.stance is Stance.PARTICIPANT) != (self.participant is not None):
            raise ValueError("a participant's account (stance: participant) names its participant")
        if self.relays is not None and self.stance is not Stance.RELAY:
            raise ValueError("`relays:` names whose release a relay (stance: relay) reproduces")
        if self.copy_of == self.id:
            raise ValueError("a document is not a copy of itself")
        return self

    @field_validator("published", mode="before")
    @classmethod
    def _iso_day(cls, value: Any) -> Any:
        # A day (2021-07-28), or a time with its offset (2021-07-28T18:30+05:00).
        if isinstance(value, str):
            value = value.strip()
            if len(value) <= 10:
                return date.fromisoformat(value)
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("a publication time needs its UTC offset (2021-07-28T18:30+05:00)")
        return value


class SourceIndex(_Frozen):
    """knowledge/sources/index.yaml."""

    documents: tuple[Document, ...] = Field(min_length=1)


class Actor(_Frozen):
    """Someone the documents attribute positions or actions to."""

    id: Slug
    name: Text
    kind: ActorKind
    aliases: tuple[Text, ...] = ()


class ActorIndex(_Frozen):
    """knowledge/actors.yaml."""

    actors: tuple[Actor, ...] = Field(min_length=1)


class Citation(_Frozen):
    """A verbatim quote from a source document."""

    doc: str
    quote: Annotated[str, Field(min_length=8, max_length=2000)]

    @field_validator("doc")
    @classmethod
    def _known_doc(cls, value: str, info: ValidationInfo) -> str:
        # Known from the index even when its text could not be read (reported once, there).
        known = _context(info).get("documents")
        if known is not None and value not in known:
            raise ValueError(f"unknown source document {value!r} (not in {SOURCES_INDEX})")
        return value

    @field_validator("quote")
    @classmethod
    def _verbatim(cls, value: str, info: ValidationInfo) -> str:
        texts = _context(info).get("texts")
        doc = info.data.get("doc")
        if texts is not None and doc in texts:
            quote = normalise_quote(value)
            if quote not in texts[doc]:
                hint = closest_passage(quote, texts[doc])
                raise ValueError(f"quote not found verbatim in {doc} ({hint})")
        return value


Sources = Annotated[tuple[Citation, ...], Field(min_length=1)]
Words = tuple[Annotated[str, AfterValidator(_nonblank), Field(max_length=80)], ...]


class NotBriefed(Citation):
    """A sentence of a source deliberately left out of the briefing, and why."""

    reason: Text


class Chair(_Frozen):
    """Who chaired a meeting, and (optionally) which sources say so."""

    actor: ActorRef
    sources: tuple[Citation, ...] = ()


def _chair(value: Any) -> Any:
    return {"actor": value} if isinstance(value, str) else value


class _Claim(_Frozen):
    """What outcomes and positions share: who reports them how, their status and time."""

    voice: Voice | None = None  # derived from the reporting document when not given
    status: StatusWord | None = None  # the source's own word
    at_meeting: Annotated[bool | None, BeforeValidator(_unknown_is_none)] = True
    when: WhenField | None = None  # when it was said, if not at the meeting
    inferred: bool = False  # `when` is inferred from context
    keywords: Words = ()
    mentions: tuple[ActorRef, ...] = ()


class Participant(_Frozen):
    """An actor the sources place at the meeting."""

    actor: ActorRef
    role: str | None = None
    sources: Sources


class Outcome(_Claim):
    """One decision, agreement or statement of the meeting's participants jointly."""

    id: Slug
    theme: Text
    kind: OutcomeKind
    speaker: str | None = None  # a named person who reported it (an official), if any
    summary: Text
    sources: Sources


class Position(_Claim):
    """A position an actor stated, on a topic."""

    id: Slug
    actor: ActorRef
    speaker: str | None = None
    topic: Text
    summary: Text
    sources: Sources


class Event(_Frozen):
    """Something dated: a meeting, an exercise, a festival."""

    id: Slug
    title: Text
    kind: Slug
    date: WhenField
    place: Text | None = None
    timezone: TimeZoneName | None = None
    summary: Text
    sources: Sources
    status: StatusWord | None = None  # the source's own word
    supersedes: Slug | None = None  # the earlier placeholder event this one is what became of
    keywords: Words = ()
    mentions: tuple[ActorRef, ...] = ()
    at_meeting: bool = True  # False: mentioned as background, not referred to at the meeting
    inferred: bool = False  # its date is inferred from context
    updates: tuple[EventUpdate, ...] = ()  # later reports of it, each from its own documents


class EventUpdate(_Frozen):
    """What a later document reports of an event: only the fields it gives change."""

    date: WhenField | None = None
    place: Text | None = None
    timezone: TimeZoneName | None = None
    status: StatusWord | None = None
    summary: Text | None = None
    inferred: bool = False
    sources: Sources


class Talk(_Frozen):
    """Bilateral talks held on the sidelines of a meeting."""

    id: Slug
    actor: ActorRef
    speaker: str | None = None
    counterparts: tuple[ActorRef, ...] = Field(min_length=1)
    topics: tuple[Text, ...] = ()
    sources: Sources
    date: WhenField | None = None  # when the talks were held, if not the meeting's date
    status: StatusWord | None = None
    kind: Text = Field(default="talks", max_length=80)  # the source's word for them
    inferred: bool = False


class Meeting(_Frozen):
    """One meeting, what it decided and who said what there."""

    id: Slug
    title: Text
    number: int | None = Field(default=None, ge=1)
    body_name: Text | None = None  # the body's name as the numbering source gives it
    number_sources: tuple[Citation, ...] = ()  # who gives the numbering and the body's name
    date: WhenField
    place: Text
    timezone: TimeZoneName | None = None
    chair: Annotated[Chair | None, BeforeValidator(_chair)] = None  # None: not in the sources
    body: ActorRef = Field(description="The actor that speaks for the meeting's joint outcomes")
    summary: Text
    sources: Sources
    participants: tuple[Participant, ...] = Field(min_length=1)
    participants_complete: bool = False  # True only when a source lists everyone who took part
    not_briefed: tuple[NotBriefed, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    positions: tuple[Position, ...] = ()
    events: tuple[Event, ...] = ()
    talks: tuple[Talk, ...] = ()


class MeetingIndex(_Frozen):
    """knowledge/meetings.yaml."""

    meetings: tuple[Meeting, ...] = Field(min_length=1)
