"""The knowledge model of claims, on a two-meeting digest written for these tests: voices,
statuses, time precision, supersession, labels, compare, sources per meeting, coverage."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import Clock
from bot.knowledge.coverage import coverage, sentences
from bot.knowledge.dates import Precision, parse_when
from bot.knowledge.digest import Digest
from bot.knowledge.errors import DigestError, Problem
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.knowledge.model import Voice
from bot.pipeline import Pipeline
from bot.queries import calendar, compare, lookup
from bot.queries.briefing import brief
from bot.reminders.plan import Subscription, plan_channel
from bot.rendering.renderer import Renderer
from bot.rendering.terminal import to_terminal
from bot.services import Services
from bot.settings import DEFAULT_TEMPLATES_DIR, Settings
from bot.slack.app import create_app
from testkit.fakeslack import block_kit_problems
from tests.conftest import TEST_DIGEST, TWO_MEETINGS, send

UTC_ZONE = ZoneInfo("UTC")
BETWEEN = datetime(2031, 9, 1, tzinfo=UTC)  # after meeting 1, before meeting 2
AFTER = datetime(2032, 9, 1, tzinfo=UTC)  # after meeting 2


@pytest.fixture(scope="module")
def two() -> Digest:
    return load_digest(TWO_MEETINGS)


@pytest.fixture(scope="module")
def pipeline(two: Digest) -> Pipeline:
    return Pipeline(DigestHolder(two), Renderer(DEFAULT_TEMPLATES_DIR), UTC_ZONE)


def claim(digest: Digest, claim_id: str) -> object:
    (found,) = [c for c in digest.claims if c.id == claim_id]
    return found


def ask(pipeline: Pipeline, text: str, now: datetime) -> str:
    return to_terminal(pipeline.respond(text, now).messages)


# --- voices ----------------------------------------------------------------------------------


def test_each_claim_has_one_reporting_document_and_a_voice(two: Digest) -> None:
    assert all(len({c.doc for c in x.citations}) == 1 for x in two.claims)
    voices = {c.id: c.voice for c in two.claims}
    assert voices["joint-patrols-continue"] is Voice.JOINT
    assert voices["open-navigation"] is Voice.ACCOUNT  # Lemuria's account of a joint position
    assert voices["lemuria-patrols-backbone"] is Voice.SPEECH
    assert voices["fisheries-centre-not-discussed"] is Voice.THIRD_PARTY


def test_voices_are_derived_from_the_document_when_not_given(tmp_path: Path) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(TWO_MEETINGS, copy)
    meetings = copy / "meetings.yaml"
    meetings.write_text(meetings.read_text().replace("        voice: account\n", ""))
    derived = {c.id: c.voice for c in load_digest(copy).claims}
    assert derived["open-navigation"] is Voice.ACCOUNT
    assert derived["navigation-warnings-study"] is Voice.ACCOUNT


def test_a_participants_account_of_a_joint_position_is_said_so_everywhere(
    pipeline: Pipeline,
) -> None:
    lead = (
        "_Lemuria’s account (Lemurian MoD, 13 Jun 2031 (partial copy)) reports of the "
        "participants:_"
    )
    for text in (
        "brief council-2031",
        "positions defence-council",
        "compare navigation council-2031",
    ):
        out = ask(pipeline, text, BETWEEN)
        assert f"{lead} All the ministers stressed" in out, (text, out)


def test_reported_speech_names_speaker_actor_and_document(pipeline: Pipeline) -> None:
    out = ask(pipeline, "positions lemuria", BETWEEN)
    assert (
        "_Ila Varen, Defence Minister of Lemuria (Lemuria) said, as Lemurian MoD, 13 Jun 2031 "
        "(partial copy) reports:_ Lemuria regards the joint patrols" in out
    )


def test_a_third_partys_report_is_labelled_and_not_dated_beyond_its_source(
    pipeline: Pipeline,
) -> None:
    out = ask(pipeline, "positions mu", AFTER)
    assert "_Oceanic Wire, 26 Aug 2032 reports, citing Sefa Rinn, Mu's minister:_" in out
    assert "not said at the meeting; date not given in the sources" in out
    assert "Not said at the meeting: the sources give no date or place for it" in out


# --- statuses and time -----------------------------------------------------------------------


def test_statuses_keep_the_sources_word(two: Digest) -> None:
    statuses = {c.id: c.status for c in two.claims}
    assert statuses["hyperborea-maritime-rescue-proposal"] == "proposed"
    assert statuses["naval-review-postponed"] == "postponed"
    assert statuses["officer-exchanges-2031-2032"] == "approved"
    assert statuses["inner-sea-situation"] is None  # a statement: no status invented


@pytest.mark.parametrize(
    ("value", "precision", "first", "last", "label"),
    [
        ("2032-08-24/2032-08-25", Precision.RANGE, date(2032, 8, 24), date(2032, 8, 25),
         "24–25 August 2032"),
        ("2031-Q3", Precision.QUARTER, date(2031, 7, 1), date(2031, 9, 30),
         "third quarter of 2031"),
        ("2032-autumn", Precision.SEASON, date(2032, 9, 1), date(2032, 11, 30), "autumn 2032"),
        ("2032-fall", Precision.SEASON, date(2032, 9, 1), date(2032, 11, 30), "autumn 2032"),
        ("2032-winter", Precision.SEASON, date(2032, 12, 1), date(2033, 2, 28), "winter 2032–33"),
        ("unknown", Precision.UNKNOWN, None, None, "date not given in the sources"),
    ],
)  # fmt: skip
def test_dates_at_every_precision(
    value: str, precision: Precision, first: date | None, last: date | None, label: str
) -> None:
    from bot.rendering.labels import when_label

    when = parse_when(value)
    assert (when.precision, when.first, when.last) == (precision, first, last)
    assert when_label(when) == label
    assert parse_when(when.iso()) == when


def test_talks_carry_their_own_date(pipeline: Pipeline) -> None:
    out = ask(pipeline, "brief council-2032", AFTER)
    assert "held talks with Hyperborea on 23 August 2032 on coastal surveillance" in out


# --- supersession ----------------------------------------------------------------------------


def test_a_placeholder_stands_until_its_successor_is_reported(two: Digest) -> None:
    before = [d.event.id for d in calendar.upcoming(two.as_of(BETWEEN), BETWEEN, UTC_ZONE).ahead]
    assert "council-2032-lemuria" in before and "council-2032-meeting" not in before
    after_report = datetime(2032, 8, 25, 12, tzinfo=UTC)
    ahead = calendar.upcoming(two.as_of(after_report), after_report, UTC_ZONE).ahead
    ids = [d.event.id for d in ahead]
    assert "council-2032-lemuria" not in ids  # one event, never both
    rescue = next(d for d in ahead if d.event.id == "maritime-rescue-exercise-2032-agreed")
    assert rescue.replaces is not None and rescue.replaces.id == "maritime-rescue-exercise-2032"


def test_the_brief_says_what_became_of_a_placeholder(pipeline: Pipeline) -> None:
    out = ask(pipeline, "brief council-2031", AFTER)
    assert (
        "*Next meeting of the Defence Council* — 2032 (day not given), Lemuria — _agreed_ — "
        "*superseded*" in out
    )
    assert (
        "↳ became: *2032 meeting of the Defence Council* — 24–25 August 2032, Lemuria City, "
        "Lemuria — _held_ — *ended 7 days ago*" in out
    )
    assert "expected 2032" not in out


def test_no_reminder_for_a_meeting_day_no_published_document_gives(two: Digest) -> None:
    # As of 1 June 2032 only the 2031 documents are out: the 2032 meeting's days (24-25 August,
    # reported on the 25th) are unknown, and its placeholder is dated by the year only.
    sub = Subscription("C1", leads=(1,), at=time(9))
    plan = plan_channel(two, sub, datetime(2032, 6, 1, tzinfo=UTC))
    assert {r.event_id for r in plan.due} == set()
    assert "council-2032-lemuria" in {u.event.id for u in plan.unscheduled}


def test_the_default_brief_is_the_latest_meeting_held_as_of_now(two: Digest) -> None:
    assert lookup.find_meeting(two, None, BETWEEN).id == "council-2031-poseidonis"
    assert lookup.find_meeting(two, None, AFTER).id == "council-2032-lemuria-city"
    day_before = datetime(2032, 8, 23, 23, tzinfo=UTC)
    assert lookup.find_meeting(two, None, day_before).id == "council-2031-poseidonis"


def test_an_event_does_not_exist_before_the_source_that_reports_it(two: Digest) -> None:
    earlier = datetime(2031, 6, 1, tzinfo=UTC)
    dated = {d.event.id: d for d in calendar.timed_events(two.as_of(earlier), earlier, UTC_ZONE)}
    assert "council-2032-lemuria" not in dated
    later = {d.event.id: d for d in calendar.timed_events(two.as_of(BETWEEN), BETWEEN, UTC_ZONE)}
    assert later["council-2032-lemuria"].status == "agreed"


# --- sources ----------------------------------------------------------------------------------


def test_labels_stay_unique_with_publisher_and_date(two: Digest) -> None:
    labels = [d.citation_label for d in two.documents]
    assert len(labels) == len(set(labels))
    assert "Council Secretariat, 12 Jun 2031" in labels
    assert "Council Secretariat, 25 Aug 2032" in labels


def test_sources_for_one_meeting_and_partial_copies(pipeline: Pipeline) -> None:
    out = ask(pipeline, "sources council-2031", AFTER)
    assert "Cited as “Lemurian MoD, 13 Jun 2031 (partial copy)”" in out
    assert "the stored text is a partial copy" in out
    assert "Oceanic Wire" not in out  # a 2032 document
    assert "Oceanic Wire" in ask(pipeline, "sources", AFTER)


def test_a_label_clash_is_a_located_problem(tmp_path: Path) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(TWO_MEETINGS, copy)
    index = copy / "sources" / "index.yaml"
    index.write_text(index.read_text().replace("published: 2032-08-25", "published: 2031-06-12"))
    with pytest.raises(DigestError) as caught:
        load_digest(copy)
    assert any(
        "label 'Council Secretariat, 12 Jun 2031' also names" in str(p)
        for p in caught.value.problems
    )


# --- compare -----------------------------------------------------------------------------------


def test_compare_puts_each_account_side_by_side_and_says_what_each_leaves_out(two: Digest) -> None:
    meeting = lookup.find_meeting(two, "council-2031", BETWEEN)
    found = compare.compare(two, meeting, "navigation")
    topics = {t.topic: t for t in found.topics}
    safety = topics["Maritime safety"]
    by_doc = {s.document.id: s for s in safety.sides}
    assert set(by_doc) == {"council-2031-06-12", "lemuria-mod-2031-06-13"}
    assert [c.id for c in by_doc["lemuria-mod-2031-06-13"].claims] == ["navigation-warnings-study"]
    assert "meteorology" in by_doc["lemuria-mod-2031-06-13"].leaves_out
    assert "meteorology" not in by_doc["council-2031-06-12"].leaves_out


def test_compare_of_a_topic_nothing_matches_says_so(pipeline: Pipeline) -> None:
    out = ask(pipeline, "compare volcanoes council-2031", AFTER)
    assert "No claim of this meeting matches “volcanoes”" in out


def test_compare_names_the_documents_silent_on_a_topic(two: Digest) -> None:
    meeting = lookup.find_meeting(two, "council-2031", BETWEEN)
    found = compare.compare(two, meeting, None)
    topics = {t.topic: t for t in found.topics}
    relief = topics["Disaster relief"]
    assert [a.document.id for a in relief.silent] == ["lemuria-mod-2031-06-13"]
    assert "disaster" in relief.checked
    # Lemuria's text speaks of "training exchanges": not silent, though no claim is filed there.
    training = topics["Training"]
    assert training.silent == []
    assert [(u.account.document.id, u.words) for u in training.unfiled] == [
        ("lemuria-mod-2031-06-13", ["training"])
    ]


# --- the brief ----------------------------------------------------------------------------------


def test_the_brief_keeps_voices_apart(two: Digest) -> None:
    meeting = lookup.find_meeting(two, "council-2031", BETWEEN)
    b = brief(two, meeting, BETWEEN, UTC_ZONE)
    assert all(c.voice is Voice.JOINT for g in b.joint for c in g.claims)
    reported = [c for a in b.accounts for g in a.topics for c in g.claims]
    assert {c.id for c in reported} == {"open-navigation", "navigation-warnings-study"}
    assert {s.actor.id for s in b.speakers} == {"hyperborea", "lemuria"}


def test_the_brief_says_when_the_participant_list_is_partial(pipeline: Pipeline) -> None:
    assert "not a complete list" in ask(pipeline, "brief council-2032", AFTER)
    assert "not a complete list" not in ask(pipeline, "brief council-2031", AFTER)


# --- coverage -----------------------------------------------------------------------------------


def test_every_sentence_of_the_test_sources_is_accounted_for(two: Digest) -> None:
    for source in coverage(two, TWO_MEETINGS):
        assert source.uncovered == [], source.doc_id
        assert source.set_aside >= 1  # each has a not_briefed sentence


def test_coverage_finds_an_uncited_sentence(tmp_path: Path) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(TEST_DIGEST, copy)
    digest = load_digest(copy)
    rows = {c.doc_id: c for c in coverage(digest, copy)}
    missing = [s.text for s in rows["sco-secretariat-2021-07-28"].uncovered]
    assert missing == ["They discussed ways of promoting peace, stability and security."]


def test_sentences_split_on_full_stops_and_lines() -> None:
    # Quotation marks are normalised as quotes are, so that quotes match sentences.
    # A real segmenter (sentencex): abbreviations and decimals do not end a sentence; a line
    # (a headline) does.
    text = (
        "Dr. Wong met the U.S. envoy on Jan. 5. It rose 2.5 per cent. “Three!” Four\nA title\nOne"
    )
    assert sentences(text) == [
        "Dr. Wong met the U.S. envoy on Jan. 5.",
        "It rose 2.5 per cent.",
        '"Three!"',
        "Four",
        "A title",
        "One",
    ]


# --- compatibility ------------------------------------------------------------------------------


def test_a_v1_digest_loads_unchanged_and_check_warns_about_merged_accounts() -> None:
    warnings: list[Problem] = []
    digest = load_digest(TEST_DIGEST, warnings=warnings)
    assert digest.meetings[0].chair.actor == "tajikistan"
    merged = [w for w in warnings if "cites 2 documents" in w.message]
    assert {w.message.split()[0] for w in merged} == {"sco-20th-anniversary", "expand-cooperation"}
    # ... and each account of a merged item is its own claim.
    anniversary = [c for c in digest.claims if c.id == "sco-20th-anniversary"]
    assert {c.document.id for c in anniversary} == {
        "sco-secretariat-2021-07-28",
        "chinamil-2021-07-29",
    }


# --- end to end through Slack -----------------------------------------------------------------


def test_compare_and_supersession_through_the_real_app(two: Digest, settings: Settings) -> None:
    services = Services(
        settings, Clock(start=AFTER), DigestHolder(two), Renderer(DEFAULT_TEMPLATES_DIR)
    )
    app = create_app(services=services)
    response = send(app, "compare navigation council-2031")
    assert response.status == 200
    body = json.loads(response.body)
    assert block_kit_problems(body) == []
    text = json.dumps(body, ensure_ascii=False)
    lead = "_Lemuria’s account (Lemurian MoD, 13 Jun 2031 (partial copy)) reports of the "
    assert lead + "participants:_" in text
    upcoming = json.dumps(json.loads(send(app, "upcoming").body), ensure_ascii=False)
    assert "Joint maritime rescue exercise (proposed)” (autumn 2032) became" in upcoming
    assert "Next meeting of the Defence Council* — 2032" not in upcoming
