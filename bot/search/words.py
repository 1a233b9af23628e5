"""A question as search terms: the actors it names (by any alias) and its content words."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bot.knowledge.text import alias_key

MAX_WORDS = 40  # a question longer than this is cut: search cost stays bounded
MAX_ALIAS_WORDS = 5
_YEAR = re.compile(r"(?:19|20)\d\d")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# Words that say nothing about the content. Also never read as an actor alias on their own
# ("in" is India's country code, "by" Belarus's, "all" the joint body's).
_STOPWORDS = """a about after again all also am an and any are as at be been before being
    between both
    but by can could did do does doing during each for from had has have having he her here him
    his how i if in into is it its me my no nor not of off on once only or other our out over
    own same she should so some such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom why
    will with would you your tell show give me please any anything something said say says
    saying state stated states mention mentioned know known happen happened
    thing things think thought latest last next year years day days much many more most
    sco shanghai organisation organization"""
STOPWORDS = frozenset(_STOPWORDS.split())


def actor_token(actor_id: str) -> str:
    """The single search token standing for an actor (ids hold hyphens, which split tokens)."""
    return "actor" + re.sub(r"[^a-z0-9]", "", actor_id.casefold())


@dataclass(frozen=True)
class Terms:
    """What a question searches for: actors it names and its content words."""

    actors: tuple[str, ...]
    words: tuple[str, ...]
    years: tuple[int, ...] = ()

    def expressions(self) -> list[str]:
        """FTS5 expressions, one per term (any may match; BM25 ranks rows matching more first).
        Each is quoted: no syntax from the user's text survives."""
        terms = [f'who : "{actor_token(a)}"' for a in self.actors]
        return terms + [f'"{w}"' for w in self.words]


def words_of(text: str) -> list[str]:
    """The words of a text, case-folded (apostrophes kept: "people's")."""
    return _WORD.findall(alias_key(text))[:MAX_WORDS]


def plain(word: str) -> str:
    """A word without its possessive ("China's" -> "china")."""
    return word[:-2] if word.endswith("'s") else word


def terms_of(question: str, aliases: Mapping[str, str]) -> Terms:
    """The actors a question names (longest alias first) and its other content words."""
    words = words_of(question)
    actors: list[str] = []
    content: list[str] = []
    for _start, span, actor in spans_of(words, aliases):
        if actor is not None and actor not in actors:
            actors.append(actor)
        # A place that is also an alias ("Dushanbe") still searches as a word too.
        content += [plain(w) for w in span if plain(w) not in STOPWORDS]
    years = tuple(int(w) for w in content if _YEAR.fullmatch(w))
    return Terms(tuple(actors), tuple(dict.fromkeys(content)), years)


def spans_of(
    words: list[str], aliases: Mapping[str, str]
) -> Iterator[tuple[int, list[str], str | None]]:
    """A question's words in spans: each alias found (longest first) with its actor, every
    other word alone with None; with the index where each span starts."""
    i = 0
    while i < len(words):
        size, actor = _alias_at(words, i, aliases)
        yield i, words[i : i + size], actor
        i += size


def _alias_at(words: list[str], i: int, aliases: Mapping[str, str]) -> tuple[int, str | None]:
    for size in range(min(MAX_ALIAS_WORDS, len(words) - i), 0, -1):
        if size == 1 and words[i] in STOPWORDS:
            break
        phrase = words[i : i + size]
        actor = aliases.get(" ".join(phrase)) or aliases.get(" ".join(map(plain, phrase)))
        if actor is None and phrase[-1].endswith("s") and len(phrase[-1]) > 3:
            actor = aliases.get(" ".join([*phrase[:-1], phrase[-1][:-1]]))  # "Lemurians"
        if actor is not None:
            return size, actor
    return 1, None
