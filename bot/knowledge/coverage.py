"""Which sentences of the sources the digest cites, which it sets aside (`not_briefed`), and
which nothing accounts for: the curator's check that no source sentence is silently dropped."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.digest import Digest
from bot.knowledge.model import Citation, Meeting
from bot.knowledge.sentences import sentences
from bot.knowledge.text import normalise_quote

__all__ = ["Sentence", "SourceCoverage", "citing_items", "coverage", "sentences"]
MIN_OVERLAP = 20  # characters a quote must share with a sentence to cite it


@dataclass(frozen=True)
class Sentence:
    """One sentence of a source and what accounts for it."""

    text: str
    cited_by: list[str] = field(default_factory=list)  # digest item ids
    not_briefed: list[str] = field(default_factory=list)  # the reasons given

    @property
    def covered(self) -> bool:
        """Cited by an item or set aside with a reason."""
        return bool(self.cited_by or self.not_briefed)


@dataclass(frozen=True)
class SourceCoverage:
    """A source document's sentences."""

    doc_id: str
    sentences: list[Sentence]

    @property
    def cited(self) -> int:
        """Sentences some item cites."""
        return sum(1 for s in self.sentences if s.cited_by)

    @property
    def set_aside(self) -> int:
        """Sentences only `not_briefed` accounts for."""
        return sum(1 for s in self.sentences if s.not_briefed and not s.cited_by)

    @property
    def uncovered(self) -> list[Sentence]:
        """Sentences nothing accounts for."""
        return [s for s in self.sentences if not s.covered]


def citing_items(meeting: Meeting) -> list[tuple[str, Citation]]:
    """(item id, citation) for every citation of a meeting and its items."""
    chair = meeting.chair.sources if meeting.chair else ()
    found = [(meeting.id, c) for c in (*meeting.sources, *chair)]
    found += [(meeting.id, c) for c in meeting.number_sources]
    found += [(f"{meeting.id}:{p.actor}", c) for p in meeting.participants for c in p.sources]
    for items in (meeting.outcomes, meeting.positions, meeting.events, meeting.talks):
        found += [(item.id, c) for item in items for c in item.sources]
    # An event's sources include its updates' once the digest applies them; these are the
    # curator's own entry's, so its updates are counted here.
    found += [
        (event.id, c)
        for event in meeting.events
        for update in (event.original or event).updates
        for c in update.sources
        if c not in event.sources
    ]
    return found


def _touches(quote: str, sentence: str) -> bool:
    return quote in sentence or sentence in quote or _overlap(quote, sentence) >= MIN_OVERLAP


def _overlap(quote: str, sentence: str) -> int:
    """The longest run a quote crossing a sentence boundary shares with the sentence's end (its
    head) or start (its tail)."""
    for size in range(min(len(quote), len(sentence)), MIN_OVERLAP - 1, -1):
        if sentence.endswith(quote[:size]) or sentence.startswith(quote[-size:]):
            return size
    return 0


def coverage(digest: Digest, directory: Path) -> list[SourceCoverage]:
    """Every source's sentences with the items that cite them and the reasons set aside. A
    word-for-word copy (`copy_of:`) is accounted for by what accounts for its original."""
    found = []
    for doc in digest.documents:
        text = (Path(directory) / "sources" / doc.file).read_text(encoding="utf-8")
        rows = [Sentence(s) for s in sentences(text)]
        wanted = {doc.id, doc.copy_of}
        for meeting in digest.meetings:
            for item_id, citation in citing_items(meeting):
                if citation.doc in wanted:
                    _mark(rows, normalise_quote(citation.quote), item_id, None)
            for aside in meeting.not_briefed:
                if aside.doc in wanted:
                    _mark(rows, normalise_quote(aside.quote), None, aside.reason)
        found.append(SourceCoverage(doc.id, rows))
    return found


def _mark(rows: list[Sentence], quote: str, item_id: str | None, reason: str | None) -> None:
    for row in rows:
        if _touches(quote, row.text):
            if item_id is not None and item_id not in row.cited_by:
                row.cited_by.append(item_id)
            if reason is not None:
                row.not_briefed.append(reason)
