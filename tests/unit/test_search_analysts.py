"""The everyday questions analysts ask (issue 24), on the fictional digests: who was there, who
chaired, where and when a meeting was, what is next, whether an actor attended or said anything
(and saying so when it did not), an actor's minister counting as the actor, and no item or
quote twice in one answer. Answered from the digest as of each question's time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.knowledge.claims import Claim
from bot.knowledge.digest import Digest
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.knowledge.model import Event
from bot.knowledge.text import normalise_quote
from bot.pipeline import Pipeline
from bot.rendering.renderer import Renderer
from bot.rendering.terminal import to_terminal
from bot.search.answer import Answer, answer
from bot.search.index import Sentence
from tests.conftest import TWO_MEETINGS, three_meetings

LATER = datetime(2034, 1, 1, tzinfo=UTC)  # every document of every test digest published
BETWEEN = datetime(2031, 7, 1, tzinfo=UTC)  # after the 2031 meeting, before the 2032 one
AFTER_2032 = datetime(2032, 9, 1, tzinfo=UTC)  # after the 2032 meeting, before the 2033 one
# Only the Oceanic Wire's relay of the 2033 communique is out: Hyperborea's own account (the
# only document placing it at the Rinnhaven meeting) comes the next day.
RELAY_ONLY = datetime(2033, 5, 10, 20, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def two() -> Digest:
    return load_digest(TWO_MEETINGS)


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Digest:
    return load_digest(three_meetings(tmp_path_factory.mktemp("three") / "knowledge"))


def asked(digest: Digest, question: str, now: datetime = LATER) -> Answer:
    return answer(digest.as_of(now), question, now)


def reply(digest: Digest, renderer: Renderer, text: str, now: datetime = LATER) -> str:
    """The reply as the terminal shows it, without mrkdwn's bold marks."""
    pipeline = Pipeline(DigestHolder(digest), renderer, ZoneInfo("UTC"))
    return to_terminal(pipeline.respond(f"ask {text}", now).messages).replace("*", "")


def hit_ids(found: Answer) -> list[str]:
    return [getattr(h.item, "id", "raw") for h in found.hits]


# --- attendance, chair, place and date: the meeting's curated fields ---------------------------


def test_who_attended_answers_from_the_participant_list_not_raw_sentences(
    two: Digest, renderer: Renderer
) -> None:
    found = asked(two, "who attended the 2032 meeting")
    assert [f.meeting.id for f in found.facts] == ["council-2032-lemuria-city"]
    assert found.lines()[0][0] == "council-2032-lemuria-city"
    assert not any(isinstance(h.item, Sentence) for h in found.hits)
    text = reply(two, renderer, "who attended the 2032 meeting")
    assert "not a complete list" in text  # participants_complete: false
    for name in ("Atlantis", "Lemuria", "Mu", "Hyperborea"):
        assert name in text
    assert "Oceanic Wire, 26 Aug 2032" in text  # each participant's attestation


def test_a_complete_participant_list_is_not_called_partial(
    three: Digest, renderer: Renderer
) -> None:
    text = reply(three, renderer, "which countries took part in the Rinnhaven meeting?")
    assert "Participants named in the sources" in text and "not a complete list" not in text
    # As of a time when one participant's only attestation is not yet published, it is.
    early = reply(
        three, renderer, "which countries took part in the Rinnhaven meeting?", RELAY_ONLY
    )
    assert "not a complete list" in early and "• Hyperborea" not in early


def test_who_chaired_names_the_chair_with_its_source_or_says_none_is_given(
    two: Digest, three: Digest, renderer: Renderer
) -> None:
    found = asked(two, "who chaired the 2031 meeting?")
    assert [f.meeting.id for f in found.facts] == ["council-2031-poseidonis"]
    text = reply(two, renderer, "who chaired the 2031 meeting?")
    assert "Chair: Atlantis" in text and "Council Secretariat, 12 Jun 2031" in text
    text = reply(three, renderer, "who presided over the Rinnhaven meeting")
    assert "Chair: not given in the sources" in text


