"""The search index of one digest: every claim, event and source sentence as a row of an
in-memory SQLite FTS5 table (porter stemming, BM25 ranking), built once per digest."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from cachetools import LRUCache

from bot.knowledge.claims import Claim
from bot.knowledge.coverage import sentences
from bot.knowledge.dates import When
from bot.knowledge.digest import Digest
from bot.knowledge.model import Document, Event, Meeting, Talk
from bot.knowledge.text import normalise_quote
from bot.queries.calendar import Dated
from bot.rendering.labels import when_label
from bot.search.words import actor_token

# Column weights for BM25: who said it and the curators' topic words count most. `own` holds
# only the token of the actor whose statement a claim is: what "what did X say" filters on.
COLUMNS = ("body", "who", "topic", "meta", "own")
WEIGHTS = (1.0, 4.0, 3.0, 1.5, 0.0)
CANDIDATES = 40
# A term in more rows than both of these weighs little in BM25 and costs the most: left out.
COMMON_SHARE = 0.25
COMMON_ROWS = 500
REMEMBERED_TERMS = 50_000
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")  # rows BM25 ranks before curated and raw rows are merged


@dataclass(frozen=True)
class Sentence:
    """One sentence of a source document, as raw text (no curator has attributed it)."""

    text: str
    document: Document
    not_briefed: str | None = None  # why the curators left it out (a photo caption), if they did


Item = Claim | Event | Talk | Sentence


@dataclass(frozen=True)
class Hit:
    """A row that matches, with its BM25 relevance (higher is better)."""

    item: Item
    relevance: float
    meeting: Meeting | None
    years: frozenset[int] = frozenset()  # the years its text and dates name
    actors: frozenset[str] = frozenset()  # who said it, whom it mentions, whose account it is
    dated: Dated | None = None  # an event's timing as of now and what became of it

    @property
    def ident(self) -> str:
        """The item's id (a raw sentence's: its document and words)."""
        item = self.item
        if isinstance(item, Sentence):
            return f"raw:{item.document.id}:{normalise_quote(item.text)}"
        return item.id

    @property
    def kind(self) -> str:
        """`claim`, `event`, `talk` or `sentence` (raw source text), for the templates."""
        if isinstance(self.item, Claim):
            return "claim"
        if isinstance(self.item, Talk):
            return "talk"
        return "event" if isinstance(self.item, Event) else "sentence"

    @property
    def curated(self) -> bool:
        """True for the digest's own claims, events and talks; False for raw sentences."""
        return not isinstance(self.item, Sentence)


class SearchIndex:
    """Full-text search over a digest; thread-safe (one lock around the one connection)."""

    def __init__(
        self, digest: Digest, common_rows: int = COMMON_ROWS, terms: int = REMEMBERED_TERMS
    ) -> None:
        self._common_rows = common_rows
        self._rows: list[Hit] = []
        self._by_item: dict[int, Hit] = {}  # id() of a claim, event or sentence -> its row
        # Rows each FTS5 expression matches: the terms asked lately (least recently used go).
        self._counts: LRUCache[str, int] = LRUCache(terms)
        self._lock = threading.Lock()  # guards the connection and _counts (a read reorders it)
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        columns = ", ".join(COLUMNS)
        self._db.execute(
            f"CREATE VIRTUAL TABLE entries USING fts5({columns}, tokenize='porter unicode61')"
        )
        self._db.executemany(
            "INSERT INTO entries (rowid, body, who, topic, meta, own) VALUES (?, ?, ?, ?, ?, ?)",
            self._entries(digest),
        )
        self._db.commit()

    def _entries(self, digest: Digest) -> Iterator[tuple[int, str, str, str, str, str]]:
        rows: Iterable[tuple[Item, Meeting | None, tuple[str, str, str, str, str]]] = (
            *((c, c.meeting, _claim_row(c, digest)) for c in digest.claims),
            *(
                (e, digest.event_meetings[e.id], _event_row(e, digest))
                for e in digest.events_by_id.values()
            ),
            *((t, m, _talk_row(t, m, digest)) for m in digest.meetings for t in m.talks),
            *_sentence_rows(digest),
        )
        tokens = {actor_token(a.id): a.id for a in digest.actors}
        for item, meeting, columns in rows:
            years = frozenset(int(y) for y in _YEAR.findall(" ".join(columns)))
            actors = frozenset(tokens[w] for w in columns[1].split() if w in tokens)
            self._rows.append(Hit(item, 0.0, meeting, years, actors))
            self._by_item[id(item)] = self._rows[-1]
            yield (len(self._rows), *columns)

    def search(self, expressions: list[str], limit: int = CANDIDATES) -> list[Hit]:
        """The rows matching any of the FTS5 expressions, best first.

        Terms matching no row are left out, and so are terms found in more than COMMON_SHARE of
        a large index's rows (the rarest one is kept when all are common): BM25 gives them
        little weight, and they would make it score nearly every row ("ministers" at 10,000
        items: 8 ms instead of 2)."""
        with self._lock:
            counts = {e: self._count(e) for e in expressions}
            found = [e for e in expressions if counts[e]]
            if not found:
                return []
            common = max(self._common_rows, COMMON_SHARE * len(self._rows))
            kept = [e for e in found if counts[e] <= common] or [min(found, key=counts.__getitem__)]
            weights = ", ".join(str(w) for w in WEIGHTS)
            query = (
                f"SELECT rowid, bm25(entries, {weights}) AS score FROM entries "
                "WHERE entries MATCH ? ORDER BY score LIMIT ?"
            )
            rows = self._db.execute(query, (" OR ".join(kept), limit)).fetchall()
        return [replace(self._rows[rowid - 1], relevance=-score) for rowid, score in rows]

    def search_own(self, actor: str, expressions: list[str], limit: int = CANDIDATES) -> list[Hit]:
        """An actor's own statements (claims it made) matching any of the expressions (all of
        its statements when there are none), best first."""
        own = f'own : "{actor_token(actor)}"'
        query = f"{own} AND ({' OR '.join(expressions)})" if expressions else own
        weights = ", ".join(str(w) for w in WEIGHTS)
        sql = (
            f"SELECT rowid, bm25(entries, {weights}) AS score FROM entries "
            "WHERE entries MATCH ? ORDER BY score LIMIT ?"
        )
        with self._lock:
            rows = self._db.execute(sql, (query, limit)).fetchall()
        return [replace(self._rows[rowid - 1], relevance=-score) for rowid, score in rows]

    def hit_of(self, item: Item) -> Hit:
        """The row of an item of this index's digest (the same object)."""
        return self._by_item[id(item)]

    def _count(self, expression: str) -> int:
        """How many rows an expression matches (counted once, then remembered); under the lock."""
        count = self._counts.get(expression)
        if count is None:
            sql = "SELECT count(*) FROM entries WHERE entries MATCH ?"
            count = int(self._db.execute(sql, (expression,)).fetchone()[0])
            self._counts[expression] = count
        return count

    def __len__(self) -> int:
        return len(self._rows)


