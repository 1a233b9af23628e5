"""Drafts checked as `knowledge check` checks the digest: each item against the schema and the
source texts, with every problem as file:line: path: what; guesses and TODOs counted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.curation.sources import TODO
from bot.knowledge.errors import Problem
from bot.knowledge.sentences import sentences
from bot.knowledge.text import normalise_quote

if TYPE_CHECKING:
    from bot.knowledge.digest import Digest
    from bot.knowledge.yamlsource import LineMap, Path_

DRAFTS = "drafts"
# A draft item's `type:` and where promote puts it in its meeting.
LISTS = {
    "outcome": "outcomes",
    "position": "positions",
    "event": "events",
    "talk": "talks",
    "not_briefed": "not_briefed",
}
_MODELS = {
    "outcome": "Outcome",
    "position": "Position",
    "event": "Event",
    "talk": "Talk",
    "not_briefed": "NotBriefed",
}
NOTES = ("sentence", "type", "dates")  # a draft's own fields, never promoted


@dataclass
class DraftCheck:
    """One draft file checked: its problems, the guesses and TODOs left, its items unwrapped."""

    path: Path
    name: str
    doc: str = ""
    meeting: str = ""
    problems: list[Problem] = field(default_factory=list)
    guesses: list[Problem] = field(default_factory=list)
    todos: list[Problem] = field(default_factory=list)
    header: dict[str, Any] | None = None
    items: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    unaccounted: list[str] = field(default_factory=list)  # sentences no item quotes

    @property
    def open(self) -> list[Problem]:
        """What promote refuses while it is left: guesses, then TODOs."""
        return [*self.guesses, *self.todos]


def is_guess(value: Any) -> bool:
    """A `{guess: value}` mapping."""
    return isinstance(value, dict) and set(value) == {"guess"}


class _Reader:
    """Unwraps a draft's guesses, noting where each guess and TODO stands."""

    def __init__(self, check: DraftCheck, lines: LineMap) -> None:
        self.check = check
        self.lines = lines

    def note(self, kind: list[Problem], path: Path_, message: str) -> None:
        from bot.knowledge.yamlsource import format_path

        kind.append(Problem(self.check.name, self.lines.line_of(path), format_path(path), message))

    def unwrap(self, value: Any, path: Path_) -> Any:
        if is_guess(value):
            self.note(self.check.guesses, path, "guess left unconfirmed")
            return self.unwrap(value["guess"], path)
        if value == TODO:
            self.note(self.check.todos, path, "TODO left")
            return value
        if isinstance(value, dict):
            return {k: self.unwrap(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.unwrap(v, (*path, i)) for i, v in enumerate(value)]
        return value


def _validate(
    reader: _Reader, model: str, data: dict[str, Any], path: Path_, context: Mapping[str, Any]
) -> None:
    from pydantic import ValidationError

    from bot.knowledge import schema

    try:
        schema.validate_as(model, data, context)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        failed = [tuple(e["loc"]) for e in errors if e["type"] != "too_short"]
        for error in errors:
            loc = tuple(error["loc"])
            if error["type"] == "too_short" and any(f[: len(loc)] == loc for f in failed):
                continue  # a list emptied by its own items' errors, already reported
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "missing":
                message = "required field is missing"
            reader.note(reader.check.problems, (*path, *error["loc"]), message)


def _read(path: Path, name: str, check: DraftCheck) -> tuple[Any, LineMap] | None:
    from bot.knowledge.yamlsource import YamlError, load_yaml

    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        check.problems.append(Problem(name, 1, "(document)", f"cannot read the draft: {exc}"))
    except YamlError as exc:
        from bot.knowledge.yamlsource import format_path

        check.problems.append(Problem(name, exc.line, format_path(exc.path), exc.message))
    return None


def check_draft(path: Path, context: Mapping[str, Any], taken: set[str]) -> DraftCheck:
    """A draft checked against the schema and the texts in `context` (as the digest's own
    validation has them); `taken` holds the ids already used (this draft's are added)."""
    check = DraftCheck(path, f"{DRAFTS}/{path.name}")
    parsed = _read(path, check.name, check)
    if parsed is None:
        return check
    data, lines = parsed
    reader = _Reader(check, lines)
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        reader.note(check.problems, (), "a draft is a mapping with doc, meeting and items")
        return check
    check.doc, check.meeting = str(data.get("doc", "")), str(data.get("meeting", ""))
    if check.doc not in context.get("documents", ()):
        reader.note(check.problems, ("doc",), f"unknown source document {check.doc!r}")
    if isinstance(data.get("new_meeting"), dict):
        check.header = reader.unwrap(data["new_meeting"], ("new_meeting",))
        header = {**check.header, "participants": check.header.get("participants") or []}
        _validate(reader, "Meeting", header, ("new_meeting",), context)
        _claim_id(reader, str(check.header.get("id")), ("new_meeting", "id"), taken)
    for i, raw in enumerate(data["items"]):
        _item(reader, raw, ("items", i), context, taken)
    _coverage(check, context)
    return check


def _item(
    reader: _Reader, raw: Any, path: Path_, context: Mapping[str, Any], taken: set[str]
) -> None:
    if not isinstance(raw, dict):
        reader.note(reader.check.problems, path, "an item is a mapping")
        return
    item = reader.unwrap(raw, path)
    kind = item.get("type")
    if kind not in LISTS:
        choices = ", ".join(LISTS)
        reader.note(
            reader.check.problems, (*path, "type"), f"type {kind!r} is not one of {choices}"
        )
        return
    body = {k: v for k, v in item.items() if k not in NOTES}
    reader.check.items.append((kind, body))
    _validate(reader, _MODELS[kind], body, path, context)
    if "id" in body:
        _claim_id(reader, str(body["id"]), (*path, "id"), taken)


def _claim_id(reader: _Reader, ident: str, path: Path_, taken: set[str]) -> None:
    if ident in taken:
        reader.note(reader.check.problems, path, f"id {ident!r} is already used")
    taken.add(ident)


def _coverage(check: DraftCheck, context: Mapping[str, Any]) -> None:
    """The document's sentences that no item of the draft quotes."""
    text = context.get("raw_texts", {}).get(check.doc)
    if text is None:
        return
    quotes = [
        normalise_quote(str(q))
        for _, body in check.items
        for q in [
            body.get("quote"),
            *(s.get("quote") for s in body.get("sources") or [] if isinstance(s, dict)),
        ]
        if q
    ]
    check.unaccounted = [s for s in sentences(text) if not any(s in q or q in s for q in quotes)]


def digest_context(digest: Digest) -> dict[str, Any]:
    """What draft items are validated against: the digest's documents, texts and actors."""
    return {
        "texts": {d: normalise_quote(t) for d, t in digest.texts.items()},
        "raw_texts": dict(digest.texts),
        "documents": set(digest.documents_by_id),
        "actors": set(digest.actors_by_id),
    }


def digest_ids(digest: Digest) -> set[str]:
    """Every id meetings.yaml uses."""
    ids = {m.id for m in digest.meetings}
    for m in digest.meetings:
        ids |= {o.id for o in m.outcomes} | {p.id for p in m.positions}
        ids |= {e.id for e in m.events} | {t.id for t in m.talks}
    return ids


def check_drafts(directory: Path, digest: Digest) -> list[DraftCheck]:
    """Every draft of the digest in `directory`, checked."""
    context = digest_context(digest)
    taken = digest_ids(digest)
    return [check_draft(p, context, taken) for p in sorted((directory / DRAFTS).glob("*.yaml"))]


def index_todos(directory: Path) -> list[Problem]:
    """Index fields add-source left TODO: they would validate ("TODO" is text), so they are
    reported here, and promote refuses a document that still has one."""
    from bot.knowledge.yamlsource import YamlError, format_path, load_yaml

    path = directory / "sources" / "index.yaml"
    try:
        data, lines = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YamlError):
        return []  # the digest's own validation says what is wrong with the file
    documents = data.get("documents") if isinstance(data, dict) else None
    found = []
    for i, doc in enumerate(documents if isinstance(documents, list) else []):
        for key, value in doc.items() if isinstance(doc, dict) else ():
            if value == TODO:
                where: Path_ = ("documents", i, key)
                found.append(
                    Problem(
                        f"{directory.name}/sources/index.yaml",
                        lines.line_of(where),
                        format_path(where),
                        f"TODO left in {doc.get('id')}: write it (add-source could not fill it)",
                    )
                )
    return found
