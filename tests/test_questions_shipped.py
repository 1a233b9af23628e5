"""The analyst question set (tests/questions.yaml) against the SHIPPED digest: each expected id
exists, and search finds one of them in the first three hits for at least 95% of questions."""

from __future__ import annotations

import pytest

from bot.knowledge.digest import Digest
from bot.knowledge.loader import load_digest
from bot.settings import DEFAULT_KNOWLEDGE_DIR
from bot.testing.questions import ask_all, load_questions, recall

pytestmark = pytest.mark.shipped_digest
GOAL_AT_3 = 0.95


@pytest.fixture(scope="module")
def shipped() -> Digest:
    return load_digest(DEFAULT_KNOWLEDGE_DIR)


def test_the_question_set_is_large_paraphrased_and_names_real_ids(shipped: Digest) -> None:
    _now, questions = load_questions()
    assert len(questions) >= 40
    known = {c.id for c in shipped.claims} | set(shipped.events_by_id)
    for question in questions:
        assert question.expect and question.expect <= known, question
        summaries = [c.summary.casefold() for c in shipped.claims]
        assert not any(question.text.casefold().rstrip("?") in s for s in summaries), question


def test_recall_at_3_meets_the_goal(shipped: Digest) -> None:
    now, questions = load_questions()
    outcomes = ask_all(shipped, questions, now)
    missed = [(o.question.text, o.found[:3]) for o in outcomes if not o.rank or o.rank > 3]
    assert recall(outcomes, 3) >= GOAL_AT_3, missed
    assert recall(outcomes, 1) <= recall(outcomes, 3)
