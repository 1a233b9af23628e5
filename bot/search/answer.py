"""A question's answer: the few best-matching claims and events of the digest, then raw source
sentences (ranked below, labelled as such). Nothing is generated: every line is the digest's or
a source's own."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.knowledge.claims import Claim
from bot.knowledge.digest import Digest
from bot.knowledge.model import Citation, Event
from bot.knowledge.text import normalise_quote
from bot.search.index import Hit, Sentence, search_index
from bot.search.words import Terms, terms_of, words_of

MAX_HITS = 5
MAX_RAW = 2
# A raw sentence counts for this share of its BM25 relevance: curated claims rank first.
RAW_WEIGHT = 0.5
# Hits far below the best one are noise from a single common word: not shown.
MIN_SHARE = 0.3
# Hits by, about or from the actors a question names count this much more.
ACTOR_BOOST = 1.5


@dataclass(frozen=True)
class Answer:
    """The best hits for a question, and what the question was read as."""

    hits: tuple[Hit, ...]
    terms: Terms

    @property
    def found(self) -> bool:
        """True when something matched."""
        return bool(self.hits)


def answer(digest: Digest, question: str, now: datetime) -> Answer:
    """The claims, events and raw sentences that best answer a question (at most five), from
    a digest as of `now` (Digest.as_of: nothing of a document not yet published is in it).

    Curated items rank above raw sentences; within each, those of the years and the meeting
    place the question names first (BM25 gives a word that half the rows share no weight); the
    actors it names weigh more."""
    terms = terms_of(question, digest.aliases)
    hits = search_index(digest).search(terms.expressions())
    published = [_weighted(h) for h in hits]
    if not published:
        return Answer((), terms)
    places = _places_named(digest, question)
    actors = set(terms.actors)
    scored = [
        replace(h, relevance=h.relevance * ACTOR_BOOST) if h.actors & actors else h
        for h in published
    ]

    def fits(hit: Hit) -> tuple[bool, bool]:
        in_year = not terms.years or bool(hit.years & set(terms.years))
        at_place = not places or (hit.meeting is not None and hit.meeting.id in places)
        return (in_year, at_place)

    # The floor is set by the best hit of the years and place asked about.
    best_fit = max(fits(h) for h in scored)
    floor = max(h.relevance for h in scored if fits(h) == best_fit) * MIN_SHARE
    kept = (h for h in scored if h.relevance >= floor)
    ranked = sorted(kept, key=lambda h: (h.curated, *fits(h), h.relevance), reverse=True)
    return Answer(tuple(_best(ranked)), terms)


def _places_named(digest: Digest, question: str) -> set[str]:
    """The meetings whose place (its first part: the city) the question names."""
    text = f" {' '.join(words_of(question))} "
    found = set()
    for meeting in digest.meetings:
        city = " ".join(words_of(meeting.place.split(",")[0]))
        if city and f" {city} " in text:
            found.add(meeting.id)
    return found


def _weighted(hit: Hit) -> Hit:
    if hit.curated:
        return hit
    return replace(hit, relevance=hit.relevance * RAW_WEIGHT)


def _best(ranked: list[Hit]) -> list[Hit]:
    """The first hits: raw sentences only where no shown claim already quotes them, at most
    MAX_RAW of those."""
    shown: list[Hit] = []
    quotes: list[str] = []
    for hit in ranked:
        if len(shown) == MAX_HITS:
            break
        if isinstance(hit.item, Sentence):
            raw = sum(1 for h in shown if not h.curated)
            if raw == MAX_RAW or any(q in hit.item.text or hit.item.text in q for q in quotes):
                continue
        else:
            quotes += [normalise_quote(c.quote) for c in _citations(hit)]
        shown.append(hit)
    return shown


def _citations(hit: Hit) -> tuple[Citation, ...]:
    item = hit.item
    if isinstance(item, Claim):
        return item.citations
    return item.sources if isinstance(item, Event) else ()
