"""What a sentence's words suggest, for a draft: the actors it names, who speaks, the status word
it uses, whether it is a caption or a headline. Each is a guess the curator confirms."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from bot.knowledge.claims import derive_voice
from bot.knowledge.model import Document, Stance, Voice
from bot.knowledge.statuses import STATUS_WORDS
from bot.search.words import STOPWORDS

_SPEECH = r"(?:said|says|stated|stressed|told|added|emphasi[sz]ed|underlined|pointed out)"
_CAPTION = re.compile(r"\b(?:photo|photos|picture shows|pictured|file image|credit)\b", re.I)
_UPDATED = re.compile(r"^(?:last\s+)?(?:updated|modified|published)\b", re.I)
_BYLINE = re.compile(r"^by\s+[A-Z]", re.I)
_TALKS = re.compile(r"\b(?:held talks|talks with|met with|bilateral (?:talks|meetings?))\b", re.I)
_EVENT_NOUN = re.compile(
    r"\b(exercises?|drills?|festival|meeting|summit|forum|conference|games|session|visit)\b",
    re.I,
)


@dataclass(frozen=True)
class Naming:
    """An actor named in a sentence: where, and the words used."""

    actor: str
    start: int
    end: int
    surface: str


class ActorNames:
    """Finds the actors a text names by the aliases of actors.yaml, longest alias first.

    Aliases that are also common English words ("in" for India, "all") never name an actor,
    as in question search."""

    def __init__(self, actors: Iterable[tuple[str, str, Iterable[str]]]) -> None:
        owner: dict[str, str] = {}
        for actor_id, name, aliases in actors:
            for alias in (actor_id, name, *aliases):
                key = " ".join(alias.casefold().split())
                if key and key not in STOPWORDS:
                    owner.setdefault(key, actor_id)
        self.owner = owner

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self.owner:
            return None
        names = sorted(self.owner, key=len, reverse=True)
        words = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names)
        return re.compile(rf"(?<![\w./@-])(?:{words})(?=(?:'s)?(?![\w/-]))", re.I)

    def named(self, text: str) -> list[Naming]:
        """Every naming of an actor in `text`, in order."""
        if self._pattern is None:
            return []
        found = []
        for match in self._pattern.finditer(text):
            key = " ".join(match.group(0).casefold().split())
            found.append(Naming(self.owner[key], match.start(), match.end(), match.group(0)))
        return found

    def speaker(self, text: str) -> Naming | None:
        """The actor a speech verb attributes the sentence to ("Wei Fenghe said", "said Wei")."""
        for naming in self.named(text):
            after = text[naming.end : naming.end + 40]
            before = text[max(0, naming.start - 12) : naming.start]
            if re.match(rf"(?:'s)?\s+(?:\w+\s+){{0,2}}?{_SPEECH}\b", after) or re.search(
                rf"\b{_SPEECH}\s+$", before
            ):
                return naming
        return None


def status_word(sentence: str) -> str | None:
    """The status word or phrase of the digest's vocabulary that the sentence uses, as it uses
    it (never translated: "noted" is not "agreed"): the first in the sentence, the longest
    there ("to be held" rather than "held", "unanimously agreed" rather than "agreed")."""
    best: tuple[int, int, str] | None = None
    for word in STATUS_WORDS:
        match = re.search(rf"\b{re.escape(word)}\b", sentence, re.I)
        if match and (best is None or (match.start(), -len(word)) < best[:2]):
            best = (match.start(), -len(word), word)
    return best[2] if best else None


def aside_reason(sentence: str, title: str | None) -> str | None:
    """Why a sentence is probably not a statement to brief (a caption, headline, byline)."""
    words = sentence.split()
    if title and " ".join(sentence.split()).rstrip(".") == " ".join(title.split()).rstrip("."):
        return "the headline"
    if _CAPTION.search(sentence):
        return "photo caption or credit"
    if _UPDATED.match(sentence):
        return "the page's date note"
    if _BYLINE.match(sentence) and len(words) <= 6:
        return "byline"
    if len(words) < 4 or sentence[-1:] not in ".!?\"'”’)":
        return "a heading or dateline, not a statement"
    return None


def talks_sentence(sentence: str) -> bool:
    """Whether a sentence reports talks or a meeting between actors."""
    return bool(_TALKS.search(sentence))


def event_noun(sentence: str) -> str | None:
    """The kind of event a sentence names (exercise, festival, meeting...), as a slug."""
    match = _EVENT_NOUN.search(sentence)
    if match is None:
        return None
    word = match.group(1).casefold()
    return word[:-1] if word.endswith("s") and word not in ("games",) else word


def voice_for(
    stance: str | None, participant: str | None, joint: bool, actor: str, speaker: str | None
) -> Voice | None:
    """The voice the document's stance implies (the digest's own rule, claims.derive_voice)."""
    try:
        kind = Stance(stance) if stance else None
    except ValueError:
        kind = None
    if kind is None:
        return None
    document = Document(
        id="draft",
        file="draft.txt",
        title="-",
        publisher="-",
        short="-",
        published=date(2000, 1, 1),
        url="-",
        account="-",
        stance=kind,
        participant=participant,
    )
    return derive_voice(document, joint, actor, speaker)
