"""The text after `/sco` → a Request. Light on purpose: the terminal's cached path uses it."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from bot.commands.registry import BY_WORD

PUBLIC_WORD = "public"
MAX_ARG_LENGTH = 200
# How close a first word must be to a command word to be read as a typo of it ("positons").
TYPO_CUTOFF = 0.8


@dataclass(frozen=True)
class Request:
    """A parsed `/sco` command: subcommand, arguments, and whether to post in the channel."""

    name: str
    args: tuple[str, ...] = ()
    public: bool = False
    unknown: str | None = None  # the subcommand the user typed when we did not recognise it
    implicit: bool = False  # a question typed without `ask`: the reply hints at the commands


# Every request is parsed by more than one step (does it need the ledger, open a form, what
# does it answer): short texts, the ones typed again and again, are parsed once.
_SHORT = 256


def parse(text: str) -> Request:
    """Parse the text after `/sco` (short texts once: a Request is immutable)."""
    return _parse_short(text) if len(text) <= _SHORT else _parse(text)


@functools.lru_cache(maxsize=1024)
def _parse_short(text: str) -> Request:
    return _parse(text)


def _parse(text: str) -> Request:
    """Parse the text after `/sco`: empty text or an unknown word asks for help; text that reads
    as a question (several words, or a question mark) is asked."""
    words = [w[:MAX_ARG_LENGTH] for w in text.split()]
    public = bool(words) and words[-1].casefold() == PUBLIC_WORD
    if public:
        words = words[:-1]
    if not words:
        return Request("help", (), public)
    command = BY_WORD.get(words[0].casefold())
    if command is not None:
        return Request(command.name, tuple(words[1:]), public)
    if _reads_as_question(words):
        return Request("ask", tuple(words), public, implicit=True)
    # A mistyped command's help is for the typist only, even with `public`.
    return Request("help", (), False, unknown=words[0])


def _reads_as_question(words: list[str]) -> bool:
    """Several words or a question mark, and not a typo of a command ("positons china")."""
    if len(words) < 2 and not words[0].endswith("?"):
        return False
    if not any(c.isalnum() for c in "".join(words)):
        return False
    import difflib  # only for text that is not a command: the cached terminal path skips it

    typo = difflib.get_close_matches(words[0].casefold(), list(BY_WORD), n=1, cutoff=TYPO_CUTOFF)
    return not typo
