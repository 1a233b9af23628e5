"""How quotes and names are compared: whitespace and apostrophe variants folded, not words."""

from __future__ import annotations

import difflib

_APOSTROPHES = {
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "`": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
}


def normalise_quote(text: str) -> str:
    """Fold whitespace and apostrophe variants (not the words) for verbatim quote matching."""
    # str.replace and str.split run in C: ten times faster than translate() and a regex here.
    for variant, plain in _APOSTROPHES.items():
        text = text.replace(variant, plain)
    return " ".join(text.split())


def alias_key(name: str) -> str:
    """How names are compared: case-insensitive, apostrophes and spacing folded."""
    return normalise_quote(name).casefold()


def closest_passage(quote: str, text: str) -> str:
    """Where a quote not found verbatim comes closest in `text`, and the first word that differs:
    a hint for the curator (both already normalised)."""
    matcher = difflib.SequenceMatcher(None, text, quote, autojunk=False)
    anchor = matcher.find_longest_match(0, len(text), 0, len(quote))
    if anchor.size < 8:
        return "no passage of the document resembles it"
    start = max(0, anchor.a - anchor.b)
    passage = text[start : start + len(quote) + 20]
    ours, theirs = quote.split(), passage.split()
    for k, word in enumerate(ours):
        if k >= len(theirs) or theirs[k] != word:
            source_word = theirs[k] if k < len(theirs) else "(end of text)"
            return (
                f'closest passage: "{_clip(passage)}"; '
                f"the quote has {word!r} where the source has {source_word!r}"
            )
    return f'closest passage: "{_clip(passage)}"'


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
