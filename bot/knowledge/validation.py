"""Validation of the digest's files against model.py's classes, with every problem as
file:line: path: what; what validates is those plain dataclasses."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

from bot.knowledge import checks, schema
from bot.knowledge.digest import Digest, build_digest
from bot.knowledge.errors import DigestError, Problem
from bot.knowledge.model import Actor, Document, Meeting
from bot.knowledge.schema import (
    ACTORS_FILE,
    MEETINGS_FILE,
    SOURCES_INDEX,
    ActorIndex,
    MeetingIndex,
    SourceIndex,
)
from bot.knowledge.text import alias_key, normalise_quote

if TYPE_CHECKING:
    from bot.knowledge.yamlsource import LineMap, Path_

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_PROBLEMS = 500

M = TypeVar("M")


def _display_name(directory: Path, relative: str) -> str:
    return f"{directory.name}/{relative}"


class NotARegularFile(OSError):
    """A path that is a FIFO, a device, a socket or a folder, or a file over the size limit:
    reading it could block forever or never end, so it is refused unread."""


def read_regular_file(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file, refusing anything else without blocking on it.

    Opened non-blocking and checked with fstat on the open descriptor: a FIFO (which would
    wait for a writer forever) or a device (which may never end) is refused, whatever symlink
    led to it."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile("is not a regular file (a FIFO, device or folder?)")
        if limit is not None and info.st_size > limit:
            raise NotARegularFile(f"file is {info.st_size:,} bytes; the limit is {limit:,}")
        return file.read()


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
            Problem(_display_name(self.directory, relative), line, _format_path(path), message)
        )

    def add_all(self, relative: str, lines: LineMap, found: list[checks.Found]) -> None:
        """Record the problems a check found, each at its line."""
        for path, message in found:
            self.add(relative, lines.line_of(path), path, message)

    def read(self, relative: str) -> tuple[Any, LineMap] | None:
        """Read and parse one YAML file, recording any problem; None when unusable."""
        # YAML is read only when the digest is not in the cache: its parser is imported here.
        from bot.knowledge.yamlsource import YamlError, load_yaml

        try:
            raw = read_regular_file(self.directory / relative, MAX_FILE_BYTES)
        except FileNotFoundError:
            self.add(relative, 1, (), "file is missing")
            return None
        except NotARegularFile as exc:
            self.add(relative, 1, (), str(exc))
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
            return schema.validate(model, data, context)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            failed = [tuple(e["loc"]) for e in errors if e["type"] != "too_short"]
            for error in errors:
                loc: Path_ = tuple(error["loc"])
                if error["type"] == "too_short" and any(
                    f[: len(loc)] == loc and len(f) > len(loc) for f in failed
                ):
                    continue  # a list emptied by its own items' errors, already reported
                self.add(relative, lines.line_of(loc), loc, problem_message(error))
            return None

    def load(
        self, relative: str, model: type[M], context: dict[str, Any]
    ) -> tuple[M, LineMap, Any] | None:
        """Read, check ids and validate one file: what it holds, where, and the data as read;
        None (problems recorded) when unusable."""
        parsed = self.read(relative)
        if parsed is None:
            return None
        self.unique_ids(relative, parsed)
        validated = self.validate(relative, model, parsed, context)
        return None if validated is None else (validated, parsed[1], parsed[0])

    def raise_if_any(self) -> None:
        """Raise DigestError with everything recorded (the overflow counted in a last line)."""
        if self.unlisted:
            last = self.problems[-1]
            self.problems.append(
                Problem(last.file, last.line, last.path, f"... and {self.unlisted:,} more problems")
            )
        if self.problems:
            raise DigestError(self.problems)

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
                        where = _format_path(seen[ident])
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


def validate_digest(
    directory: Path,
    version: str,
    warnings: list[Problem] | None = None,
    now: datetime | None = None,
) -> Digest:
    """The digest in `directory` validated, as plain dataclasses; raise DigestError listing
    every problem. With `warnings`, what loads but should change is appended to it (events
    whose time has passed judged as of `now`)."""
    found = _Collector(directory)
    texts: dict[str, str] = {}
    raw_texts: dict[str, str] = {}
    documents: tuple[Document, ...] = ()
    index = found.load(SOURCES_INDEX, SourceIndex, {})
    if index is not None:
        documents = index[0].documents
        _read_texts(found, directory, documents, index[1], texts, raw_texts)
    actors: tuple[Actor, ...] = ()
    actor_index = found.load(ACTORS_FILE, ActorIndex, {})
    if actor_index is not None:
        actors = actor_index[0].actors
        _check_aliases(found, actors, actor_index[1])
    meetings: tuple[Meeting, ...] = ()
    # Without a valid actor list, references cannot be checked; other errors still are.
    context = {
        "texts": texts,
        "documents": {d.id for d in documents} if index is not None else None,
        "actors": {a.id for a in actors} if actors else None,
    }
    meeting_index = found.load(MEETINGS_FILE, MeetingIndex, context)
    documents_by_id = {d.id: d for d in documents}
    if meeting_index is not None:
        meetings = meeting_index[0].meetings
        lines = meeting_index[1]
        _check_events(found, meetings, lines)
        found.add_all(MEETINGS_FILE, lines, checks.voice_errors(meetings, documents_by_id))
        actors_by_id = {a.id: a for a in actors}
        found.add_all(MEETINGS_FILE, lines, checks.attestation_errors(meetings, actors_by_id))
        if warnings is not None:
            warnings += _warnings(directory, documents, meetings, lines)
            more = checks.status_warnings(meetings)
            more += checks.event_report_warnings(meetings, documents_by_id)
            if now is not None:
                superseded = {e.supersedes for m in meetings for e in m.events if e.supersedes}
                more += checks.placeholder_warnings(meetings, superseded, now)
            warnings += [_problem(directory, MEETINGS_FILE, lines, p, m) for p, m in more]
    if index is not None:
        _check_documents(found, documents, actors, meetings, index[1])
        found.add_all(SOURCES_INDEX, index[1], checks.copy_errors(documents))
        if warnings is not None:
            warnings += _document_warnings(directory, index[2], index[1])
            warnings += [
                _problem(directory, SOURCES_INDEX, index[1], p, m)
                for p, m in checks.copy_warnings(documents, raw_texts)
            ]
    found.raise_if_any()
    return build_digest(documents, actors, meetings, version, raw_texts)


def problem_message(error: Mapping[str, Any]) -> str:
    """A validation error as the curator reads it."""
    if error["type"] in ("missing", "missing_keyword_only_argument"):
        return "required field is missing"
    if error["type"] in ("unexpected_keyword_argument", "extra_forbidden"):
        return "extra inputs are not permitted"
    return str(error["msg"]).removeprefix("Value error, ")


def _check_documents(
    found: _Collector,
    documents: tuple[Document, ...],
    actors: tuple[Actor, ...],
    meetings: tuple[Meeting, ...],
    lines: LineMap,
) -> None:
    """References from the index: participants, meetings, and citation labels kept unique."""
    actor_ids = {a.id for a in actors}
    meeting_ids = {m.id for m in meetings}
    labels: dict[str, str] = {}
    for i, doc in enumerate(documents):
        if actors and doc.participant and doc.participant not in actor_ids:
            path: Path_ = ("documents", i, "participant")
            found.add(
                SOURCES_INDEX, lines.line_of(path), path, f"unknown actor {doc.participant!r}"
            )
        for j, meeting_id in enumerate(doc.meetings):
            if meetings and meeting_id not in meeting_ids:
                path = ("documents", i, "meetings", j)
                found.add(
                    SOURCES_INDEX, lines.line_of(path), path, f"unknown meeting {meeting_id!r}"
                )
        owner = labels.setdefault(doc.citation_label, doc.id)
        if owner != doc.id:
            path = ("documents", i, "label")
            message = f"label {doc.citation_label!r} also names {owner!r}: give each a `label:`"
            found.add(SOURCES_INDEX, lines.line_of(path), path, message)


def _check_events(found: _Collector, meetings: tuple[Meeting, ...], lines: LineMap) -> None:
    """An event supersedes an existing, other event."""
    ids = {e.id for m in meetings for e in m.events}
    for i, meeting in enumerate(meetings):
        for j, event in enumerate(meeting.events):
            target = event.supersedes
            if target is not None and (target not in ids or target == event.id):
                path: Path_ = ("meetings", i, "events", j, "supersedes")
                found.add(MEETINGS_FILE, lines.line_of(path), path, f"no other event {target!r}")


def _warnings(
    directory: Path, documents: tuple[Document, ...], meetings: tuple[Meeting, ...], lines: LineMap
) -> list[Problem]:
    """What loads but should change: claims merging two accounts, documents without a stance."""
    found: list[Problem] = []
    for i, meeting in enumerate(meetings):
        for field in ("outcomes", "positions"):
            for j, item in enumerate(getattr(meeting, field)):
                docs = list(dict.fromkeys(c.doc for c in item.sources))
                if len(docs) > 1:
                    path: Path_ = ("meetings", i, field, j, "sources")
                    message = (
                        f"{item.id} cites {len(docs)} documents ({', '.join(docs)}): write one "
                        "claim per reporting document (they are shown apart until then)"
                    )
                    found.append(_problem(directory, MEETINGS_FILE, lines, path, message))
    return found


def _document_warnings(directory: Path, data: Any, lines: LineMap) -> list[Problem]:
    """Documents that do not say how they speak are cited as a third party's report."""
    documents = data.get("documents") if isinstance(data, dict) else None
    return [
        _problem(
            directory,
            SOURCES_INDEX,
            lines,
            ("documents", i),
            f"{doc.get('id')} has no `stance:` (joint, participant, relay or third_party): its "
            "claims are shown as a third party's report",
        )
        for i, doc in enumerate(documents or ())
        if isinstance(doc, dict) and "stance" not in doc
    ]


