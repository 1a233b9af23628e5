"""How a question is read: whom it is about, what it asks of a meeting (who was there, who
chaired, where, when), whether it looks ahead or back, which meeting or year it names, and what
topic is left once those words are set aside. Words are compared by their stems."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.knowledge.digest import Digest
from bot.knowledge.stems import stem
from bot.knowledge.text import alias_key
from bot.search.words import STOPWORDS, Terms, plain, spans_of, terms_of, words_of


class Aspect(StrEnum):
    """What a question asks of a meeting, answered from its curated fields."""

    ATTENDANCE = "attendance"  # who was there
    CHAIR = "chair"  # who chaired
    HOST = "host"  # who hosted (the place the sources give)
    PLACE = "place"  # where
    DATE = "date"  # when
    SILENT = "silent"  # who spoke, who said nothing: each participant's own statements


class Direction(StrEnum):
    """Which way in time a question looks: what lies ahead of now, or what is past."""

    AHEAD = "ahead"
    PAST = "past"


def _stems(words: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words.split())


# Asking what someone said, in any form of these words.
SPEECH = _stems(
    """say said tell told think view position stance statement propose proposal suggest want
    call stress speak spoke speech remark comment claim argue announce opinion urge insist warn
    express emphasise emphasize declare reaffirm raise object oppose support stand put
    forward"""
)
ATTENDANCE = _stems("attend attendance")
# Words of attendance that also name who speaks ("what did the participants / the Chinese
# delegation say"): only in a question that does not ask what was said.
ATTENDANCE_WEAK = _stems(
    "participant participants participate present delegation delegations represent represented"
)
CHAIR = _stems("chair chairman chairmanship chairperson preside presided")
# "Who ran / led / headed the meeting": the chair, when a meeting is what the question is about.
CHAIR_WEAK = _stems("ran run led lead head headed")
HOST = _stems("host hosted hosting")
PLACE = _stems("where venue location")
DATE = _stems("when date")
MEETING = _stems("meeting meetings met meet summit session conference")
SILENT = _stems("silent silence quiet")
# Asking whether someone stayed away ("did India skip the meeting"): answered by attendance.
ABSENCE = _stems("absent absence boycott boycotted skip skipped miss missed")
NEGATION = frozenset({"nothing", "not", "no", "never", "none", "didn't", "don't", "doesn't"})


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


AUXILIARIES = _set("did does do has have had was were is are will would can could should shall")
# Words that point at a time: strong ones name it, weak ones only tense the verb.
AHEAD_STRONG = _set("next upcoming forthcoming future soon coming again")
PAST_STRONG = _set("last previous past ago earlier recent recently held happened")
AHEAD_WEAK = _set("will shall planned scheduled expected plan plans")
PAST_WEAK = _set("did was were had")
# Which of the meetings held a phrase like "the last meeting" names.
LATEST = _set("last latest recent")
PREVIOUS = _set("previous prior earlier")
FIRST = frozenset({"first"})
# Words about a meeting or an actor's role that say nothing of the topic asked.
# Words naming an actor's role, not a topic ("Russia's minister"): whom, not what.
ROLE = _stems(
    """minister ministers ministry delegation official officials government side
    representative defence defense counterpart"""
)
GENERIC = ROLE | _stems(
    """meeting meetings met meet summit session conference country countries participants
    anything something everything who which what took take taking part there up place"""
)
_TOOK_PART = re.compile(
    r"\b(?:took|take|taking|takes) part\b|\b(?:was|were) (?:there|present)\b"
    r"|\b(?:turn|turned|turns|show|showed|shows) up\b|\bcame to\b"
)
_WHO_AT = re.compile(r"^(?:who|which \w+) (?:was|were) (?:at|in)\b")
# A speaker's name as claims give it ("Tor Alvik, Defence Minister"): the part before a comma,
# unless it is a description ("a Council official").
_DESCRIPTION = re.compile(r"^(?:a|an|the|one)\b", re.IGNORECASE)
MIN_SURNAME = 4


@dataclass(frozen=True)
class Reading:
    """A question as the answer reads it."""

    terms: Terms  # actors named and content words: what full-text search looks for
    subject: str | None  # the actor the question is about ("what did Russia say": russia)
    aspects: frozenset[Aspect]
    direction: Direction | None
    strong: bool  # the direction is named ("next", "last"), not only the verb's tense
    polar: bool  # a yes-or-no question ("did India attend")
    speech: bool  # asks what someone said
    topic: tuple[str, ...]  # content words left once actors, meetings, times and asks are out
    about: tuple[str, ...]  # other actors named, part of the topic ("say about NATO")
    places: frozenset[str]  # meetings whose place the question names
    which: str | None  # "latest", "previous", "first" or "all": meetings named by order
    meeting_asked: bool  # the question is about a meeting (meet, summit, session)
    next_asked: bool = False  # it asks what is "next"
    kinds: frozenset[str] = frozenset()  # kinds of event it names ("meeting", "exercise")
    absence: bool = False  # it asks whether someone stayed away ("did India skip it")
    other_event: bool = False  # it names a kind of event other than a meeting ("the exercise")
    asks_who: bool = False  # it begins "who" or "which"

    @property
    def years(self) -> tuple[int, ...]:
        """The years the question names."""
        return self.terms.years


def speaker_aliases(digest: Digest) -> Mapping[str, str]:
    """Every alias of actors.yaml, plus the names of the people claims and talks give as an
    actor's speaker ("Tor Alvik", and "Alvik" alone) where no alias is taken; per digest."""
    return digest.memoized("speaker_aliases", lambda: _speaker_aliases(digest))


