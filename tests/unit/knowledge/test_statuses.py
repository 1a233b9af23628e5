"""Statuses and negatives in the sources' own words: a status is the source's word, never
translated; a "not in" or "nothing on" is checked against the document's whole text; and
`knowledge check` holds curators to voices, attestations and statuses the sources support."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.knowledge.claims import claims_of
from bot.knowledge.digest import Digest
from bot.knowledge.errors import Problem
from bot.knowledge.loader import load_digest
from bot.knowledge.statuses import StatusClass, outcome, says_status, status_class
from bot.knowledge.stems import StemmedText
from bot.queries import compare
from tests.conftest import TEST_DIGEST, TWO_MEETINGS, edit, problems, three_meetings

# --- statuses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "text", "said"),
    [
        ("agreed", "They agree to continue", True),
        ("decided", "decided to continue to strengthen", True),
        ("held", "was held in Dushanbe", True),
        ("held", "the importance of holding this year", False),  # a plan, not a report
        ("scheduled", "noted the special importance of holding", False),
        ("noted", "did not act", False),
        ("called for", "She calls for restraint", True),
        ("proposed", "the proposal of Lemuria", True),
    ],
)
def test_a_status_is_said_only_in_one_of_its_own_forms(word: str, text: str, said: bool) -> None:
    assert says_status(word, text) is said


def test_status_words_keep_their_class_and_unknown_words_are_shown_as_written() -> None:
    assert status_class("decided") is StatusClass.DECISION
    assert status_class("agreed") is StatusClass.AGREEMENT
    assert status_class("welcomed") is StatusClass.STATEMENT
    assert status_class("mooted") is StatusClass.OTHER
    assert (outcome("held"), outcome("cancelled"), outcome("scheduled")) == (
        "held",
        "cancelled",
        "unreported",
    )
    assert outcome("postponed") == "unreported"  # its date is the new one, not yet held


def test_a_status_the_summary_already_says_is_not_tagged_again(tmp_path: Path) -> None:
    three = load_digest(three_meetings(tmp_path / "three"))
    tags = {c.id: c.status_tag for c in three.claims}
    assert tags["rescue-centre"] is None  # "The ministers decided to …" · decided
    assert tags["mu-undersea-cables"] is None  # "… proposed a joint study …" · proposed
    meeting = next(m for m in three.meetings if m.id == "council-2033-rinnhaven")
    untold = meeting.outcomes[0].__class__(
        **{**meeting.outcomes[0].__dict__, "summary": "A joint rescue centre in Rinnhaven."}
    )
    from dataclasses import replace

    (claim,) = claims_of(replace(meeting, outcomes=(untold,), positions=()), three.documents_by_id)
    assert claim.status_tag == "decided"


# --- knowledge check ---------------------------------------------------------------------------


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return three_meetings(tmp_path / "three")


def warnings_of(directory: Path, now: datetime | None = None) -> list[str]:
    found: list[Problem] = []
    load_digest(directory, warnings=found, now=now)
    return [str(p) for p in found]


def test_a_voice_the_document_cannot_speak_in_is_refused(copy: Path) -> None:
    # Hyperborea's ministry gives the joint release's voice to a joint position.
    edit(
        copy / "meetings.yaml",
        "        theme: Liaison officers\n",
        "        theme: Liaison officers\n        voice: joint\n",
    )
    found = problems(copy)
    assert any(
        "voice 'joint' does not fit hyperborea-mod-2033-05-11 (stance 'participant'" in p
        for p in found
    ), found


def test_a_participant_citation_must_name_the_participant(copy: Path) -> None:
    edit(
        copy / "meetings.yaml",
        "          - doc: hyperborea-mod-2033-05-11\n"
        "            quote: Hyperborean Defence Minister Tor Alvik attended the meeting of the "
        "Defence Council in Rinnhaven\n",
        "          - doc: hyperborea-mod-2033-05-11\n"
        "            quote: the meeting of the Defence Council in Rinnhaven on 9 and 10 May\n",
    )
    found = problems(copy)
    assert any("the quote does not name Hyperborea (hyperborea)" in p for p in found), found


def test_a_copy_of_an_unknown_document_is_refused(copy: Path) -> None:
    edit(copy / "sources" / "index.yaml", "copy_of: council-2033-05-11", "copy_of: council-x")
    assert any("unknown source document 'council-x'" in p for p in problems(copy))


def test_statuses_not_in_the_quotes_and_unknown_words_are_warned_about(copy: Path) -> None:
    edit(
        copy / "meetings.yaml",
        "        kind: regatta\n",
        "        kind: regatta\n        status: scheduled\n",
    )
    edit(copy / "meetings.yaml", "        status: hosted\n", "        status: feted\n")
    found = warnings_of(copy)
    assert any("status 'scheduled' is in none of its quotes" in w for w in found), found
    assert any("status 'feted' is not a word the bot knows" in w for w in found), found


def test_a_passed_placeholder_nothing_supersedes_is_warned_about(copy: Path) -> None:
    found = warnings_of(copy, now=datetime(2035, 1, 1, tzinfo=UTC))
    assert any(
        "council-2034-atlantis (2034) has passed and nothing supersedes it" in w for w in found
    )
    # council-2033-mu is superseded by the 2033 meeting: no warning about it.
    assert not any("council-2033-mu (" in w for w in found)
    during = warnings_of(copy, now=datetime(2034, 6, 1, tzinfo=UTC))
    assert not any("council-2034-atlantis" in w for w in during)


def test_an_event_cited_by_documents_of_different_days_is_warned_about(copy: Path) -> None:
    edit(
        copy / "meetings.yaml",
        "        summary: The Council's cadet regatta in Poseidonis.\n"
        "        keywords: [sailing, cadets]\n"
        "        sources:\n",
        "        summary: The Council's cadet regatta in Poseidonis.\n"
        "        keywords: [sailing, cadets]\n"
        "        sources:\n"
        "          - doc: polar-times-2033-05-13\n"
        "            quote: The cadet regatta in Poseidonis has been cancelled\n",
    )
    found = warnings_of(copy)
    assert any(
        "cadet-regatta-2033 cites documents published at different times" in w for w in found
    )


def test_the_chair_may_be_left_unset(copy: Path) -> None:
    three = load_digest(copy)
    assert next(m for m in three.meetings if m.id == "council-2033-rinnhaven").chair is None


# --- negatives are checked against the whole text --------------------------------------------


def _words(term: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", term.casefold().replace("-", "")) if len(w) > 3]


def _flat(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.casefold())


@pytest.mark.parametrize("which", ["v1", "two", "three"])
def test_no_negative_names_a_word_the_documents_text_contains(which: str, tmp_path: Path) -> None:
    """An independent oracle: a word shown as "not in" a document, or checked for silence, is
    not found in that document's text even as a plain substring (hyphens and spaces folded)."""
    directory = {"v1": TEST_DIGEST, "two": TWO_MEETINGS}.get(which) or three_meetings(
        tmp_path / "three"
    )
    digest = load_digest(directory)
    checked = 0
    for meeting in digest.meetings:
        found = compare.compare(digest, meeting, None)
        for topic in [*found.topics]:
            for side in topic.sides:
                text = _flat(_account_text(digest, side.account))
                for term in side.leaves_out:
                    assert not all(_flat(w) in text for w in _words(term)), (term, side.document.id)
                    checked += 1
            for account in topic.silent:
                text = _flat(_account_text(digest, account))
                for term in topic.checked:
                    assert not all(_flat(w) in text for w in _words(term)) or not _words(term), (
                        term,
                        account.document.id,
                    )
                    checked += 1
    assert checked > 5