def _problem(directory: Path, relative: str, lines: LineMap, path: Path_, message: str) -> Problem:
    return Problem(
        _display_name(directory, relative), lines.line_of(path), _format_path(path), message
    )


def _format_path(path: Path_) -> str:
    from bot.knowledge.yamlsource import format_path

    return format_path(path)


def _read_texts(
    found: _Collector,
    directory: Path,
    documents: tuple[Document, ...],
    lines: LineMap,
    texts: dict[str, str],
    raw_texts: dict[str, str],
) -> None:
    """Read each document's text (normalised for quote matching) into `texts`, as read into
    `raw_texts` (its lines kept, for question search)."""
    for i, doc in enumerate(documents):
        try:
            raw = read_regular_file(directory / "sources" / doc.file)
            raw_texts[doc.id] = raw.decode("utf-8")
            texts[doc.id] = normalise_quote(raw_texts[doc.id])
        except (OSError, UnicodeDecodeError) as exc:
            reason = "is unreadable"
            if isinstance(exc, FileNotFoundError):
                reason = "is missing"
            elif isinstance(exc, NotARegularFile):
                reason = str(exc)
            path: Path_ = ("documents", i, "file")
            found.add(
                SOURCES_INDEX, lines.line_of(path), path, f"source file sources/{doc.file} {reason}"
            )


def _check_aliases(found: _Collector, actors: tuple[Actor, ...], lines: LineMap) -> None:
    """An alias may name one actor only."""
    aliases: dict[str, str] = {}
    for i, actor in enumerate(actors):
        for j, name in enumerate((actor.id, actor.name, *actor.aliases)):
            owner = aliases.setdefault(alias_key(name), actor.id)
            if owner != actor.id:
                path: Path_ = ("actors", i, "aliases", j - 2) if j >= 2 else ("actors", i)
                found.add(
                    ACTORS_FILE,
                    lines.line_of(path),
                    path,
                    f"alias {name!r} already names actor {owner!r}",
                )
