"""Source texts split into sentences: one split for `coverage`, question search, drafts and the
review page, so that a sentence means the same thing everywhere.

Each line is a paragraph (a saved page's text keeps one per line; a headline has no full stop),
and within a line the sentences are found by sentencex, a rule-based segmenter that knows
abbreviations ("Dr.", "U.S.", "Jan. 5") and decimals: a regular expression on ". " does not."""

from __future__ import annotations

from dataclasses import dataclass

import sentencex

from bot.knowledge.text import normalise_quote

LANGUAGE = "en"


@dataclass(frozen=True)
class Span:
    """One sentence of a text: where it stands in the text as stored, and its words."""

    start: int  # offsets into the stored text, surrounding whitespace left out
    end: int
    raw: str  # exactly the stored text[start:end]

    @property
    def text(self) -> str:
        """The sentence as quotes are matched (whitespace and apostrophes folded)."""
        return normalise_quote(self.raw)


def sentence_spans(text: str, language: str = LANGUAGE) -> list[Span]:
    """Every sentence of `text` with its offsets, in order."""
    found: list[Span] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            for boundary in sentencex.get_sentence_boundaries(language, line):
                start, end = boundary["start_index"], boundary["end_index"]
                piece = line[start:end]
                stripped = piece.strip()
                if stripped:
                    lead = len(piece) - len(piece.lstrip())
                    begin = offset + start + lead
                    found.append(Span(begin, begin + len(stripped), stripped))
        offset += len(line)
    return found


def sentences(text: str, language: str = LANGUAGE) -> list[str]:
    """A source text split into sentences (whitespace and apostrophes normalised)."""
    return [span.text for span in sentence_spans(text, language)]