def _account_text(digest: Digest, account: compare.Account) -> str:
    return " ".join(digest.texts[d.id] for d in (account.document, *account.copies))


def test_compare_finds_a_topic_by_its_words_in_any_form(tmp_path: Path) -> None:
    v1 = load_digest(TEST_DIGEST)
    meeting = v1.meetings[0]
    assert [t.topic for t in compare.compare(v1, meeting, "covid").topics] != []
    three = load_digest(three_meetings(tmp_path / "three"))
    rinnhaven = next(m for m in three.meetings if m.id == "council-2033-rinnhaven")
    # By an actor's alias: "Hyperborean" names Hyperborea, whose minister spoke on rescue.
    topics = {t.topic for t in compare.compare(three, rinnhaven, "hyperborean").topics}
    assert "Maritime rescue" in topics


def test_stems_find_derived_and_hyphenated_forms() -> None:
    text = StemmedText.of("a joint counterterrorist exercise; counter-terrorism; the pandemic")
    assert text.mentions("counterterrorism") and text.mentions("counter-terrorism")
    assert text.mentions("pandemics") and text.mentions("terrorism")
    assert not StemmedText.of("it has undergone changes").mentions("understanding")
    assert not StemmedText.of("the world war").mentions("warn")


def test_a_partial_copy_is_said_to_lack_a_word_only_in_its_stored_part(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    from bot.knowledge.holder import DigestHolder
    from bot.pipeline import Pipeline
    from bot.rendering.renderer import Renderer
    from bot.rendering.terminal import to_terminal
    from bot.settings import DEFAULT_TEMPLATES_DIR

    two = load_digest(TWO_MEETINGS)
    pipeline = Pipeline(DigestHolder(two), Renderer(DEFAULT_TEMPLATES_DIR), ZoneInfo("UTC"))
    out = to_terminal(
        pipeline.respond("compare council-2031", datetime(2031, 9, 1, tzinfo=UTC)).messages
    )
    negatives = [
        x for x in out.splitlines() if "Lemurian MoD" in x and ("not in" in x or "Nothing" in x)
    ]
    assert negatives and all("the stored part of Lemurian MoD" in x for x in negatives), negatives


def test_compare_names_every_topic_it_leaves_out(tmp_path: Path) -> None:
    copy = shutil.copytree(TEST_DIGEST, tmp_path / "v1")
    digest = load_digest(copy)
    found = compare.compare(digest, digest.meetings[0], None)
    assert len(found.topics) + len(found.more) == len({c.topic for c in digest.claims})
    assert not set(found.more) & {t.topic for t in found.topics}
