"""A question's answer, from the digest as of its "now": a meeting's curated fields where the
question asks who was there, who chaired, where or when; a yes or a plain no to "did X attend /
chair / say"; that an actor has no statement of its own where so; then the best-matching claims
and events (the actor's own statements first, the latest meeting's first; what lies ahead or
what is past first as the question looks; a superseded placeholder below what it became), then
raw source sentences, ranked below and labelled. Nothing is generated: every line is the
digest's or a source's own, each item and each quote at most once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo

from bot.knowledge.claims import Claim
from bot.knowledge.digest import Digest
from bot.knowledge.model import Actor, Event, Meeting, Talk
from bot.knowledge.stems import stem
from bot.knowledge.text import normalise_quote
from bot.queries.calendar import dated_event, timed_events, upcoming
from bot.queries.lookup import latest_first
from bot.queries.positions import statements
from bot.search.facts import (
    MeetingFacts,
    Verdict,
    meeting_facts,
    meetings_asked,
    named_meetings,
    verdict,
    wants_facts,
)
from bot.search.index import Hit, SearchIndex, Sentence, search_index
from bot.search.reading import (
    ROLE,
    SPEECH,
    Direction,
    Reading,
    meeting_bodies,
    read_question,
)
from bot.search.words import Terms, actor_token

MAX_HITS = 5
MAX_RAW = 2
# A raw sentence counts for this share of its BM25 relevance: curated claims rank first; one
# the curators left out of the briefing (a photo caption, a byline) counts half again.
RAW_WEIGHT = 0.5
LEFT_OUT_WEIGHT = 0.5
# Hits far below the best one are noise from a single common word: not shown.
MIN_SHARE = 0.3
# Hits by, about or from the actors a question names count this much more.
ACTOR_BOOST = 1.5
# What lies the way a question's verb looks in time ("will", "did") counts this much more; a
# time it names ("next", "last") ranks first outright.
TENSE_BOOST = 1.5
MAX_OWN_TOPICS = 6


@dataclass(frozen=True)
class Silence:
    """An actor the question asks about has no statement of its own (on the topic asked, at
    the meeting named) in the digest as of now."""

    actor: Actor
    topical: bool  # the question asked about a topic (else: no statement at all)
    about: tuple[Actor, ...]  # other actors the topic names ("on NATO")
    own_topics: tuple[str, ...]  # the topics of the statements of its own it does have
    meeting: Meeting | None  # the meeting the question named, if one


@dataclass(frozen=True)
class Answer:
    """What answers a question: a meeting's curated fields, a yes or no, a silence said, and
    the best hits; and what the question was read as."""

    hits: tuple[Hit, ...]
    terms: Terms
    facts: tuple[MeetingFacts, ...] = ()
    verdict: Verdict | None = None
    silence: Silence | None = None
    speaker: Actor | None = None  # whose positions the answer offers: whom it is about

    @property
    def found(self) -> bool:
        """True when something answers."""
        return bool(self.hits or self.facts or self.verdict or self.silence)

    @property
    def meeting(self) -> Meeting | None:
        """The meeting the answer is most about (for its "Full brief" button)."""
        if self.facts:
            return self.facts[0].meeting
        return self.hits[0].meeting if self.hits else None

    def lines(self) -> tuple[tuple[str, ...], ...]:
        """The ids each line of the answer shows, in order: a meeting's facts (the meeting and
        its own events), then each hit."""
        found = [(f.meeting.id, *f.itself) for f in self.facts]
        return (*found, *((h.ident,) for h in self.hits))


def answer(digest: Digest, question: str, now: datetime, default_tz: tzinfo = UTC) -> Answer:
    """The answer to a question from a digest as of `now` (Digest.as_of: nothing of a document
    not yet published is in it); events are judged in their own timezone, else `default_tz`."""
    reading = read_question(digest, question)
    index = search_index(digest)
    facts: tuple[MeetingFacts, ...] = ()
    found: Verdict | None = None
    if wants_facts(reading):
        meetings = meetings_asked(digest, reading, now)
        facts = tuple(meeting_facts(digest, reading, m) for m in meetings)
        found = verdict(digest, reading, meetings[0]) if meetings else None
    scope = named_meetings(digest, reading, now)
    own = [] if facts else _own(digest, index, reading, scope)
    silence = None
    if not own and not facts and reading.speech and reading.subject is not None:
        silence = _silence(digest, reading, scope)
    if own and found is None and reading.polar and reading.speech and reading.subject:
        found = Verdict("said", digest.actor(reading.subject), None, True)
    expressions = _expressions(reading, bool(facts), meeting_bodies(digest))
    if found is not None and found.yes and facts and not reading.topic:
        expressions = []  # "did X attend": yes, as cited; a no lists what concerns X instead
    general = index.search(expressions) if expressions else []
    if not general and not facts and reading.strong:
        general = _in_time(digest, index, reading, now, default_tz)
    timed = [_with_timing(digest, h, now, default_tz) for h in general]
    ranked = _ranked(digest, reading, timed, scope)
    hits = tuple(_best([*own, *ranked], facts, found, digest.superseded_by))
    return Answer(hits, reading.terms, facts, found, silence, _speaker(digest, reading, hits))


def _speaker(digest: Digest, reading: Reading, hits: tuple[Hit, ...]) -> Actor | None:
    """The actor the question is about, else the one whose statement answers it first (never
    a meeting's joint body: its "positions" are the joint outcomes, briefed elsewhere)."""
    if reading.subject is not None and reading.subject not in meeting_bodies(digest):
        return digest.actor(reading.subject)
    top = hits[0].item if hits else None
    if isinstance(top, Claim) and not top.joint:
        return digest.actor(top.actor)
    return None


def _in_time(
    digest: Digest, index: SearchIndex, reading: Reading, now: datetime, default_tz: tzinfo
) -> list[Hit]:
    """For a question only about time ("what is coming up?"): the events ahead of now, soonest
    first, or the past ones, latest first (as `/sco upcoming` lists them)."""
    found = upcoming(digest, now, default_tz, MAX_HITS)
    if reading.direction is Direction.AHEAD:
        events = [d.event for d in found.ahead]
    else:
        events = [d.event for d in timed_events(digest, now, default_tz)[::-1]]
        events = [e for e in events if not _is_ahead(digest, e, now, default_tz)][:MAX_HITS]
    # Ranked as listed: the soonest (or latest) first.
    return [replace(index.hit_of(e), relevance=float(MAX_HITS - i)) for i, e in enumerate(events)]


def _is_ahead(digest: Digest, event: Event, now: datetime, default_tz: tzinfo) -> bool:
    dated = dated_event(digest, event.id, now, default_tz)
    return dated is not None and dated.timing.is_ahead


def _expressions(reading: Reading, with_facts: bool, bodies: frozenset[str]) -> list[str]:
    """What full-text search looks for: when a meeting's fields answer the question, only its
    topic and whom it is about; when it is about an actor, not the words of asking ("say",
    "minister"); else every content word. A meeting's joint body ("the ministers") counts as
    an actor only when the question asks what it said: otherwise it only names who met."""
    terms = reading.terms
    if not reading.speech:
        terms = replace(terms, actors=tuple(a for a in terms.actors if a not in bodies))
    if reading.next_asked:  # a stop word, but the sources' own ("their next meeting")
        terms = replace(terms, words=(*terms.words, "next"))
    if with_facts:
        actors = tuple(a for a in (reading.subject, *reading.about) if a and a not in bodies)
        return Terms(actors, reading.topic).expressions()
    if reading.subject is not None:
        words = tuple(w for w in terms.words if stem(w) not in ROLE | SPEECH)
        return replace(terms, words=words).expressions()
    return terms.expressions()


def _own(digest: Digest, index: SearchIndex, reading: Reading, scope: frozenset[str]) -> list[Hit]:
    """The statements of the actor the question is about, on its topic (all of them when it
    asks what the actor said and names no topic), of the meeting or year it names; the latest
    meeting's first."""
    subject = reading.subject
    topical = bool(reading.topic or reading.about)
    # Not asked what it said, and about an event ("did Belarus host the exercise"): the event.
    if subject is None or not (reading.speech or (topical and not reading.other_event)):
        return []
    if subject in meeting_bodies(digest) and not reading.speech:
        return []
    years = set(reading.years)
    if topical:
        # Said in its words, topic or about whom: not the place or date of the meeting.
        expressions = [f'{{body topic who}} : "{w}"' for w in reading.topic]
        expressions += [f'who : "{actor_token(a)}"' for a in reading.about]
        hits = [h for h in index.search_own(subject, expressions) if _in(h, scope, years)]
        floor = max((h.relevance for h in hits), default=0.0) * MIN_SHARE
        hits = [h for h in hits if h.relevance >= floor]
    else:
        claims = (c for c in statements(digest).get(subject, ()) if _claim_in(c, scope, years))
        hits = [index.hit_of(c) for c in _first(claims, MAX_HITS)]
    order = _recency(digest)
    return sorted(
        hits, key=lambda h: (order.get(h.meeting.id if h.meeting else "", 0), -h.relevance)
    )


def _first(items: Iterable[Claim], count: int) -> list[Claim]:
    found: list[Claim] = []
    for item in items:
        if len(found) == count:
            break
        found.append(item)
    return found


def _in(hit: Hit, scope: frozenset[str], years: set[int]) -> bool:
    in_scope = not scope or (hit.meeting is not None and hit.meeting.id in scope)
    return in_scope and (not years or bool(hit.years & years))


def _claim_in(claim: Claim, scope: frozenset[str], years: set[int]) -> bool:
    in_scope = not scope or claim.meeting.id in scope
    first, last = claim.meeting.date.first, claim.meeting.date.last
    in_year = not years or (
        first is not None
        and last is not None
        and bool(years & set(range(first.year, last.year + 1)))
    )
    return in_scope and in_year


def _recency(digest: Digest) -> dict[str, int]:
    """Meeting id -> its place from the latest (0) back; per digest."""

    def build() -> dict[str, int]:
        ordered = sorted(digest.meetings, key=latest_first, reverse=True)
        return {m.id: i for i, m in enumerate(ordered)}

    return digest.memoized("meeting_recency", build)


def _silence(digest: Digest, reading: Reading, scope: frozenset[str]) -> Silence:
    """What to say when the actor asked about has no statement of its own on the topic."""
    assert reading.subject is not None
    bodies = meeting_bodies(digest)
    years = set(reading.years)
    own = [c for c in statements(digest).get(reading.subject, ()) if _claim_in(c, scope, years)]
    named = [m for m in digest.meetings if m.id in scope]
    return Silence(
        actor=digest.actor(reading.subject),
        topical=bool(reading.topic or reading.about),
        about=tuple(digest.actor(a) for a in reading.about if a not in bodies),
        own_topics=tuple(dict.fromkeys(c.topic for c in own))[:MAX_OWN_TOPICS],
        meeting=named[0] if len(named) == 1 else None,
    )


def _ranked(digest: Digest, reading: Reading, hits: list[Hit], scope: frozenset[str]) -> list[Hit]:
    """Hits of the meeting and years named (when any are), without noise, ranked: curated
    first, a superseded placeholder below the rest, then what lies in the direction the
    question looks in time, then relevance."""
    named = set(reading.terms.actors)
    weighted = [_weighted(h, named, reading) for h in hits]
    if scope:
        weighted = [h for h in weighted if _in(h, scope, set())] or weighted
    if reading.years:
        weighted = [h for h in weighted if _in(h, frozenset(), set(reading.years))] or weighted
    if not weighted:
        return []
    floor = max(h.relevance for h in weighted) * MIN_SHARE
    # An event of the kind the question names ("the next meeting") answers it, however
    # common its words are.
    kept = [h for h in weighted if h.relevance >= floor or _kind_named(reading, h)]

    def key(hit: Hit) -> tuple[bool, bool, int, bool, float]:
        event = hit.item if isinstance(hit.item, Event) else None
        superseded = event is not None and event.id in digest.superseded_by
        fit = _time_fit(reading, hit) if reading.strong else 0
        return (hit.curated, not superseded, fit, _kind_named(reading, hit), hit.relevance)

    return sorted(kept, key=key, reverse=True)


def _kind_named(reading: Reading, hit: Hit) -> bool:
    item = hit.item
    return isinstance(item, Event | Talk) and item.kind.casefold() in reading.kinds


def _weighted(hit: Hit, named: set[str], reading: Reading) -> Hit:
    relevance = hit.relevance
    if not reading.strong and _time_fit(reading, hit):
        relevance *= TENSE_BOOST
    if isinstance(hit.item, Sentence):
        relevance *= RAW_WEIGHT * (LEFT_OUT_WEIGHT if hit.item.not_briefed else 1.0)
    if hit.actors & named:
        relevance *= ACTOR_BOOST
    return replace(hit, relevance=relevance)


def _time_fit(reading: Reading, hit: Hit) -> int:
    """1 for what lies in the direction the question looks (an event still ahead of now for
    "next", anything past for "last"), else 0."""
    if reading.direction is None:
        return 0
    dated = hit.dated
    ahead = dated is not None and dated.outcome != "cancelled" and dated.timing.is_ahead
    return int(ahead if reading.direction is Direction.AHEAD else not ahead)


def _best(
    ranked: list[Hit],
    facts: tuple[MeetingFacts, ...],
    found: Verdict | None,
    superseded: Mapping[str, Event],
) -> list[Hit]:
    """The first hits, each item and each quote once: not the events a meeting's facts already
    show, raw sentences only where no shown line already quotes them (at most MAX_RAW). Where a
    claim and an event show the same quote, the event's line stands in the claim's place: it
    says the same in the same words, and also when and where, and what became of it."""
    shown: list[Hit] = []
    seen = {i for f in facts for i in f.itself}
    cited = [normalise_quote(c.quote) for c in (found.citations if found else ())]
    quotes = set(cited)  # the quotes lines show
    events: dict[str, Hit] = {}
    for hit in ranked:
        if isinstance(hit.item, Event):
            events.setdefault(normalise_quote(_quote(hit)), hit)
    for candidate in ranked:
        if len(shown) == MAX_HITS:
            break
        quote = normalise_quote(_quote(candidate))
        hit = events.get(quote, candidate) if isinstance(candidate.item, Claim) else candidate
        if hit is not candidate and hit.ident in superseded:
            continue  # a superseded placeholder keeps its own place, below what it became
        if hit.ident in seen or quote in quotes:
            continue
        if isinstance(hit.item, Sentence):
            raw = sum(1 for h in shown if not h.curated)
            if raw == MAX_RAW or any(quote in q or q in quote for q in cited):
                continue
        seen.add(hit.ident)
        quotes.add(quote)
        cited += [normalise_quote(q) for q in _citations(hit)]
        shown.append(hit)
    return shown


def _quote(hit: Hit) -> str:
    """The quote a hit's line shows."""
    item = hit.item
    if isinstance(item, Claim):
        return item.main_quote
    if isinstance(item, Event | Talk):
        return item.sources[0].quote
    return item.text


def _citations(hit: Hit) -> list[str]:
    item = hit.item
    if isinstance(item, Claim):
        return [c.quote for c in item.citations]
    if isinstance(item, Event | Talk):
        return [c.quote for c in item.sources]
    return [item.text]


def _with_timing(digest: Digest, hit: Hit, now: datetime, default_tz: tzinfo) -> Hit:
    if isinstance(hit.item, Event):
        return replace(hit, dated=dated_event(digest, hit.item.id, now, default_tz))
    return hit