def _actor_words(digest: Digest, actor_id: str) -> str:
    """An actor as the who column holds it: its token and its name."""
    actor = digest.actors_by_id.get(actor_id)
    return f"{actor_token(actor_id)} {actor.name if actor else actor_id}"


def _dates(*whens: When | None) -> str:
    return " ".join(f"{when_label(w)} {w.iso()}" for w in whens if w is not None)


def _meeting_meta(meeting: Meeting) -> str:
    return f"{meeting.title} {meeting.place} {meeting.id} {_dates(meeting.date)}"


def _claim_row(claim: Claim, digest: Digest) -> tuple[str, str, str, str, str]:
    body = " ".join([claim.summary, *(c.quote for c in claim.citations)])
    who = [_actor_words(digest, claim.actor), claim.speaker or ""]
    who += [_actor_words(digest, a) for a in claim.mentions]
    topic = " ".join([claim.topic, *claim.keywords])
    meta = f"{_meeting_meta(claim.meeting)} {_dates(claim.when)} {claim.status or ''}"
    meta += f" {claim.document.citation_label} {claim.document.publisher}"
    return body, " ".join(who), topic, meta, actor_token(claim.actor)


def _event_row(event: Event, digest: Digest) -> tuple[str, str, str, str, str]:
    body = " ".join([event.title, event.summary, *(c.quote for c in event.sources)])
    who = " ".join(_actor_words(digest, a) for a in event.mentions)
    topic = " ".join([event.kind, *event.keywords])
    meeting = digest.event_meetings[event.id]
    meta = f"{event.place or ''} {_dates(event.date)} {event.status or ''} {meeting.title}"
    return body, who, topic, meta, ""


def _talk_row(talk: Talk, meeting: Meeting, digest: Digest) -> tuple[str, str, str, str, str]:
    body = " ".join([talk.speaker or "", talk.kind, *(c.quote for c in talk.sources)])
    who = " ".join(_actor_words(digest, a) for a in (talk.actor, *talk.counterparts))
    topic = " ".join([talk.kind, *talk.topics])
    meta = f"{_meeting_meta(meeting)} {_dates(talk.date)} {talk.status or ''}"
    return body, f"{who} {talk.speaker or ''}", topic, meta, ""


def _sentence_rows(
    digest: Digest,
) -> Iterator[tuple[Sentence, Meeting | None, tuple[str, str, str, str, str]]]:
    # What the curators left out of the briefing, and why (a photo caption, a byline).
    left_out: dict[str, list[tuple[str, str]]] = {}
    for n in (n for m in digest.meetings for n in m.not_briefed):
        left_out.setdefault(n.doc, []).append((normalise_quote(n.quote), n.reason))
    for document in digest.documents:
        # The meetings a document reports on: those it lists, else those whose claims cite it.
        cited = {c.meeting.id for c in digest.claims if c.document.id == document.id}
        listed = set(document.meetings) or cited
        reported = [m for m in digest.meetings if m.id in listed]
        who = _actor_words(digest, document.participant) if document.participant else ""
        meta = " ".join([document.citation_label, *map(_meeting_meta, reported)])
        meeting = reported[0] if len(reported) == 1 else None
        for text in sentences(digest.texts.get(document.id, "")):
            plain = normalise_quote(text)
            reason = next(
                (why for quote, why in left_out.get(document.id, ()) if plain in quote), None
            )
            yield Sentence(text, document, reason), meeting, (text, who, "", meta, "")


def search_index(digest: Digest) -> SearchIndex:
    """The digest's search index, built on first use and kept with the digest."""
    return digest.memoized("search", lambda: SearchIndex(digest))
