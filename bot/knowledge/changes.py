"""What changed between two digests, as data: meetings, claims, events, talks, set-aside
sentences, documents and actors added, removed or changed, and for a change each field's old
and new value (date, status, supersession, quotes, the voice shown...).

A pure function of two Digests: the curator's review of a change (`knowledge diff`) and the
input of "what's new" messages alike."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, is_dataclass
from enum import Enum
from typing import Any

from bot.knowledge.dates import When
from bot.knowledge.digest import Digest
from bot.knowledge.model import Citation, Meeting

ITEM_LISTS = {"outcomes": "outcome", "positions": "position", "events": "event", "talks": "talk"}
KINDS = (
    "meeting", "document", "outcome", "position", "event", "talk", "not_briefed", "actor",
)  # fmt: skip


@dataclass(frozen=True)
class FieldChange:
    """One field of an item, as the old digest and the new one give it (None: not given)."""

    name: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Change:
    """An item added, removed or changed, with what changed."""

    kind: str  # meeting, document, outcome, position, event, talk, not_briefed or actor
    id: str
    action: str  # added, removed or changed
    label: str  # its title or summary, as the newer digest has it
    meeting: str | None = None  # the meeting an item belongs to
    fields: tuple[FieldChange, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """As JSON would have it."""
        return {
            "kind": self.kind,
            "id": self.id,
            "action": self.action,
            "label": self.label,
            "meeting": self.meeting,
            "fields": [{"name": f.name, "old": f.old, "new": f.new} for f in self.fields],
        }


@dataclass(frozen=True)
class DigestDiff:
    """Every change from one digest to another, meetings first."""

    old_version: str
    new_version: str
    changes: tuple[Change, ...]

    def of(self, kind: str, action: str | None = None) -> list[Change]:
        """The changes of one kind (and action)."""
        return [c for c in self.changes if c.kind == kind and action in (None, c.action)]

    def counts(self) -> dict[str, dict[str, int]]:
        """kind -> action -> how many, for the kinds that changed."""
        found: dict[str, dict[str, int]] = {}
        for change in self.changes:
            by_action = found.setdefault(change.kind, {})
            by_action[change.action] = by_action.get(change.action, 0) + 1
        return found

    def as_dict(self) -> dict[str, Any]:
        """As JSON would have it."""
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "counts": self.counts(),
            "changes": [c.as_dict() for c in self.changes],
        }


def shown(value: Any) -> str | None:
    """A field's value as one line of text (None when the item does not give it)."""
    if value is None or value == ():
        return None
    if isinstance(value, When):
        return value.iso()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Citation):
        return f"{value.doc}: “{value.quote}”"
    if isinstance(value, tuple):
        return "; ".join(s for s in (shown(v) for v in value) if s)
    if is_dataclass(value) and hasattr(value, "actor"):
        return str(value.actor)  # a chair, a participant: who
    if is_dataclass(value):  # an event's update: the fields it gives
        given = ((f.name, shown(getattr(value, f.name))) for f in fields(value) if f.init)
        return ", ".join(f"{name} {text}" for name, text in given if text and text != "False")
    return str(value)


def _values(item: Any, skip: frozenset[str] = frozenset()) -> dict[str, str | None]:
    values = {f.name: shown(getattr(item, f.name)) for f in fields(item) if f.init}
    if "sources" in values:
        values["quote"] = values.pop("sources")  # what a reader calls it
    return {k: v for k, v in values.items() if k not in skip}


@dataclass(frozen=True)
class _Entry:
    kind: str
    id: str
    label: str
    meeting: str | None
    values: dict[str, str | None]


def _meeting_entries(digest: Digest, meeting: Meeting) -> Iterator[_Entry]:
    skip = frozenset({*ITEM_LISTS, "not_briefed"})
    yield _Entry("meeting", meeting.id, meeting.title, None, _values(meeting, skip))
    voices: dict[str, list[str]] = {}
    for claim in digest.claims:
        if claim.meeting.id == meeting.id:
            voices.setdefault(claim.id, []).append(claim.voice.value)
    for key, kind in ITEM_LISTS.items():
        for item in getattr(meeting, key):
            values = _values(item)
            if item.id in voices:  # the voice shown, whether written or derived
                values["voice"] = "; ".join(voices[item.id])
            label = getattr(item, "title", None) or getattr(item, "summary", None) or item.id
            if kind == "talk":
                label = f"{item.actor} with {', '.join(item.counterparts)}"
            yield _Entry(kind, item.id, label, meeting.id, values)
    for aside in meeting.not_briefed:
        ident = f"{aside.doc}: {aside.quote}"
        yield _Entry("not_briefed", ident, aside.reason, meeting.id, {"reason": aside.reason})


def _entries(digest: Digest) -> dict[tuple[str, str], _Entry]:
    found: dict[tuple[str, str], _Entry] = {}
    for meeting in digest.meetings:
        for entry in _meeting_entries(digest, meeting):
            found.setdefault((entry.kind, entry.id), entry)
    for doc in digest.documents:
        entry = _Entry("document", doc.id, doc.citation_label, None, _values(doc))
        found[("document", doc.id)] = entry
    for actor in digest.actors:
        found[("actor", actor.id)] = _Entry("actor", actor.id, actor.name, None, _values(actor))
    return found


def diff_digests(old: Digest, new: Digest) -> DigestDiff:
    """Every change from `old` to `new`, by kind (meetings first), in the new digest's order
    (removed items after, in the old one's)."""
    before, after = _entries(old), _entries(new)
    changes: list[Change] = []
    for key, entry in after.items():
        was = before.get(key)
        if was is None:
            changes.append(Change(entry.kind, entry.id, "added", entry.label, entry.meeting))
            continue
        changed = tuple(
            FieldChange(name, was.values.get(name), entry.values.get(name))
            for name in dict.fromkeys([*was.values, *entry.values])
            if was.values.get(name) != entry.values.get(name)
        )
        if changed:
            changes.append(
                Change(entry.kind, entry.id, "changed", entry.label, entry.meeting, changed)
            )
    for key, entry in before.items():
        if key not in after:
            changes.append(Change(entry.kind, entry.id, "removed", entry.label, entry.meeting))
    changes.sort(key=lambda c: KINDS.index(c.kind))  # stable: the order above within a kind
    return DigestDiff(old.version, new.version, tuple(changes))
