"""`knowledge promote`: a reviewed draft's items moved into meetings.yaml, all or nothing.

meetings.yaml and the index are edited with ruamel.yaml, which keeps their comments, flow lists
and folded text as the curators wrote them; the result is validated as a whole digest (in a
scratch copy) before either file is replaced, and the draft is removed only after both are."""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.curation.drafts import (
    LISTS,
    DraftCheck,
    check_draft,
    digest_context,
    digest_ids,
    index_todos,
)
from bot.curation.files import Refusal, replace_file
from bot.knowledge.errors import DigestError

MEETINGS = "meetings.yaml"
INDEX = "sources/index.yaml"


@dataclass(frozen=True)
class Promoted:
    """A draft promoted: into which meeting, how many items of each kind."""

    draft: str
    meeting: str
    new_meeting: bool
    counts: dict[str, int]


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    editor = YAML(typ="rt")
    editor.preserve_quotes = True
    editor.width = 4096  # never re-wrap a curator's line
    editor.indent(mapping=2, sequence=4, offset=2)
    return editor


def _dump(editor: Any, data: Any) -> str:
    out = io.StringIO()
    editor.dump(data, out)
    return out.getvalue()


def _refuse_open(check: DraftCheck) -> None:
    if check.problems:
        first = check.problems[0]
        more = f" (and {len(check.problems) - 1} more)" if len(check.problems) > 1 else ""
        raise Refusal(f"not promoted: {first}{more}; run `sco-bot knowledge check`")
    left = check.open
    if left:
        guesses, todos = len(check.guesses), len(check.todos)
        raise Refusal(
            f"not promoted: {left[0]} ({guesses} guesses and {todos} TODOs left to confirm)"
        )


def _meeting(meetings: list[Any], check: DraftCheck) -> tuple[Any, bool]:
    found = next((m for m in meetings if m.get("id") == check.meeting), None)
    if found is not None:
        if check.header is not None:
            raise Refusal(f"not promoted: meeting {check.meeting!r} is already in {MEETINGS}")
        return found, False
    if check.header is None:
        raise Refusal(
            f"not promoted: meeting {check.meeting!r} is not in {MEETINGS}: promote first the "
            "draft that carries its new_meeting header"
        )
    if check.header.get("id") != check.meeting:
        raise Refusal("not promoted: new_meeting.id is not the draft's meeting")
    meeting = _plain_dates(check.header)
    meetings.append(meeting)
    return meeting, True


def _plain_dates(value: Any) -> Any:
    """ISO days and years as YAML dates and numbers, so they are written unquoted."""
    if isinstance(value, dict):
        return {k: _plain_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_dates(v) for v in value]
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return date.fromisoformat(value)
    if isinstance(value, str) and re.fullmatch(r"[12]\d{3}", value):
        return int(value)
    return value


def _place(meeting: Any, check: DraftCheck) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind, raw in check.items:
        body = _plain_dates(raw)
        key = LISTS[kind]
        if meeting.get(key) is None:
            meeting[key] = []
        meeting[key].append(body)
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def _link_document(index: Any, doc: str, meeting: str) -> None:
    for entry in index["documents"]:
        if entry.get("id") == doc:
            linked = entry.get("meetings")
            if linked is None:
                entry["meetings"] = [meeting]
            elif meeting not in linked:
                linked.append(meeting)


def _validated(directory: Path, meetings_text: str, index_text: str) -> None:
    """The digest as it would be, validated in a scratch copy; refuse at its first problem."""
    from bot.knowledge.validation import validate_digest

    with tempfile.TemporaryDirectory(prefix="sco-promote-") as scratch:
        copy = Path(scratch) / directory.name
        shutil.copytree(directory, copy, ignore=shutil.ignore_patterns("drafts", ".*"))
        (copy / MEETINGS).write_text(meetings_text, encoding="utf-8")
        (copy / INDEX).write_text(index_text, encoding="utf-8")
        try:
            validate_digest(copy, "promote")
        except DigestError as exc:
            raise Refusal(f"not promoted, the digest would be invalid: {exc.problems[0]}") from None


def promote(directory: Path, draft: Path) -> Promoted:
    """Move the items of a draft with no guess and no TODO left into meetings.yaml."""
    from bot.knowledge.loader import load_digest

    if not draft.is_file():
        raise Refusal(f"no draft {draft}")
    try:
        digest = load_digest(directory)
    except DigestError as exc:
        raise Refusal(f"the digest is invalid, fix it first: {exc.problems[0]}") from None
    check = check_draft(draft, digest_context(digest), digest_ids(digest))
    _refuse_open(check)
    todo = next((t for t in index_todos(directory) if f" {check.doc}:" in t.message), None)
    if todo is not None:
        raise Refusal(f"not promoted: {todo}")
    # ruamel's round-trip loader builds plain maps and lists (no Python objects from tags).
    editor = _round_trip()
    data = editor.load((directory / MEETINGS).read_text(encoding="utf-8"))
    index = editor.load((directory / INDEX).read_text(encoding="utf-8"))
    meeting, new = _meeting(data["meetings"], check)
    counts = _place(meeting, check)
    _link_document(index, check.doc, check.meeting)
    meetings_text, index_text = _dump(editor, data), _dump(editor, index)
    _validated(directory, meetings_text, index_text)
    replace_file(directory / MEETINGS, meetings_text)
    replace_file(directory / INDEX, index_text)
    draft.unlink()
    return Promoted(check.name, check.meeting, new, counts)