def _speaker_aliases(digest: Digest) -> Mapping[str, str]:
    found = dict(digest.aliases)
    spoken = [(c.speaker, c.actor) for c in digest.claims if not c.joint]
    spoken += [(t.speaker, t.actor) for m in digest.meetings for t in m.talks]
    for speaker, actor in spoken:
        name = (speaker or "").split(",")[0].strip()
        if not name or _DESCRIPTION.match(name):
            continue
        found.setdefault(alias_key(name), actor)
        surname = alias_key(name.split()[-1])
        if len(surname) >= MIN_SURNAME and surname not in STOPWORDS:
            found.setdefault(surname, actor)
    return found


def read_question(digest: Digest, question: str) -> Reading:
    """What a question asks, in the digest's terms."""
    aliases = speaker_aliases(digest)
    words = words_of(question)
    stems = [stem(plain(w)) for w in words]
    text = " ".join(words)
    spans = list(spans_of(words, aliases))
    places = _places_named(digest, words)
    subject = _subject(words, stems, [s for s in spans if not _is_place(digest, places, s[1])])
    speech = any(s in SPEECH for s in stems)
    topic = _topic(digest, spans, subject, places)
    aspects = _aspects(words, stems, text, speech, subject is None and not topic)
    direction, strong = _direction(words)
    kinds = _kinds(words, stems, aspects, strong)
    actors = [a for _i, _w, a in spans if a is not None]
    about = tuple(dict.fromkeys(a for a in actors if a != subject))
    return Reading(
        terms=terms_of(question, aliases),
        subject=subject,
        aspects=aspects,
        direction=direction,
        strong=strong,
        polar=bool(words) and words[0] in AUXILIARIES,
        speech=speech,
        topic=topic,
        absence=bool(set(stems) & ABSENCE),
        about=about,
        places=places,
        which=_which(words, stems),
        meeting_asked=any(s in MEETING for s in stems),
        next_asked="next" in words,
        kinds=frozenset() if speech else kinds,
        other_event=bool(kinds & (event_kinds(digest) - {"meeting"})),
        asks_who=bool(words) and words[0] in ("who", "which"),
    )


def _is_place(digest: Digest, places: frozenset[str], span: list[str]) -> bool:
    """Whether words are the city of a meeting the question names ("Dushanbe" is also an alias
    of Tajikistan): a place, not whom the question is about."""
    words = " ".join(map(plain, span))
    return any(city == words for i, city, _c in meeting_places(digest) if i in places)


def _subject(
    words: list[str], stems: list[str], spans: list[tuple[int, list[str], str | None]]
) -> str | None:
    """The actor a question is about: named after "did"/"will"…, in the possessive, first, or
    before a word of speech ("Russia proposed"); none when it names several together ("what
    did Russia and China say")."""
    named = [(i, span, actor) for i, span, actor in spans if actor is not None]
    for (i, span, _a), (j, _s, _b) in itertools.pairwise(named):
        if words[i + len(span) : j] in (["and"], ["or"], [","]):
            return None
    for i, _span, actor in named:
        before = [w for w in words[:i] if w != "the"]
        if before and before[-1] in AUXILIARIES:
            return actor
    for i, span, actor in named:
        after = i + len(span)
        if span[-1].endswith("'s") or i == 0 or (after < len(stems) and stems[after] in SPEECH):
            return actor
    return None


def _aspects(
    words: list[str], stems: list[str], text: str, speech: bool, bare: bool
) -> frozenset[Aspect]:
    """What a question asks of a meeting; `bare`: it names no one and no topic ("who spoke")."""
    found: set[Aspect] = set()
    stem_set = set(stems)
    weak = not speech and stem_set & ATTENDANCE_WEAK
    # "Was India at the meeting?", "Was India there?"
    was_at = (
        bool(words)
        and words[0] in ("was", "were")
        and (words[-1] == "there" or ("at" in words and bool(stem_set & MEETING)))
    )
    took_part = _TOOK_PART.search(text) or _WHO_AT.search(text)
    if stem_set & (ATTENDANCE | ABSENCE) or weak or was_at or took_part:
        found.add(Aspect.ATTENDANCE)
    about_meeting = bool(stem_set & MEETING) and bool(words) and words[0] == "who"
    if stem_set & CHAIR or (about_meeting and stem_set & CHAIR_WEAK):
        found.add(Aspect.CHAIR)
    if stem_set & HOST:
        found.add(Aspect.HOST)
    if stem_set & PLACE:
        found.add(Aspect.PLACE)
    if stem_set & DATE:
        found.add(Aspect.DATE)
    asks_who = bool(words) and words[0] in ("who", "which")
    if asks_who and (stem_set & SILENT or (speech and (bare or NEGATION & set(words)))):
        found.add(Aspect.SILENT)
    return frozenset(found)