def test_where_was_a_meeting_puts_the_held_meeting_above_the_placeholder_it_became(
    two: Digest, renderer: Renderer
) -> None:
    found = asked(two, "where was the 2032 meeting")
    assert found.lines()[0][0] == "council-2032-lemuria-city"
    ids = [i for line in found.lines() for i in line]
    if "council-2032-lemuria" in ids:  # the placeholder, if shown at all, comes after
        assert ids.index("council-2032-lemuria") > ids.index("council-2032-meeting")
    text = reply(two, renderer, "where was the 2032 meeting")
    assert text.index("Lemuria City") < text.index("Digest")


PLACEHOLDER_QUESTION = "what did the 2031 meeting decide about the next meeting?"


def test_a_superseded_placeholder_says_what_it_became(two: Digest, renderer: Renderer) -> None:
    found = asked(two, PLACEHOLDER_QUESTION)
    placeholders = [h for h in found.hits if getattr(h.item, "id", "") == "council-2032-lemuria"]
    assert placeholders, hit_ids(found)
    assert placeholders[0].dated is not None and placeholders[0].dated.became is not None
    ids = hit_ids(found)
    if "council-2032-meeting" in ids:
        assert ids.index("council-2032-meeting") < ids.index("council-2032-lemuria")
    text = reply(two, renderer, PLACEHOLDER_QUESTION)
    assert "became" in text and "2032 meeting of the Defence Council" in text


def test_when_was_the_last_meeting_answers_with_its_date(two: Digest, renderer: Renderer) -> None:
    found = asked(two, "when was the last meeting", AFTER_2032)
    assert found.lines()[0][0] == "council-2032-lemuria-city"
    assert "24–25 August 2032" in reply(two, renderer, "when was the last meeting", AFTER_2032)


# --- what is next, what was: time-aware ranking ------------------------------------------------


def test_when_is_the_next_meeting_puts_what_lies_ahead_first(two: Digest) -> None:
    assert hit_ids(asked(two, "when is the next meeting", BETWEEN))[0] == "council-2032-lemuria"
    assert hit_ids(asked(two, "when is the next meeting", AFTER_2032))[0] == "council-2033-mu"
    assert hit_ids(asked(two, "upcoming meetings of the council", AFTER_2032))[0] == (
        "council-2033-mu"
    )


def test_a_question_only_about_time_lists_what_lies_ahead_soonest_first(two: Digest) -> None:
    for question in ("what is coming up?", "anything upcoming?"):
        ids = hit_ids(asked(two, question, BETWEEN))
        assert ids[:2] == ["disaster-relief-workshop-2031", "council-2032-lemuria"], ids


def test_hosting_an_event_is_not_read_as_hosting_the_meeting(two: Digest) -> None:
    found = asked(two, "did Hyperborea host the rescue exercise?")
    assert found.facts == () and found.verdict is None
    assert hit_ids(found)[0].startswith("maritime-rescue-exercise"), hit_ids(found)


def test_the_past_is_preferred_when_the_question_looks_back(two: Digest) -> None:
    ids = hit_ids(asked(two, "which meeting was held in 2032?", AFTER_2032))
    past = [i for i in ids if i in ("council-2032-meeting", "council-2033-mu")]
    assert past and past[0] == "council-2032-meeting"


def test_a_year_named_filters_before_ranking(two: Digest) -> None:
    for year in (2031, 2032):
        found = asked(two, f"what did the ministers agree in {year}")
        assert found.hits and all(year in h.years for h in found.hits), hit_ids(found)


def test_a_meeting_named_filters_before_ranking(three: Digest) -> None:
    found = asked(three, "what was decided at the Rinnhaven meeting")
    assert found.hits
    assert all(h.meeting and h.meeting.id == "council-2033-rinnhaven" for h in found.hits)


# --- did X attend / chair / say ----------------------------------------------------------------


def test_did_x_attend_says_yes_with_the_citation(three: Digest, renderer: Renderer) -> None:
    found = asked(three, "did Hyperborea attend the Rinnhaven meeting?")
    assert found.verdict is not None and found.verdict.yes
    text = reply(three, renderer, "did Hyperborea attend the Rinnhaven meeting?")
    assert text.index("Yes") < text.index("Hyperborean Defence Minister Tor Alvik attended")


