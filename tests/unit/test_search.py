"""Questions in plain language, on the fictional two-meeting digest (tests/digests/two-meetings):
aliases, word forms, curators' keywords, years and places, raw sentences labelled and ranked
below curated claims, nothing matching, the question-like `/sco` text, the index per digest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.commands.parsing import parse
from bot.knowledge.digest import Digest
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.pipeline import Pipeline
from bot.queries.derived import prepare
from bot.rendering.renderer import Renderer
from bot.rendering.terminal import to_terminal
from bot.search.answer import MAX_HITS, answer
from bot.search.index import Sentence
from bot.slack.replies import ShareButton
from testkit.fakeslack import block_kit_problems
from tests.conftest import TEST_DIGEST, TWO_MEETINGS
from tests.slack_payloads import OUR_DATE

LATER = datetime(2033, 1, 1, tzinfo=UTC)  # every document of the digest published
BETWEEN = datetime(2031, 7, 1, tzinfo=UTC)  # after the 2031 meeting, before the 2032 one


@pytest.fixture(scope="module")
def two() -> Digest:
    return load_digest(TWO_MEETINGS)


@pytest.fixture(scope="module")
def asking(two: Digest, renderer: Renderer) -> Pipeline:
    return Pipeline(DigestHolder(two), renderer, ZoneInfo("UTC"), finish=ShareButton(renderer))


def ids(digest: Digest, question: str, now: datetime = LATER) -> list[str]:
    return [getattr(h.item, "id", "raw") for h in answer(digest, question, now).hits]


def reply_text(pipeline: Pipeline, text: str, now: datetime = LATER) -> str:
    return to_terminal(pipeline.respond(text, now).messages)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # A person's name, a demonym, a plural: the actor's aliases in actors.yaml.
        ("What did Ila Varen say about piracy?", "lemuria-patrols-backbone"),
        ("what do the Lemurians think of the patrols", "lemuria-patrols-backbone"),
        ("Hyperborean proposals", "hyperborea-maritime-rescue-proposal"),
        # Word forms (porter stemming): "rescuing" finds "rescue".
        ("who is rescuing sailors", "hyperborea-maritime-rescue-proposal"),
        # A curator's keyword that is in neither summary nor quote.
        ("meteorology", "weather-navigation-data"),
    ],
)
def test_questions_find_claims_by_alias_word_form_and_keyword(
    two: Digest, question: str, expected: str
) -> None:
    assert expected in ids(two, question)[:3]


def test_a_year_prefers_that_years_claims(two: Digest) -> None:
    found = answer(two, "what did the council decide in 2031", LATER).hits
    assert found and all(2031 in h.years for h in found)
    later = answer(two, "what did the council decide in 2032", LATER).hits
    assert later and all(2032 in h.years for h in later)


def test_a_meeting_place_prefers_that_meetings_claims(two: Digest) -> None:
    found = answer(two, "what was decided in Lemuria City", LATER).hits
    assert found[0].meeting is not None and found[0].meeting.id == "council-2032-lemuria-city"


def test_only_documents_published_by_now_answer(two: Digest) -> None:
    assert "patrols-progress" in ids(two, "progress of the naval patrols against pirates")
    assert "patrols-progress" not in ids(
        two.as_of(BETWEEN), "progress of the naval patrols", BETWEEN
    )


def test_at_most_five_hits_and_raw_sentences_rank_below_curated_ones(two: Digest) -> None:
    for question in ("Lemurians", "maritime rescue exercise", "naval patrols", "Oren Tal"):
        hits = answer(two, question, LATER).hits
        assert 0 < len(hits) <= MAX_HITS
        kinds = [h.curated for h in hits]
        assert kinds == sorted(kinds, reverse=True), (question, kinds)


def test_a_raw_source_sentence_is_labelled_as_such(two: Digest, asking: Pipeline) -> None:
    # Only a source sentence (background the curators left out) says how often the Council meets.
    hits = answer(two, "how often has the council met since 2029", LATER).hits
    assert hits and isinstance(hits[0].item, Sentence)
    text = reply_text(asking, "ask how often has the council met since 2029")
    assert "Raw source text, left out of the briefing by the curators" in text
    assert "background, not about this meeting" in text and "every year since 2029" in text
    # A sentence nothing cites nor leaves out would read "not curated"; talks are curated.
    assert answer(two, "Oren Tal", LATER).hits[0].kind == "talk"


def test_a_claim_is_shown_with_its_voice_quote_date_and_source(asking: Pipeline) -> None:
    text = reply_text(asking, "ask what did Ila Varen say about piracy")
    assert "backbone of security in the Inner Sea" in text  # the quote
    assert "Lemuria" in text and "lemuria-patrols-backbone" in text
    assert "2031" in text and "http" in text  # its date and its source's link


def test_nothing_matching_says_so_and_offers_actors_and_topics(asking: Pipeline) -> None:
    text = reply_text(asking, "ask bananas zebrafish")
    assert "Nothing in the digest matches" in text
    assert "Hyperborea" in text and "Maritime security" in text
    assert "bananas" not in text  # the question is never echoed


def test_the_question_is_never_echoed_live(asking: Pipeline) -> None:
    for text in ("ask patrols <!here> @here #general https://evil.example", "<!channel> patrols?"):
        payloads = [m.payload() for m in asking.respond(text, LATER).messages]
        # What Slack shows: every block but the buttons (whose values it never renders, e.g.
        # Share's command to run again), without our own "as of" date tokens.
        shown = [[b for b in p["blocks"] if b["type"] != "actions"] for p in payloads]
        dumped = OUR_DATE.sub("", json.dumps([p["text"] for p in payloads] + shown))
        assert "<!" not in dumped and "@here" not in dumped and "evil.example" not in dumped
        assert "#general" not in dumped
        assert all(not block_kit_problems(p) for p in payloads)


def test_buttons_offer_the_brief_and_the_actors_positions(asking: Pipeline) -> None:
    payload = asking.respond("ask what did Ila Varen say about piracy", LATER).messages[0]
    actions = [b for b in payload.blocks if b["type"] == "actions"]
    # The answer's own buttons, then (a private reply) "Share in channel".
    assert [a["elements"][0]["action_id"] for a in actions] == ["ask_brief", "share"]
    actions = actions[:1]
    values = {e["action_id"]: e["value"] for e in actions[0]["elements"]}
    assert values == {
        "ask_brief": "brief council-2031-poseidonis",
        "ask_positions": "positions lemuria",
    }
    assert not block_kit_problems(payload.payload())


@pytest.mark.parametrize(
    ("text", "name", "implicit"),
    [
        ("what did lemuria say about the patrols", "ask", True),
        ("pirates?", "ask", True),
        ("ask pirates", "ask", False),
        ("frobnicate", "help", False),  # one unknown word: help, as before
        ("positons lemuria", "help", False),  # a typo of a command: help, not a question
        ("?", "help", False),
        ("", "help", False),
        ("brief", "brief", False),
    ],
)
def test_question_like_text_is_asked_and_the_rest_parses_as_before(
    text: str, name: str, implicit: bool
) -> None:
    request = parse(text)
    assert (request.name, request.implicit) == (name, implicit)


def test_a_question_without_ask_hints_at_the_commands(asking: Pipeline) -> None:
    implicit = reply_text(asking, "what did lemuria say about the patrols")
    assert "Read as a question" in implicit and "`/sco brief`" in implicit
    assert "lemuria-patrols-backbone" in implicit
    assert "Read as a question" not in reply_text(asking, "ask what did lemuria say")


def test_ask_alone_explains_how_to_ask(asking: Pipeline) -> None:
    assert "Ask about an actor, a topic, a place or a date" in reply_text(asking, "ask")


def test_the_index_is_built_with_the_derived_views_and_follows_a_swapped_digest(
    renderer: Renderer,
) -> None:
    first, second = load_digest(TEST_DIGEST), load_digest(TWO_MEETINGS)
    prepare(second, ZoneInfo("UTC"))
    assert "search" in second.memo  # built before the digest serves, not on a first question
    holder = DigestHolder(first)
    pipeline = Pipeline(holder, renderer, ZoneInfo("UTC"))
    assert "Nothing in the digest matches" in reply_text(pipeline, "ask Hyperborea")
    holder.swap(second)
    assert "hyperborea" in reply_text(pipeline, "ask Hyperborea")


def test_common_terms_are_left_out_of_a_large_index_but_never_all(two: Digest) -> None:
    from bot.search.index import SearchIndex

    small_as_large = SearchIndex(two, common_rows=0)  # every index counts as large
    everywhere = ['"council"']  # in every row's meeting title: the only term left, so kept
    assert len(small_as_large.search(everywhere)) == len(SearchIndex(two).search(everywhere))
    rare = small_as_large.search(['"council"', '"meteorology"'])
    assert [getattr(h.item, "id", "") for h in rare] == ["weather-navigation-data"]
    assert small_as_large.search(['"zebrafish"']) == []
