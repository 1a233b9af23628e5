"""The knowledge digest: schema, one validated load, and errors as file:line: path: what."""

from __future__ import annotations

import gc
import os
import pickle
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from bot.dates import When, parse_when, zone
from bot.errors import DigestError as DigestError  # re-exported
from bot.errors import Problem as Problem
from bot.versioning import content_version
from bot.yamlsource import LineMap, Path_, YamlError, format_path, load_yaml

SOURCES_INDEX = "sources/index.yaml"
ACTORS_FILE = "actors.yaml"
MEETINGS_FILE = "meetings.yaml"
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_PROBLEMS = 500

M = TypeVar("M", bound=BaseModel)

_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_APOSTROPHES = {
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "`": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
}


def normalise_quote(text: str) -> str:
    """Fold whitespace and apostrophe variants (not the words) for verbatim quote matching."""
    # str.replace and str.split run in C: ten times faster than translate() and a regex here.
    for variant, plain in _APOSTROPHES.items():
        text = text.replace(variant, plain)
    return " ".join(text.split())


def _context(info: ValidationInfo) -> Mapping[str, Any]:
    return info.context or {}


def _known_actor(value: str, info: ValidationInfo) -> str:
    actors = _context(info).get("actors")
    if actors is not None and value not in actors:
        raise ValueError(f"unknown actor {value!r} (not in {ACTORS_FILE})")
    return value