def test_did_x_attend_says_plainly_when_no_published_source_records_it(
    three: Digest, renderer: Renderer
) -> None:
    question = "was Hyperborea at the Rinnhaven meeting?"
    found = asked(three, question, RELAY_ONLY)
    assert found.verdict is not None and not found.verdict.yes
    text = reply(three, renderer, question, RELAY_ONLY)
    assert "No source published by 10 May 2033 20:00 UTC places Hyperborea" in text
    assert "not a complete list" in text
    # What the sources (published by then) do say about Hyperborea follows.
    assert found.hits and all("hyperborea" in h.actors for h in found.hits)


def test_did_x_chair_answers_from_the_chair_field(
    two: Digest, three: Digest, renderer: Renderer
) -> None:
    yes = asked(two, "did Lemuria chair the 2032 meeting?")
    assert yes.verdict is not None and yes.verdict.yes
    no = asked(two, "did Mu chair the 2032 meeting?")
    assert no.verdict is not None and not no.verdict.yes
    text = reply(two, renderer, "did Mu chair the 2032 meeting?")
    assert "Lemuria" in text and "chair" in text
    text = reply(three, renderer, "did Mu chair the Rinnhaven meeting?")
    assert "No source published by 1 January 2034 00:00 UTC names the chair" in text


def test_did_x_skip_answers_with_the_attestation_without_a_misleading_yes(
    two: Digest, renderer: Renderer
) -> None:
    found = asked(two, "did Mu skip the 2032 meeting?")
    assert found.verdict is not None and found.verdict.asked == "attended" and found.verdict.yes
    text = reply(two, renderer, "did Mu skip the 2032 meeting?")
    assert "Oceanic Wire, 26 Aug 2032 places Mu at the 2032 meeting" in text
    assert "Yes:" not in text


def test_who_spoke_counts_each_participants_own_statements(two: Digest, renderer: Renderer) -> None:
    found = asked(two, "who spoke at the 2031 meeting?")
    [facts] = found.facts
    assert facts.show_silent
    assert {a.id: n for a, _p, n in facts.participants} == {
        "atlantis": 0,
        "lemuria": 2,
        "mu": 0,
        "hyperborea": 1,
    }
    text = reply(two, renderer, "who spoke at the 2031 meeting?")
    assert "Lemuria — Defence Minister Ila Varen" in text and "2 statements of its own" in text
    assert "Atlantis — chair" in text and "no statement of its own recorded" in text


# --- silence: no statement of the actor's own ---------------------------------------------------


def test_an_actor_with_no_statement_of_its_own_is_said_to_have_none(
    two: Digest, renderer: Renderer
) -> None:
    found = asked(two, "what did Atlantis say?")
    assert found.silence is not None and not found.silence.topical
    text = reply(two, renderer, "what did Atlantis say?")
    assert "record no statement of Atlantis" in text
    first_hit = text.index("•") if "•" in text else len(text)
    assert text.index("record no statement of Atlantis") < first_hit


def test_no_statement_on_the_topic_asked_is_said_with_the_topics_it_did_speak_on(
    two: Digest, renderer: Renderer
) -> None:
    found = asked(two, "what did Mu say about piracy?")
    assert found.silence is not None and found.silence.topical
    assert found.silence.own_topics == ("Fisheries",)
    text = reply(two, renderer, "what did Mu say about piracy?")
    assert "no statement of Mu’s own on this" in text and "Fisheries" in text
    # A statement of its own on the topic: no silence.
    assert asked(two, "what did Mu say about fishing?").silence is None


def test_silence_names_another_actor_the_question_asks_about(
    two: Digest, renderer: Renderer
) -> None:
    found = asked(two, "what did Atlantis say about Hyperborea?")
    assert found.silence is not None
    assert [a.id for a in found.silence.about] == ["hyperborea"]
    assert "no statement of Atlantis’s own on Hyperborea" in reply(
        two, renderer, "what did Atlantis say about Hyperborea?"
    )


def test_participants_asked_what_they_said_is_not_an_attendance_question(two: Digest) -> None:
    found = asked(two, "what did the participants say about piracy?")
    assert found.facts == ()
    piracy = {"joint-patrols-continue", "patrols-progress", "lemuria-patrols-backbone"}
    assert set(hit_ids(found)[:3]) == piracy, hit_ids(found)


