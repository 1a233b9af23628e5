"""Small helpers the queries share: grouping in order, the documents citations come from."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from bot.knowledge.digest import Digest
from bot.knowledge.model import Citation, Document, Meeting

T = TypeVar("T")


def grouped(items: Iterable[T], key_of: Callable[[T], str]) -> dict[str, list[T]]:
    """Items grouped by key, groups and items in their first-seen order."""
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(key_of(item), []).append(item)
    return groups


def cited_documents(digest: Digest, citations: list[Citation]) -> list[Document]:
    """The documents these citations come from, each once, in the index's order."""
    wanted = {c.doc for c in citations}
    return [d for d in digest.documents if d.id in wanted]


def meeting_citations(meeting: Meeting) -> list[Citation]:
    """Every citation of a meeting and its items."""
    items: list[tuple[Citation, ...]] = [meeting.sources]
    items += [meeting.chair.sources] if meeting.chair else []
    items += [meeting.number_sources]
    items += [p.sources for p in meeting.participants]
    items += [o.sources for o in meeting.outcomes]
    items += [p.sources for p in meeting.positions]
    items += [e.sources for e in meeting.events]
    items += [t.sources for t in meeting.talks]
    return [c for group in items for c in group]