def _timezone(value: str) -> str:
    try:
        zone(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA timezone") from None
    return value


def _nonblank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


Slug = Annotated[str, Field(pattern=_SLUG, max_length=80)]
Text = Annotated[str, AfterValidator(_nonblank), Field(max_length=4000)]
ActorRef = Annotated[str, AfterValidator(_known_actor)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
WhenField = Annotated[When, BeforeValidator(parse_when)]


class _Frozen(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=False, arbitrary_types_allowed=True
    )


class Document(_Frozen):
    """A source document and its attribution."""

    id: Slug
    # A bare file name: sources are read from sources/ only, never from elsewhere on disk.
    file: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*\.txt$", max_length=120)]
    title: Text
    publisher: Text
    short: Text = Field(description="Short attribution used in citations")
    published: date
    dateline: str | None = None
    url: Annotated[str, Field(pattern=r"^https?://\S+$")]
    language: str = "en"
    account: Text = Field(description="Whose account of events this is")

    @field_validator("published", mode="before")
    @classmethod
    def _iso_day(cls, value: Any) -> Any:
        if isinstance(value, str):
            return date.fromisoformat(value)
        return value


class SourceIndex(_Frozen):
    """knowledge/sources/index.yaml."""

    documents: tuple[Document, ...] = Field(min_length=1)


class ActorKind(StrEnum):
    """What kind of actor speaks or acts in the documents."""

    STATE = "state"
    ORGANISATION = "organisation"
    BODY = "body"
    PERSON = "person"


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
        texts = _context(info).get("texts")
        if texts is not None and value not in texts:
            raise ValueError(f"unknown source document {value!r} (not in {SOURCES_INDEX})")
        return value

    @field_validator("quote")
    @classmethod
    def _verbatim(cls, value: str, info: ValidationInfo) -> str:
        texts = _context(info).get("texts")
        doc = info.data.get("doc")
        if texts is not None and doc in texts and normalise_quote(value) not in texts[doc]:
            raise ValueError(f"quote not found verbatim in {doc}")
        return value


Sources = Annotated[tuple[Citation, ...], Field(min_length=1)]


class Participant(_Frozen):
    """An actor the sources place at the meeting."""

    actor: ActorRef
    role: str | None = None
    sources: Sources


class OutcomeKind(StrEnum):
    """What kind of outcome of a meeting an item is."""

    DECISION = "decision"
    AGREEMENT = "agreement"
    STATEMENT = "statement"


class Outcome(_Frozen):
    """One decision, agreement or statement of the ministers jointly."""

    id: Slug
    theme: Text
    kind: OutcomeKind
    summary: Text
    sources: Sources


class Position(_Frozen):
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


class Talk(_Frozen):
    """Bilateral talks held on the sidelines of a meeting."""

    id: Slug
    actor: ActorRef
    speaker: str | None = None
    counterparts: tuple[ActorRef, ...] = Field(min_length=1)
    topics: tuple[Text, ...] = Field(min_length=1)
    sources: Sources


class Meeting(_Frozen):
    """One meeting, what it decided and who said what there."""

    id: Slug
    title: Text
    number: int | None = Field(default=None, ge=1)
    date: WhenField
    place: Text
    timezone: TimeZoneName | None = None
    chair: ActorRef
    body: ActorRef = Field(description="The actor that speaks for the meeting's joint outcomes")
    summary: Text
    sources: Sources
    participants: tuple[Participant, ...] = Field(min_length=1)
    outcomes: tuple[Outcome, ...] = ()
    positions: tuple[Position, ...] = ()
    events: tuple[Event, ...] = ()
    talks: tuple[Talk, ...] = ()


class MeetingIndex(_Frozen):
    """knowledge/meetings.yaml."""

    meetings: tuple[Meeting, ...] = Field(min_length=1)


@dataclass(frozen=True)
class Digest:
    """The validated knowledge, with lookups built once at load."""

    documents: tuple[Document, ...]
    actors: tuple[Actor, ...]
    meetings: tuple[Meeting, ...]
    version: str
    documents_by_id: Mapping[str, Document] = field(repr=False)
    actors_by_id: Mapping[str, Actor] = field(repr=False)
    aliases: Mapping[str, str] = field(repr=False)
    # Derived views that queries work out once per digest (a digest never changes).
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def document(self, doc_id: str) -> Document:
        """The source document with this id."""
        return self.documents_by_id[doc_id]

    def actor(self, actor_id: str) -> Actor:
        """The actor with this id."""
        return self.actors_by_id[actor_id]

    def __reduce__(self) -> tuple[Any, ...]:
        # The lookups are rebuilt on unpickling (mapping proxies do not pickle).
        return (_rebuild, (self.documents, self.actors, self.meetings, self.version))


def _rebuild(
    documents: tuple[Document, ...],
    actors: tuple[Actor, ...],
    meetings: tuple[Meeting, ...],
    version: str,
) -> Digest:
    return _digest(documents, actors, meetings, version)


def _digest(
    documents: tuple[Document, ...],
    actors: tuple[Actor, ...],
    meetings: tuple[Meeting, ...],
    version: str,
) -> Digest:
    aliases: dict[str, str] = {}
    for actor in actors:
        for name in (actor.id, actor.name, *actor.aliases):
            aliases.setdefault(alias_key(name), actor.id)
    return Digest(
        documents=documents,
        actors=actors,
        meetings=meetings,
        version=version,
        documents_by_id=MappingProxyType({d.id: d for d in documents}),
        actors_by_id=MappingProxyType({a.id: a for a in actors}),
        aliases=MappingProxyType(aliases),
    )


def _display_name(directory: Path, relative: str) -> str:
    return f"{directory.name}/{relative}"


class _Collector:
    """Gathers problems across files, each located by file and line."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.problems: list[Problem] = []
        self.unlisted = 0

    def add(self, relative: str, line: int, path: Path_, message: str) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.unlisted += 1  # a pathological file: list enough to act on, count the rest
            return
        self.problems.append(
            Problem(_display_name(self.directory, relative), line, format_path(path), message)
        )

    def read(self, relative: str) -> tuple[Any, LineMap] | None:
        """Read and parse one YAML file, recording any problem; None when unusable."""
        file = self.directory / relative
        try:
            size = file.stat().st_size
            if size > MAX_FILE_BYTES:
                self.add(
                    relative, 1, (), f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}"
                )
                return None
            raw = file.read_bytes()
        except FileNotFoundError:
            self.add(relative, 1, (), "file is missing")
            return None
        except OSError as exc:
            self.add(relative, 1, (), f"cannot read file: {exc.strerror}")
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self.add(relative, line, (), "file is not valid UTF-8")
            return None
        try:
            data, lines = load_yaml(text)
        except YamlError as exc:
            self.add(relative, exc.line, exc.path, exc.message)
            return None
        if data is None:
            self.add(relative, 1, (), "file is empty")
            return None
        return data, lines

    def validate(
        self, relative: str, model: type[M], parsed: tuple[Any, LineMap], context: dict[str, Any]
    ) -> M | None:
        """Validate parsed data against `model`, recording every error with its line."""
        data, lines = parsed
        try:
            return model.model_validate(data, context=context)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            failed = [tuple(e["loc"]) for e in errors if e["type"] != "too_short"]
            for error in errors:
                loc: Path_ = tuple(error["loc"])
                if error["type"] == "too_short" and any(
                    f[: len(loc)] == loc and len(f) > len(loc) for f in failed
                ):
                    continue  # a list emptied by its own items' errors, already reported
                message = error["msg"].removeprefix("Value error, ")
                if error["type"] == "missing":
                    message = "required field is missing"
                self.add(relative, lines.line_of(loc), loc, message)
            return None

    def unique_ids(self, relative: str, parsed: tuple[Any, LineMap]) -> None:
        """Record ids used twice anywhere in one file, wherever they stand."""
        data, lines = parsed
        ids = _ids(data)
        if len(ids) == len(set(ids)):
            return  # the usual case, checked without building a path for every value
        seen: dict[str, Path_] = {}

        def walk(value: Any, path: Path_) -> None:
            if isinstance(value, dict):
                ident = value.get("id")
                if isinstance(ident, str):
                    if ident in seen:
                        where = format_path(seen[ident])
                        self.add(
                            relative,
                            lines.line_of((*path, "id")),
                            (*path, "id"),
                            f"duplicated id {ident!r} (first at {where})",
                        )
                    else:
                        seen[ident] = path
                for k, v in value.items():
                    walk(v, (*path, k))
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    walk(v, (*path, i))

        walk(data, ())


def _ids(data: Any) -> list[str]:
    """Every `id` value in a parsed document."""
    found: list[str] = []
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            ident = value.get("id")
            if isinstance(ident, str):
                found.append(ident)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return found


def load_digest(directory: Path, cache_dir: Path | None = None) -> Digest:
    """Load and validate the digest in `directory`; raise DigestError listing every problem.

    With `cache_dir`, a digest that validated before is read back from a pickle named by its
    content hash: YAML parsing and validation are skipped until a file changes."""
    directory = Path(directory)
    version = content_version(directory)
    cached = _from_cache(cache_dir, version)
    if cached is not None:
        return cached
    with _collector_paused():
        digest = _load(directory, version)
    _to_cache(cache_dir, digest)
    return digest


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the digest is built.

    Parsing creates ~10^5 acyclic containers, which trigger full collections that find nothing
    and cost a quarter of the load; reference counting still frees everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _cache_file(cache_dir: Path, version: str) -> Path:
    return cache_dir / f"digest-{version}-py{sys.version_info[0]}{sys.version_info[1]}.pickle"


def _from_cache(cache_dir: Path | None, version: str) -> Digest | None:
    if cache_dir is None:
        return None
    try:
        with open(_cache_file(cache_dir, version), "rb") as file:
            digest = pickle.load(file)
    except Exception:  # missing, unreadable or from an older schema: load from the files
        return None
    return digest if isinstance(digest, Digest) and digest.version == version else None


def _to_cache(cache_dir: Path | None, digest: Digest) -> None:
    if cache_dir is None:
        return
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        target = _cache_file(cache_dir, digest.version)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        with open(partial, "wb") as file:
            pickle.dump(digest, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, target)  # readers see the whole file or none
    except OSError:
        pass  # a cache that cannot be written only costs time


def _load(directory: Path, version: str) -> Digest:
    found = _Collector(directory)

    texts: dict[str, str] = {}
    documents: tuple[Document, ...] = ()
    parsed = found.read(SOURCES_INDEX)
    if parsed is not None:
        found.unique_ids(SOURCES_INDEX, parsed)
        index = found.validate(SOURCES_INDEX, SourceIndex, parsed, {})
        if index is not None:
            documents = index.documents
            for i, doc in enumerate(documents):
                source = directory / "sources" / doc.file
                try:
                    raw = source.read_bytes()
                    texts[doc.id] = normalise_quote(raw.decode("utf-8"))
                except (OSError, UnicodeDecodeError) as exc:
                    reason = "is missing" if isinstance(exc, FileNotFoundError) else "is unreadable"
                    path: Path_ = ("documents", i, "file")
                    found.add(
                        SOURCES_INDEX,
                        parsed[1].line_of(path),
                        path,
                        f"source file sources/{doc.file} {reason}",
                    )

    actors: tuple[Actor, ...] = ()
    aliases: dict[str, str] = {}
    parsed = found.read(ACTORS_FILE)
    if parsed is not None:
        found.unique_ids(ACTORS_FILE, parsed)
        actor_index = found.validate(ACTORS_FILE, ActorIndex, parsed, {})
        if actor_index is not None:
            actors = actor_index.actors
            for i, actor in enumerate(actors):
                for j, name in enumerate((actor.id, actor.name, *actor.aliases)):
                    key = alias_key(name)
                    owner = aliases.setdefault(key, actor.id)
                    if owner != actor.id:
                        path = ("actors", i, "aliases", j - 2) if j >= 2 else ("actors", i)
                        found.add(
                            ACTORS_FILE,
                            parsed[1].line_of(path),
                            path,
                            f"alias {name!r} already names actor {owner!r}",
                        )

    meetings: tuple[Meeting, ...] = ()
    parsed = found.read(MEETINGS_FILE)
    if parsed is not None:
        found.unique_ids(MEETINGS_FILE, parsed)
        # Without a valid actor list, references cannot be checked; other errors still are.
        context = {"texts": texts, "actors": {a.id for a in actors} if actors else None}
        meeting_index = found.validate(MEETINGS_FILE, MeetingIndex, parsed, context)
        if meeting_index is not None:
            meetings = meeting_index.meetings

    if found.unlisted:
        last = found.problems[-1]
        found.problems.append(
            Problem(last.file, last.line, last.path, f"... and {found.unlisted:,} more problems")
        )
    if found.problems:
        raise DigestError(found.problems)

    return _digest(documents, actors, meetings, version)


def alias_key(name: str) -> str:
    """How names are compared: case-insensitive, apostrophes and spacing folded."""
    return normalise_quote(name).casefold()