def _direction(words: list[str]) -> tuple[Direction | None, bool]:
    """Ahead or past, by the words that name a time first (strong), then by the verb's tense."""
    text = f" {' '.join(words)} "
    past_strong = PAST_STRONG & set(words)
    if "held" in past_strong and (" be held " in text or " being held " in text):
        past_strong = past_strong - {"held"}
    votes = (bool(AHEAD_STRONG & set(words)), bool(past_strong))
    strong = votes != (False, False)
    if not strong:
        ahead_weak = bool(AHEAD_WEAK & set(words)) or " when is " in text or " when are " in text
        votes = (ahead_weak, bool(PAST_WEAK & set(words)))
    if votes == (True, False):
        return Direction.AHEAD, strong
    if votes == (False, True):
        return Direction.PAST, strong
    return None, False


def _kinds(
    words: list[str], stems: list[str], aspects: frozenset[Aspect], strong: bool
) -> frozenset[str]:
    """The kinds of event a question names: its nouns as written or in the singular
    ("exercises"), and "meeting" for "when / where will they meet next"."""
    found = {plain(w) for w in words} | {plain(w)[:-1] for w in words if w.endswith("s")}
    if (strong or aspects & {Aspect.DATE, Aspect.PLACE}) and set(stems) & MEETING:
        found.add("meeting")
    return frozenset(found - STOPWORDS)


def _which(words: list[str], stems: list[str]) -> str | None:
    """The meetings named by their order ("the last meeting", "the previous session", "all
    meetings"), if any."""
    for k in range(len(words) - 1):
        if stems[k + 1] not in MEETING:
            continue
        if words[k] in LATEST or words[k : k + 2] == ["most", "recent"]:
            return "latest"
        if words[k] in PREVIOUS:
            return "previous"
        if words[k] in FIRST:
            return "first"
    if any(w in ("meetings", "sessions") for w in words):
        return "all"
    return None


def meeting_places(digest: Digest) -> tuple[tuple[str, str, str], ...]:
    """Each meeting's id, city and country as question words ("lemuria city", "lemuria");
    per digest."""
    return digest.memoized("meeting_places", lambda: _meeting_places(digest))


def _meeting_places(digest: Digest) -> tuple[tuple[str, str, str], ...]:
    found = []
    for meeting in digest.meetings:
        parts = [" ".join(words_of(p)) for p in meeting.place.split(",")]
        found.append((meeting.id, parts[0], parts[-1] if len(parts) > 1 else ""))
    return tuple(found)


def event_kinds(digest: Digest) -> frozenset[str]:
    """The kinds of the digest's events, lower case ("meeting", "exercise"); per digest."""
    return digest.memoized(
        "event_kinds", lambda: frozenset(e.kind.casefold() for e in digest.events_by_id.values())
    )


def meeting_bodies(digest: Digest) -> frozenset[str]:
    """The actors that speak for meetings jointly ("the ministers"); per digest."""
    return digest.memoized("meeting_bodies", lambda: frozenset(m.body for m in digest.meetings))


def _places_named(digest: Digest, words: list[str]) -> frozenset[str]:
    """The meetings whose city the question names, or whose country it names beside the word
    meeting ("the Tajikistan meeting", "the meeting in Tajikistan")."""
    text = f" {' '.join(plain(w) for w in words)} "
    found = set()
    for meeting_id, city, country in meeting_places(digest):
        beside = (f"{country} meeting", f"meeting in {country}", f"{country} session")
        if (city and f" {city} " in text) or (country and any(f" {b} " in text for b in beside)):
            found.add(meeting_id)
    return frozenset(found)


def _topic(
    digest: Digest,
    spans: list[tuple[int, list[str], str | None]],
    subject: str | None,
    places: frozenset[str],
) -> tuple[str, ...]:
    """The content words on the topic: not the subject's name, a meeting's place, a year, or a
    word of asking (say, attend, where, next …)."""
    place_words = {w for i, city, _c in meeting_places(digest) if i in places for w in city.split()}
    noise = SPEECH | ATTENDANCE | ATTENDANCE_WEAK | CHAIR | CHAIR_WEAK | HOST | PLACE | DATE
    noise |= GENERIC | SILENT | ABSENCE
    topic: list[str] = []
    for _i, span, actor in spans:
        if actor is not None and actor == subject:
            continue
        for word in map(plain, span):
            if word in STOPWORDS or word in place_words or word.isdigit():
                continue
            if stem(word) in noise or word in AHEAD_STRONG | PAST_STRONG | AHEAD_WEAK:
                continue
            topic.append(word)
    return tuple(dict.fromkeys(topic))
