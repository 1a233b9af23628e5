"""The loaded digest: the validated models (model.py's dataclasses) with the lookups built once."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TypeVar, cast

from cachetools import LRUCache

from bot.knowledge.asof import restrict
from bot.knowledge.claims import Claim, claims_of
from bot.knowledge.model import Actor, Document, Event, Meeting
from bot.knowledge.text import alias_key
from bot.knowledge.updates import with_updates_applied

# Views of one digest kept at once ("as of" instants before its last publication: rehearsals,
# `--at`), the least recently used dropped first; the whole digest, the usual case, is never one.
VIEWS_KEPT = 8
_views_lock = threading.Lock()  # LRUCache is not thread-safe: a read reorders it
BEFORE_EVERYTHING = datetime.min.replace(tzinfo=UTC)
T = TypeVar("T")
_MISSING = object()


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
    # Every event, each id once (the first meeting that lists it), with that meeting.
    events_by_id: Mapping[str, Event] = field(repr=False)
    event_meetings: Mapping[str, Meeting] = field(repr=False)
    # Placeholder event id -> the event that superseded it (the later, real one).
    superseded_by: Mapping[str, Event] = field(repr=False)
    claims: tuple[Claim, ...] = field(repr=False)
    # Each source document's text as read (doc id -> text): what question search indexes.
    texts: Mapping[str, str] = field(repr=False)
    # Derived views that queries work out once per digest (`memoized`). Hand-written, not a
    # library cache: it lives and dies with this immutable digest (a reload brings a new one, and
    # with it an empty memo), and its entries are bounded by the digest's own size.
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    # None for the whole digest; for a view "as of" a time, when the latest document it holds
    # counts as published (BEFORE_EVERYTHING when it holds none).
    cutoff: datetime | None = None
    whole: Digest | None = field(default=None, repr=False, compare=False)  # a view's digest
    # The whole digest's views "as of" earlier instants, by how many documents they hold.
    _views: LRUCache[int, Digest] = field(
        default_factory=lambda: LRUCache(VIEWS_KEPT), init=False, repr=False, compare=False
    )

    def as_of(self, now: datetime) -> Digest:
        """The digest as the documents published by `now` tell it: the only view replies,
        reminders and searches use. A document not yet published does not exist, nor does an
        item citing only such documents (bot/knowledge/asof.py). Call it on the whole digest;
        a view passes the call to it."""
        if self.whole is not None:
            return self.whole.as_of(now)
        instants, ids = self._timeline()
        known = bisect.bisect_right(instants, now)
        if known == len(instants):
            return self
        with _views_lock:
            view = self._views.get(known)
        if view is None:
            cutoff = instants[known - 1] if known else BEFORE_EVERYTHING
            documents, meetings, texts = restrict(
                self.documents, self.meetings, self.texts, frozenset(ids[:known])
            )
            view = build_digest(documents, self.actors, meetings, self.version, texts, cutoff)
            object.__setattr__(view, "whole", self)
            with _views_lock:  # built outside the lock: two threads may build, the first is kept
                view = self._views.setdefault(known, view)
        return view

    def memoized(self, key: Hashable, build: Callable[[], T]) -> T:
        """`build()`, worked out once for this digest under `key` (a digest never changes; two
        threads asking at once may both build, and both get the first one kept)."""
        found = self.memo.get(key, _MISSING)
        if found is _MISSING:
            found = self.memo.setdefault(key, build())
        return cast(T, found)

    @property
    def view_id(self) -> str:
        """What distinguishes this view of the digest from its others (for caches)."""
        return self.version if self.cutoff is None else f"{self.version}@{self.cutoff.isoformat()}"

    def _timeline(self) -> tuple[list[datetime], list[str]]:
        """Publication instants, sorted, with the documents published at each."""
        return self.memoized("timeline", self._build_timeline)

    def _build_timeline(self) -> tuple[list[datetime], list[str]]:
        ordered = sorted(self.documents, key=lambda d: d.published_from)
        return [d.published_from for d in ordered], [d.id for d in ordered]

    def document(self, doc_id: str) -> Document:
        """The source document with this id."""
        return self.documents_by_id[doc_id]

    def actor(self, actor_id: str) -> Actor:
        """The actor with this id."""
        return self.actors_by_id[actor_id]

    def event(self, event_id: str) -> Event:
        """The event with this id (KeyError when the digest has none)."""
        return self.events_by_id[event_id]

    def __reduce__(self) -> tuple[Any, ...]:
        # The lookups are rebuilt on unpickling (mapping proxies do not pickle).
        args = (self.documents, self.actors, self.meetings, self.version, dict(self.texts))
        return (build_digest, args)


def build_digest(
    documents: tuple[Document, ...],
    actors: tuple[Actor, ...],
    meetings: tuple[Meeting, ...],
    version: str,
    texts: Mapping[str, str],
    cutoff: datetime | None = None,
) -> Digest:
    """A Digest from validated models, with its lookups (events as their updates report them)."""
    meetings = tuple(with_updates_applied(m) for m in meetings)
    aliases: dict[str, str] = {}
    for actor in actors:
        for name in (actor.id, actor.name, *actor.aliases):
            aliases.setdefault(alias_key(name), actor.id)
    events: dict[str, Event] = {}
    event_meetings: dict[str, Meeting] = {}
    for meeting in meetings:
        for event in meeting.events:
            if event.id not in events:
                events[event.id] = event
                event_meetings[event.id] = meeting
    documents_by_id = {d.id: d for d in documents}
    superseded_by = {e.supersedes: e for e in events.values() if e.supersedes}
    claims = tuple(c for m in meetings for c in claims_of(m, documents_by_id))
    return Digest(
        documents=documents,
        actors=actors,
        meetings=meetings,
        version=version,
        documents_by_id=MappingProxyType(documents_by_id),
        actors_by_id=MappingProxyType({a.id: a for a in actors}),
        aliases=MappingProxyType(aliases),
        events_by_id=MappingProxyType(events),
        event_meetings=MappingProxyType(event_meetings),
        superseded_by=MappingProxyType(superseded_by),
        claims=claims,
        texts=MappingProxyType(dict(texts)),
        cutoff=cutoff,
    )
