"""The loaded digest: the validated models (model.py's dataclasses) with the lookups built once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from bot.knowledge.claims import Claim, claims_of
from bot.knowledge.model import Actor, Document, Event, Meeting
from bot.knowledge.text import alias_key


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
    # Derived views that queries work out once per digest (a digest never changes).
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

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
) -> Digest:
    """A Digest from validated models, with its lookups."""
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
    )