def test_two_actors_named_together_are_not_one_silent_subject(two: Digest) -> None:
    found = asked(two, "what did Lemuria and Hyperborea say?")
    assert found.silence is None  # not "no statement of Lemuria's own on Hyperborea"
    assert {"lemuria-patrols-backbone", "hyperborea-maritime-rescue-proposal"} & set(hit_ids(found))


def test_hosting_something_else_asks_nothing_of_the_meeting(two: Digest) -> None:
    found = asked(two, "what did Lemuria offer to host?")
    assert found.facts == () and found.verdict is None
    assert "lemuria-ready-to-host" in hit_ids(found)[:2], hit_ids(found)


# --- a minister counts as the actor; the latest meeting's statements first ---------------------


def test_a_ministers_name_from_a_claim_counts_as_the_actor(three: Digest) -> None:
    # "Tor Alvik" is in no alias of actors.yaml: only claims name him as Hyperborea's speaker.
    assert hit_ids(asked(three, "what did Tor Alvik say?"))[0] == "hyperborea-rescue-vessels"
    assert hit_ids(asked(three, "what did Alvik tell the ministers"))[0] == (
        "hyperborea-rescue-vessels"
    )


def test_a_ministers_statements_of_the_latest_meeting_come_first(three: Digest) -> None:
    for question in ("what did Mu's minister say?", "what did Sefa Rinn propose"):
        ids = hit_ids(asked(three, question))
        assert ids[:2] == ["mu-undersea-cables", "mu-fisheries-centre"], (question, ids)


# --- no item twice, no quote twice --------------------------------------------------------------

QUESTIONS = (
    "when is the next meeting",
    "what did the council agree about the next meeting",
    "maritime rescue centre",
    "what was decided at Rinnhaven",
    "who attended",
    "did Mu attend",
    "what did Hyperborea say",
    "fisheries",
    "liaison officers",
    "naval review",
    "what is planned in 2033",
    "what did Lemuria say about the next meeting",
)


def shown_quotes(found: Answer) -> Iterator[str]:
    for hit in found.hits:
        item = hit.item
        if isinstance(item, Claim):
            yield normalise_quote(item.main_quote)
        elif isinstance(item, Event):
            yield normalise_quote(item.sources[0].quote)
        elif isinstance(item, Sentence):
            yield normalise_quote(item.text)


@pytest.mark.parametrize("now", [AFTER_2032, RELAY_ONLY, LATER])
@pytest.mark.parametrize("question", QUESTIONS)
def test_no_item_and_no_quote_twice_in_one_answer(
    three: Digest, question: str, now: datetime
) -> None:
    found = asked(three, question, now)
    ids = [i for line in found.lines() for i in line[:1]]
    assert len(ids) == len(set(ids)), ids
    quotes = list(shown_quotes(found))
    assert len(quotes) == len(set(quotes)), quotes


@pytest.mark.parametrize("question", [*QUESTIONS, "what is next for the council?"])
def test_a_superseded_placeholder_never_ranks_above_a_current_item(
    three: Digest, question: str
) -> None:
    found = asked(three, question, datetime(2033, 5, 14, 9, tzinfo=UTC))
    current = [h.curated and h.ident not in three.superseded_by for h in found.hits]
    placeholders = [i for i, h in enumerate(found.hits) if h.ident in three.superseded_by]
    assert all(not any(current[i + 1 :]) for i in placeholders), hit_ids(found)


def test_a_relayed_and_an_own_copy_of_the_same_words_show_once(three: Digest) -> None:
    ids = hit_ids(asked(three, "joint centre for maritime rescue coordination"))
    assert len({"rescue-centre", "rescue-centre-relayed"} & set(ids)) == 1, ids


def test_every_answer_line_is_cited(three: Digest, renderer: Renderer) -> None:
    for question in QUESTIONS:
        text = reply(three, renderer, question)
        for line in text.splitlines():
            if line.startswith("• "):  # a source's label ("Oceanic Wire, 10 May 2033") on each
                assert re.search(r"\w, \d{1,2} [A-Z][a-z]{2} \d{4}", line), line
