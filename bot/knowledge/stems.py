"""Words compared by their stems (Snowball's English stemmer): whether a text says a word in
any of its forms. What a negative ("not in", "nothing on") and a status's wording are checked
against."""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field

import snowballstemmer

# Words, with hyphenated compounds kept whole ("counter-terrorism") and split below.
_TOKEN = re.compile(r"[^\W_]+(?:[-‐‑–'’][^\W_]+)*")
_JOINERS = re.compile(r"[-‐‑–]")
_APOSTROPHE = re.compile(r"['’]s$|['’]")
MIN_PREFIX = 4  # a stem shorter than this matches only itself ("war" is not "warn")
# A text's stem may stop this much short of the word sought (counterterror ~ counterterrorist),
# no more ("under" is not "understand").
MAX_SHORTFALL = 3
_STEMMER = snowballstemmer.stemmer("english")
# Stems of the words seen lately: functools.lru_cache (C, thread-safe without a lock of ours).
_LOCK_FREE_CACHE = 65536


@functools.lru_cache(maxsize=_LOCK_FREE_CACHE)
def stem(word: str) -> str:
    """The Snowball English stem of one word, case-folded, without its possessive."""
    return str(_STEMMER.stemWord(_APOSTROPHE.sub("", word.casefold())))


def tokens(text: str) -> list[str]:
    """A text's words; a hyphenated compound gives its parts and its joined form
    ("counter-terrorism" → counter, terrorism, counterterrorism)."""
    found: list[str] = []
    for token in _TOKEN.findall(text):
        parts = _JOINERS.split(token)
        if len(parts) > 1:
            found += parts
            found.append("".join(parts))
        else:
            found.append(token)
    return found


def stems(text: str) -> list[str]:
    """The stems of a text's words, in order."""
    return [stem(t) for t in tokens(text)]


@dataclass(frozen=True)
class StemmedText:
    """A text as the set of its words' stems, for asking whether it mentions a term."""

    stems: frozenset[str]
    # The stems in order, for finding those that start with a given stem (bisect, not a scan).
    ordered: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.ordered and self.stems:
            object.__setattr__(self, "ordered", tuple(sorted(self.stems)))

    @classmethod
    def of(cls, text: str) -> StemmedText:
        """A text stemmed once."""
        return cls(frozenset(stems(text)))

    def mentions(self, term: str) -> bool:
        """True when every word of `term` occurs in the text in some form: the same stem, a
        longer word starting with it (terrorism ~ terrorist), or a stem it starts with that falls
        short by at most three letters (counterterrorist ~ counterterrorism).

        Deliberately lenient: it decides whether a document may be called silent on a term,
        and a false "mentions" only keeps the bot from saying something negative."""
        return _mentions(self, term)

    def _has(self, wanted: str) -> bool:
        if wanted in self.stems:
            return True
        if len(wanted) < MIN_PREFIX:
            return False
        at = bisect.bisect_left(self.ordered, wanted)
        if at < len(self.ordered) and self.ordered[at].startswith(wanted):
            return True  # a longer word starting with it
        shortest = max(MIN_PREFIX, len(wanted) - MAX_SHORTFALL)
        return any(wanted[:size] in self.stems for size in range(shortest, len(wanted)))


# compare asks the same few documents about the same terms on every full render.
@functools.lru_cache(maxsize=8192)
def _mentions(text: StemmedText, term: str) -> bool:
    wanted = [stem("".join(_JOINERS.split(w))) for w in _TOKEN.findall(term)]
    return bool(wanted) and all(text._has(w) for w in wanted)


def says_phrase(phrase: str, text: str) -> bool:
    """True when `text` contains the words of `phrase` in a row, each in some form of it
    ("agreed" ~ "agree", "agreeing"; "called for" ~ "calls for")."""
    wanted = stems(phrase)
    found = stems(text)
    if not wanted:
        return False
    width = len(wanted)
    return any(found[i : i + width] == wanted for i in range(len(found) - width + 1))
