"""The analyst question set (tests/questions.yaml) and how well search answers it: recall@k is
the share of questions with an expected claim or event id among the first k hits."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as day_start
from pathlib import Path

import yaml

from bot.knowledge.digest import Digest
from bot.search.answer import answer

QUESTION_SET = Path(__file__).resolve().parents[2] / "tests" / "questions.yaml"


@dataclass(frozen=True)
class Question:
    """A question as an analyst asks it, and the ids that answer it."""

    text: str
    expect: frozenset[str]


@dataclass(frozen=True)
class Outcome:
    """Where a question's first expected id ranked (None: not among the hits), and how long
    the answer took."""

    question: Question
    found: tuple[str, ...]
    rank: int | None
    seconds: float


def load_questions(path: Path = QUESTION_SET) -> tuple[datetime, list[Question]]:
    """The day the questions are asked (as a UTC midnight) and the questions."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    asked: date = data["at"]
    now = datetime.combine(asked, day_start(), UTC)
    return now, [Question(q["q"], frozenset(q["expect"])) for q in data["questions"]]


def ask_all(digest: Digest, questions: list[Question], now: datetime) -> list[Outcome]:
    """Each question answered once, timed."""
    outcomes = []
    for question in questions:
        began = time.perf_counter()
        hits = answer(digest.as_of(now), question.text, now).hits
        seconds = time.perf_counter() - began
        found = tuple(str(getattr(h.item, "id", "(raw sentence)")) for h in hits)
        rank = next((i + 1 for i, f in enumerate(found) if f in question.expect), None)
        outcomes.append(Outcome(question, found, rank, seconds))
    return outcomes


def recall(outcomes: list[Outcome], k: int) -> float:
    """The share of questions answered within the first k hits."""
    return sum(1 for o in outcomes if o.rank is not None and o.rank <= k) / len(outcomes)
