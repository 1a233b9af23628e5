"""The analyst question set (tests/questions.yaml) against the SHIPPED digest: each expected id
exists, one of them is on the answer's first three lines for at least 95% of questions, and at
least 95% of answers show every expected fact in their first 20 blocks; then issue 24's measured
defects, each pinned."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.knowledge.digest import Digest
from bot.knowledge.holder import DigestHolder
from bot.pipeline import Pipeline
from bot.rendering.renderer import Renderer
from bot.rendering.terminal import to_terminal
from bot.search.answer import Answer, answer
from bot.settings import DEFAULT_TEMPLATES_DIR
from testkit.questions import ask_all, facts_missed, known_ids, load_questions, recall

pytestmark = pytest.mark.shipped_digest
GOAL_AT_3 = 0.95
GOAL_FACTS = 0.95


def test_the_question_set_is_large_paraphrased_and_names_real_ids(shipped: Digest) -> None:
    _now, questions = load_questions()
    assert len(questions) >= 40
    known = known_ids(shipped)
    for question in questions:
        assert question.facts, question
        assert question.expect and question.expect <= known, question
        summaries = [c.summary.casefold() for c in shipped.claims]
        assert not any(question.text.casefold().rstrip("?") in s for s in summaries), question


def test_recall_at_3_meets_the_goal(shipped: Digest) -> None:
    now, questions = load_questions()
    outcomes = ask_all(shipped, questions, now)
    missed = [(o.question.text, o.found[:3]) for o in outcomes if not o.rank or o.rank > 3]
    assert recall(outcomes, 3) >= GOAL_AT_3, missed
    assert recall(outcomes, 1) <= recall(outcomes, 3)


def test_answers_show_the_expected_facts(shipped: Digest) -> None:
    now, questions = load_questions()
    pipeline = Pipeline(DigestHolder(shipped), Renderer(DEFAULT_TEMPLATES_DIR), ZoneInfo("UTC"))
    found = facts_missed(pipeline, questions, now)
    missed = [(q.text, m) for q, m in found if m]
    assert 1 - len(missed) / len(found) >= GOAL_FACTS, missed


# --- issue 24's measured defects, on the shipped meeting (sco-defmin-2021-dushanbe, 28 Jul 2021)

AUGUST_2021 = datetime(2021, 8, 1, tzinfo=UTC)


def asked(digest: Digest, question: str, now: datetime = AUGUST_2021) -> Answer:
    return answer(digest.as_of(now), question, now)


def reply(digest: Digest, text: str, now: datetime = AUGUST_2021) -> str:
    pipeline = Pipeline(DigestHolder(digest), Renderer(DEFAULT_TEMPLATES_DIR), ZoneInfo("UTC"))
    return to_terminal(pipeline.respond(f"ask {text}", now).messages).replace("*", "")


def test_who_attended_the_dushanbe_meeting_lists_its_participants(shipped: Digest) -> None:
    found = asked(shipped, "who attended the meeting")
    assert found.lines()[0][0] == "sco-defmin-2021-dushanbe"
    [facts] = found.facts
    assert {a.id for a, _p, _n in facts.participants} == {
        "tajikistan",
        "china",
        "pakistan",
        "belarus",
        "russia",
        "kazakhstan",
        "kyrgyzstan",
    }
    text = reply(shipped, "who attended the meeting")
    assert "not a complete list" in text
    assert "The picture shows" not in text and "no one has checked" not in text


def test_did_india_attend_says_no_source_places_it_there(shipped: Digest) -> None:
    found = asked(shipped, "did india attend")
    assert found.verdict is not None and not found.verdict.yes
    assert found.verdict.meeting.id == "sco-defmin-2021-dushanbe"
    text = reply(shipped, "did india attend")
    assert "No source published by 1 August 2021 00:00 UTC places India" in text
    assert "India and Pakistan in acceding" in text  # what the sources do say about India


def test_the_next_meeting_as_of_august_2021_is_the_2022_one_shown_once(shipped: Digest) -> None:
    found = asked(shipped, "when is the next meeting")
    ids = [getattr(h.item, "id", "raw") for h in found.hits]
    assert ids[0] == "sco-defmin-2022-uzbekistan"
    assert "next-meeting" not in ids  # the same quote as the event: not shown twice
    if "sco-defmin-2021-dushanbe-meeting" in ids:
        assert ids.index("sco-defmin-2021-dushanbe-meeting") > 0


def test_russia_and_india_are_said_to_have_no_statement_of_their_own(shipped: Digest) -> None:
    nato = reply(shipped, "what did russia say about nato")
    assert "record no statement of Russia’s own on NATO" in nato
    assert nato.index("record no statement") < nato.index("withdrawal of NATO")
    india = reply(shipped, "what did india say")
    assert "record no statement of India’s own" in india
    assert india.index("record no statement") < india.index("India and Pakistan in acceding")
