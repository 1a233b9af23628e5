"""The analyst question sets and how well the answers serve them.

Two sets: tests/questions.yaml on the shipped meeting (Dushanbe, 2021) and
tests/questions_rinnhaven.yaml on the fictional third meeting (Rinnhaven, 2033) of the
test digest tests/digests/two-meetings + third-meeting. recall@k is the share of questions with
an expected id on one of the answer's first k lines (a meeting's facts are one line, showing the
meeting and its own event); `facts` are words a correct answer must show, all of them, within
its first FACT_BLOCKS Block Kit blocks."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as day_start
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.digest import Digest
from bot.knowledge.text import normalise_quote
from bot.pipeline import Pipeline
from bot.search.answer import answer
from testkit import PROJECT

TESTS = PROJECT / "tests"
QUESTION_SET = TESTS / "questions.yaml"
RINNHAVEN_SET = TESTS / "questions_rinnhaven.yaml"
TWO_MEETINGS = TESTS / "digests" / "two-meetings"
THIRD_MEETING = TESTS / "digests" / "third-meeting"
FACT_BLOCKS = 20  # what a reader sees without scrolling far: the answer's first blocks


@dataclass(frozen=True)
class Question:
    """A question as an analyst asks it, the ids that answer it, and the words a correct
    answer shows."""

    text: str
    expect: frozenset[str]
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """Where a question's first expected id ranked (None: on none of the answer's lines), and
    how long the answer took."""

    question: Question
    found: tuple[str, ...]  # the id of each line, in order (a meeting's facts: the meeting)
    rank: int | None
    seconds: float


def load_questions(path: Path = QUESTION_SET) -> tuple[datetime, list[Question]]:
    """The day the questions are asked (as a UTC midnight) and the questions."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    asked: date = data["at"]
    now = datetime.combine(asked, day_start(), UTC)
    return now, [
        Question(q["q"], frozenset(q["expect"]), tuple(q.get("facts", ())))
        for q in data["questions"]
    ]


def three_meetings(directory: Path) -> Path:
    """The two-meeting test digest with a third meeting appended, as a curator appends one."""
    shutil.copytree(TWO_MEETINGS, directory)
    append_meeting(directory, THIRD_MEETING)
    return directory


def append_meeting(knowledge: Path, part: Path) -> None:
    """Append a meeting to a digest directory as a curator does: its source texts copied, its
    documents and its meeting (`index-append.yaml`, `meetings-append.yaml` in `part`) added."""
    for text in (part / "sources").glob("*.txt"):
        shutil.copy2(text, knowledge / "sources" / text.name)
    for target, name in (
        ("sources/index.yaml", "index-append.yaml"),
        ("meetings.yaml", "meetings-append.yaml"),
    ):
        with open(knowledge / target, "a", encoding="utf-8") as file:
            file.write((part / name).read_text(encoding="utf-8"))


def ask_all(digest: Digest, questions: list[Question], now: datetime) -> list[Outcome]:
    """Each question answered once, timed."""
    outcomes = []
    for question in questions:
        began = time.perf_counter()
        lines = answer(digest.as_of(now), question.text, now).lines()
        seconds = time.perf_counter() - began
        rank = next((i + 1 for i, ids in enumerate(lines) if question.expect & set(ids)), None)
        outcomes.append(Outcome(question, tuple(ids[0] for ids in lines), rank, seconds))
    return outcomes


def recall(outcomes: list[Outcome], k: int) -> float:
    """The share of questions answered within the first k lines."""
    return sum(1 for o in outcomes if o.rank is not None and o.rank <= k) / len(outcomes)


def shown_text(blocks: Iterable[Mapping[str, Any]], limit: int = FACT_BLOCKS) -> str:
    """The words the first `limit` blocks show (sections, context, headers), folded for
    comparison: case, whitespace, apostrophes, and mrkdwn's bold and italic marks."""
    parts: list[str] = []
    for block in list(blocks)[:limit]:
        if "text" in block and isinstance(block["text"], dict):
            parts.append(block["text"]["text"])
        elements = [e for e in block.get("elements", ()) if isinstance(e, dict)]
        parts += [e["text"] for e in elements if isinstance(e.get("text"), str)]
    text = " ".join(parts).replace("*", "").replace("_", " ")
    return normalise_quote(text).casefold()


def missing_facts(question: Question, blocks: Iterable[Mapping[str, Any]]) -> list[str]:
    """The expected facts an answer's first blocks do not show."""
    text = shown_text(blocks)
    return [f for f in question.facts if normalise_quote(f).casefold() not in text]


def facts_missed(
    pipeline: Pipeline, questions: list[Question], now: datetime
) -> list[tuple[Question, list[str]]]:
    """Each question asked through the pipeline (`ask <question>`), with the expected facts its
    reply's first FACT_BLOCKS blocks do not show (an empty list: all shown)."""
    found = []
    for question in questions:
        messages = pipeline.respond(f"ask {question.text}", now).messages
        blocks = [b for m in messages for b in m.blocks]
        found.append((question, missing_facts(question, blocks)))
    return found


def known_ids(digest: Digest) -> set[str]:
    """Every id an answer's line can show: claims, events, talks and meetings."""
    talks = {t.id for m in digest.meetings for t in m.talks}
    return (
        {c.id for c in digest.claims}
        | set(digest.events_by_id)
        | talks
        | {m.id for m in digest.meetings}
    )
