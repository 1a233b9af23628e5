"""A page rendered once a day, cut where its minute's marks sit, to be filled in each minute."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Stamped:
    """A page cut at its minute marks: the text around them, and which mark fills each gap."""

    literals: tuple[str, ...]
    gaps: tuple[int, ...]  # for each gap, its mark's index in the marks the page was cut at

    @classmethod
    def cut(cls, page: str, marks: Sequence[str]) -> Stamped:
        """Cut `page` wherever one of `marks` (bot.rendering.labels.minute_marks) appears."""
        present = {mark: i for i, mark in reversed(list(enumerate(marks))) if mark and mark in page}
        if not present:
            return cls((page,), ())
        # Longest first: no mark may match inside a longer one.
        alternatives = sorted(present, key=len, reverse=True)
        pattern = re.compile("|".join(re.escape(mark) for mark in alternatives))
        literals: list[str] = []
        gaps: list[int] = []
        last = 0
        for found in pattern.finditer(page):
            literals.append(page[last : found.start()])
            gaps.append(present[found.group()])
            last = found.end()
        literals.append(page[last:])
        return cls(tuple(literals), tuple(gaps))

    def fill(self, marks: Sequence[str]) -> str:
        """The page with another minute's `marks` (in the order it was cut at) in its gaps."""
        if not self.gaps:
            return self.literals[0]
        parts = [self.literals[0]]
        for gap, literal in zip(self.gaps, self.literals[1:], strict=True):
            parts.append(marks[gap])
            parts.append(literal)
        return "".join(parts)
