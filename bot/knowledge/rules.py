"""The digest's validation rules, written beside its fields (model.py's annotations) without
importing pydantic: each marker below builds its check only when pydantic asks for it (the
`__get_pydantic_core_schema__` hook), which happens only when files are validated. A digest read
back from the cache never asks, so it never imports pydantic."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfoNotFoundError

from bot.knowledge.dates import When, parse_when, zone
from bot.knowledge.statuses import STATUS_PATTERN
from bot.knowledge.text import closest_passage, normalise_quote

SOURCES_INDEX = "sources/index.yaml"
ACTORS_FILE = "actors.yaml"
MEETINGS_FILE = "meetings.yaml"
_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# Every dataclass of the digest refuses a key it does not know (a typo is a problem, not a
# silently ignored line).
STRICT: Mapping[str, Any] = {"extra": "forbid"}


class Constrained:
    """Limits on a value: pattern, max_length, min_length, ge (pydantic's own, own messages)."""

    def __init__(self, **limits: Any) -> None:
        self.limits = limits

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        """The wrapped type's schema with the limits set on it."""
        schema = handler(source)
        schema.update(self.limits)
        return schema


class After:
    """A check (or clean-up) run on a value once its type is validated; `fn(value, context,
    data)` raises ValueError with the problem. `data` holds the item's fields checked so far."""

    def __init__(self, fn: Callable[[Any, Mapping[str, Any], Mapping[str, Any]], Any]) -> None:
        self.fn = fn

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        """The wrapped type's schema, then this check."""
        from pydantic_core import core_schema

        def check(value: Any, info: Any) -> Any:
            return self.fn(value, info.context or {}, info.data or {})

        return core_schema.with_info_after_validator_function(check, handler(source))


class Before:
    """A conversion run on the raw value before its type is validated (`fn(value)`)."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        """This conversion, then the wrapped type's schema."""
        from pydantic_core import core_schema

        return core_schema.no_info_before_validator_function(self.fn, handler(source))


class Parsed:
    """A value of a type pydantic does not know, made by `fn` from what the file gives."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        """Only `fn`: the value it returns is the field's."""
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(self.fn)


def _nonblank(value: str, _context: Mapping[str, Any], _data: Mapping[str, Any]) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


def _known_actor(value: str, context: Mapping[str, Any], _data: Mapping[str, Any]) -> str:
    actors = context.get("actors")
    if actors is not None and value not in actors:
        raise ValueError(f"unknown actor {value!r} (not in {ACTORS_FILE})")
    return value


def _known_doc(value: str, context: Mapping[str, Any], _data: Mapping[str, Any]) -> str:
    # Known from the index even when its text could not be read (reported once, there).
    known = context.get("documents")
    if known is not None and value not in known:
        raise ValueError(f"unknown source document {value!r} (not in {SOURCES_INDEX})")
    return value


def _verbatim(value: str, context: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    texts = context.get("texts")
    doc = data.get("doc")
    if texts is not None and doc in texts:
        quote = normalise_quote(value)
        if quote not in texts[doc]:
            hint = closest_passage(quote, texts[doc])
            raise ValueError(f"quote not found verbatim in {doc} ({hint})")
    return value


def _timezone(value: str, _context: Mapping[str, Any], _data: Mapping[str, Any]) -> str:
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


def status_word(value: Any) -> Any:
    """The source's word as written, in lower case ("Agreed" starting a sentence: "agreed")."""
    return " ".join(value.casefold().split()) if isinstance(value, str) else value


def unknown_is_none(value: Any) -> Any:
    """`at_meeting: unknown`: the sources do not say when or where it was said."""
    return None if isinstance(value, str) and value.strip().casefold() == "unknown" else value


def chair_of(value: Any) -> Any:
    """`chair: tajikistan` is `chair: {actor: tajikistan}`."""
    return {"actor": value} if isinstance(value, str) else value


def publication(value: Any) -> Any:
    """A day (2021-07-28), or a time with its offset (2021-07-28T18:30+05:00)."""
    if isinstance(value, str):
        value = value.strip()
        if len(value) <= 10:
            return date.fromisoformat(value)
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("a publication time needs its UTC offset (2021-07-28T18:30+05:00)")
    return value


def _when(value: Any) -> When:
    return parse_when(value)


Slug = Annotated[str, Constrained(pattern=_SLUG, max_length=80)]
Text = Annotated[str, Constrained(max_length=4000), After(_nonblank)]
ShortText = Annotated[str, Constrained(max_length=120), After(_nonblank)]
Word = Annotated[str, Constrained(max_length=80), After(_nonblank)]
ActorRef = Annotated[str, After(_known_actor)]
DocRef = Annotated[str, After(_known_doc)]
Quote = Annotated[str, Constrained(min_length=8, max_length=2000), After(_verbatim)]
TimeZoneName = Annotated[str, After(_timezone)]
StatusWord = Annotated[str, Before(status_word), Constrained(pattern=STATUS_PATTERN)]
WhenField = Annotated[When, Parsed(_when)]
FileName = Annotated[str, Constrained(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*\.txt$", max_length=120)]
Url = Annotated[str, Constrained(pattern=r"^https?://\S+$")]
Published = Annotated[date | datetime, Before(publication)]
Number = Annotated[int, Constrained(ge=1)]
NonEmpty = Constrained(min_length=1)
