"""`compare`: what each account of a meeting says on a topic, side by side, and what each
leaves out that another reports."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.knowledge.claims import Claim
from bot.knowledge.digest import Digest
from bot.knowledge.model import Document, Meeting
from bot.queries.collect import grouped

TOPICS_SHOWN = 12
_WORD = re.compile(r"[\w'-]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "of",
        "on",
        "in",
        "at",
        "to",
        "for",
        "about",
        "what",
        "did",
        "does",
        "do",
        "say",
        "said",
        "is",
        "are",
        "was",
    ]
)


@dataclass(frozen=True)
class Side:
    """One document's claims on a topic."""

    document: Document
    claims: list[Claim]
    leaves_out: list[str]  # terms the other documents' claims on the topic have and these lack


@dataclass(frozen=True)
class TopicComparison:
    """A topic as each account of the meeting reports it."""

    topic: str
    sides: list[Side]
    silent: list[Document]  # the meeting's documents that report nothing on the topic


@dataclass(frozen=True)
class Comparison:
    """What `compare [topic]` shows for one meeting."""

    meeting: Meeting
    query: str | None
    documents: list[Document]
    topics: list[TopicComparison]
    more: int = 0  # topics not shown


def _terms(text: str) -> set[str]:
    return {w.casefold().rstrip("s") for w in _WORD.findall(text)} - _STOP


def _matches(claim: Claim, wanted: set[str]) -> bool:
    text = " ".join([claim.topic, claim.summary, *claim.keywords])
    return bool(wanted & _terms(text))


def compare(digest: Digest, meeting: Meeting, query: str | None) -> Comparison:
    """The meeting's claims by topic and reporting document (topics matching `query` only)."""
    claims = [c for c in digest.claims if c.meeting.id == meeting.id]
    documents = list({c.document.id: c.document for c in claims}.values())
    wanted = _terms(query or "")
    if wanted:
        topics_hit = {c.topic for c in claims if _matches(c, wanted)}
        claims = [c for c in claims if c.topic in topics_hit]
    names = {a.id: a.name for a in digest.actors}
    topics = [
        _topic(topic, items, documents, names)
        for topic, items in grouped(claims, lambda c: c.topic).items()
    ]
    # Where the accounts differ comes first: topics reported by one document only, last.
    topics.sort(key=lambda t: -len(t.sides))
    return Comparison(
        meeting, query, documents, topics[:TOPICS_SHOWN], max(0, len(topics) - TOPICS_SHOWN)
    )


def _topic(
    topic: str, claims: list[Claim], documents: list[Document], names: dict[str, str]
) -> TopicComparison:
    by_doc = grouped(claims, lambda c: c.document.id)
    terms = {doc_id: _labels(items, names) for doc_id, items in by_doc.items()}
    sides = []
    for doc_id, items in by_doc.items():
        others = set().union(*(t for d, t in terms.items() if d != doc_id))
        said = _flat(" ".join(c.summary for c in items))
        missing = [t for t in sorted(others - terms[doc_id]) if _flat(t) not in said]
        sides.append(Side(items[0].document, items, missing))
    silent = [d for d in documents if d.id not in by_doc]
    return TopicComparison(topic, sides, silent)


def _flat(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.casefold())


def _labels(claims: list[Claim], names: dict[str, str]) -> set[str]:
    """What a document's claims name: actors concerned and the curators' keywords."""
    found: set[str] = set()
    for claim in claims:
        found.update(names.get(a, a) for a in claim.mentions)
        found.update(k.casefold() for k in claim.keywords)
    return found
