"""Truth as of a time: every reply, reminder and search sees only what the documents published
by its "now" say (Digest.as_of). Run on the v1 test digest and on the fictional two-meeting
digest with a third meeting appended (tests/digests/third-meeting: five documents published on
four days, a relay hours before the communique it relays, a word-for-word copy, an update that
cancels an event, a background event, an inferred date, talks that were only pleasantries)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.knowledge.digest import Digest, build_digest
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.knowledge.model import Voice
from bot.pipeline import Pipeline
from bot.queries import calendar
from bot.reminders.plan import Subscription, plan_channel
from bot.rendering.renderer import Renderer
from bot.rendering.terminal import to_terminal
from bot.settings import DEFAULT_TEMPLATES_DIR
from bot.slack.replies import SlackViews
from tests.conftest import TEST_DIGEST, three_meetings

UTC_ZONE = ZoneInfo("UTC")
RELAY_OUT = datetime(2033, 5, 10, 18, 0, tzinfo=UTC)  # Oceanic Wire relays the communique
COMMUNIQUE_OUT = datetime(2033, 5, 11, tzinfo=UTC)


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Digest:
    return load_digest(three_meetings(tmp_path_factory.mktemp("digest") / "three"))


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(DEFAULT_TEMPLATES_DIR)


def reply(digest: Digest, renderer: Renderer, text: str, now: datetime) -> str:
    pipeline = Pipeline(DigestHolder(digest), renderer, UTC_ZONE, cache_bytes=0)
    return to_terminal(pipeline.respond(text, now).messages)


# --- one view, every surface -----------------------------------------------------------------


def test_before_its_first_document_a_meeting_is_unknown(renderer: Renderer) -> None:
    v1 = load_digest(TEST_DIGEST)
    before = datetime(2021, 7, 20, tzinfo=UTC)
    brief = reply(v1, renderer, "brief", before)
    assert "knows no meeting" in brief and "Dushanbe" not in brief
    assert "Wei Fenghe" not in reply(v1, renderer, "positions china", before)
    upcoming = reply(v1, renderer, "upcoming", datetime(2021, 7, 1, tzinfo=UTC))
    assert "knows no dated event" in upcoming and "Uzbekistan" not in upcoming
    assert "Secretariat" not in reply(v1, renderer, "sources", before)
    assert "Nothing in the digest matches" in reply(v1, renderer, "ask afghanistan", before)


def test_on_the_day_of_the_release_only_the_release_is_cited(renderer: Renderer) -> None:
    v1 = load_digest(TEST_DIGEST)
    day = datetime(2021, 7, 28, 12, tzinfo=UTC)  # China's report is dated 29 July
    for text in ("brief", "compare", "positions china", "upcoming", "sources", "ask terrorism"):
        out = reply(v1, renderer, text, day)
        assert "China Military Online" not in out, text
    assert "SCO Secretariat, 28 Jul 2021" in reply(v1, renderer, "brief", day)


def test_the_day_after_a_meeting_cites_nothing_published_later(
    three: Digest, renderer: Renderer
) -> None:
    # The 2032 communique is dated 25 August, the news agency's report 26 August.
    day_after = datetime(2032, 8, 25, 12, tzinfo=UTC)
    for text in ("brief", "compare", "positions atlantis", "positions mu", "upcoming"):
        out = reply(three, renderer, text, day_after)
        assert "Oceanic Wire, 26 Aug 2032" not in out, text
    assert "Council Secretariat, 25 Aug 2032" in reply(three, renderer, "brief", day_after)


def test_three_weeks_before_a_meeting_only_its_placeholder_is_known(
    three: Digest, renderer: Renderer
) -> None:
    before = datetime(2033, 4, 20, tzinfo=UTC)
    out = reply(three, renderer, "upcoming", before)
    assert "*Next meeting of the Defence Council* — 2033 (day not given), Mu — _agreed_" in out
    for later in ("Rinnhaven", "regatta", "liaison", "2034"):
        assert later not in out
    view = three.as_of(before)
    ids = {d.event.id for d in calendar.upcoming(view, before, UTC_ZONE).ahead}
    assert ids == {"council-2033-mu"}
    plan = plan_channel(three, Subscription("C1", leads=(7, 1), at=time(9)), before)
    assert plan.due == []


def test_a_document_dated_with_its_hour_counts_from_that_hour(three: Digest) -> None:
    assert not [m for m in three.as_of(RELAY_OUT - timedelta(minutes=1)).meetings if "2033" in m.id]
    known = [m.id for m in three.as_of(RELAY_OUT).meetings]
    assert "council-2033-rinnhaven" in known


def test_the_view_is_the_whole_digest_once_everything_is_published(three: Digest) -> None:
    assert three.as_of(datetime(2040, 1, 1, tzinfo=UTC)) is three
    view = three.as_of(COMMUNIQUE_OUT)
    assert view is three.as_of(COMMUNIQUE_OUT + timedelta(hours=5))  # one view per cutoff
    assert view.view_id != three.view_id and view.version == three.version


# --- relays, copies, updates, background, inferred dates, pleasantries -----------------------


def test_a_relay_speaks_the_joint_release_until_the_release_itself_is_out(
    three: Digest, renderer: Renderer
) -> None:
    relayed = reply(three, renderer, "brief", RELAY_OUT + timedelta(hours=2))
    joint = relayed.split("*What the participants agreed or said jointly*")[1]
    assert "joint centre for maritime rescue coordination" in joint
    assert "joint release as Oceanic Wire, 10 May 2033 relays it" in joint
    assert "Council Secretariat, 11 May 2033" not in relayed
    later = reply(three, renderer, "brief", COMMUNIQUE_OUT + timedelta(hours=12))
    joint = later.split("*What the participants agreed or said jointly*")[1].split("*Sources*")[0]
    assert joint.count("joint centre for maritime rescue coordination") == 1
    assert "joint release · Council Secretariat, 11 May 2033" in joint
    (claim,) = [c for c in three.claims if c.id == "rescue-centre-relayed"]
    assert claim.voice is Voice.RELAY


def test_a_copy_is_the_same_account_in_compare(three: Digest, renderer: Renderer) -> None:
    out = reply(three, renderer, "compare council-2033", datetime(2033, 5, 14, tzinfo=UTC))
    assert "Council Secretariat, 11 May 2033 (copied word for word by Council archive" in out
    assert "Council archive, 12 May 2033:" not in out  # never a side of its own


def test_an_update_changes_an_event_only_from_its_publication(
    three: Digest, renderer: Renderer
) -> None:
    sub = Subscription("C1", leads=(7,), at=time(9))
    before = datetime(2033, 5, 12, 12, tzinfo=UTC)
    after = datetime(2033, 5, 13, 12, tzinfo=UTC)
    assert "cadet-regatta-2033" in {r.event_id for r in plan_channel(three, sub, before).due}
    assert "cadet-regatta-2033" not in {r.event_id for r in plan_channel(three, sub, after).due}
    line = next(
        x for x in reply(three, renderer, "upcoming", before).splitlines() if "regatta" in x
    )
    assert "cancelled" not in line and "Polar Times" not in line and "in 82 days" in line
    line = next(x for x in reply(three, renderer, "upcoming", after).splitlines() if "regatta" in x)
    assert "_cancelled_" in line and "Polar Times, 13 May 2033" in line and "days" not in line


def test_background_events_inferred_dates_and_pleasantries_are_said_as_such(
    three: Digest, renderer: Renderer
) -> None:
    out = reply(three, renderer, "brief council-2033", datetime(2033, 5, 14, tzinfo=UTC))
    referred, background = out.split("*Events referred to at the meeting*")[1].split(
        "*Other dated events its documents mention*"
    )
    assert "Northern Lights" not in referred and "Northern Lights" in background
    assert "1 July 2033 (inferred from context)" in referred
    assert "Hyperborea (Tor Alvik): an exchange of pleasantries with Mu." in out
    assert "held talks" not in out.split("*Bilateral talks on the sidelines*")[1]
    assert "*Chair:* not given in the sources" in out


def test_the_meeting_itself_is_not_listed_among_the_events_it_referred_to(
    three: Digest, renderer: Renderer
) -> None:
    out = reply(three, renderer, "brief council-2033", datetime(2033, 5, 14, tzinfo=UTC))
    referred = out.split("*Events referred to at the meeting*")[1].split("*Sources*")[0]
    assert "2033 meeting of the Defence Council*" not in referred


def test_participants_complete_only_once_every_attestation_is_out(three: Digest) -> None:
    relay_only = three.as_of(RELAY_OUT)
    meeting = next(m for m in relay_only.meetings if m.id == "council-2033-rinnhaven")
    assert not meeting.participants_complete
    assert {p.actor for p in meeting.participants} == {"atlantis", "lemuria", "mu"}
    whole = next(m for m in three.meetings if m.id == "council-2033-rinnhaven")
    assert whole.participants_complete


# --- nothing cited before it was published, at any instant, on any publication calendar -----

INSTANTS = st.datetimes(
    min_value=datetime(2031, 5, 1), max_value=datetime(2033, 6, 1), timezones=st.just(UTC)
)
COMMANDS = (
    "brief",
    "brief council-2031",
    "brief council-2032",
    "brief council-2033",
    "compare",
    "compare council-2031",
    "positions atlantis",
    "positions lemuria",
    "positions mu",
    "positions hyperborea",
    "positions defence-council",
    "upcoming",
    "sources",
    "ask rescue",
    "ask what was agreed on patrols",
)


def _relabelled(digest: Digest, days: list[int]) -> Digest:
    """The digest with each document published `days[i]` days after 1 June 2031 and labelled
    by its id, so that a citation of it is found by its label alone."""
    documents = tuple(
        replace(d, published=date(2031, 6, 1) + timedelta(days=n), label=f"DOC:{d.id}")
        for d, n in zip(digest.documents, days, strict=True)
    )
    return build_digest(documents, digest.actors, digest.meetings, digest.version, digest.texts)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_reply_cites_a_document_published_after_its_now(
    three: Digest, renderer: Renderer, data: st.DataObject
) -> None:
    days = data.draw(st.lists(st.integers(0, 730), min_size=len(three.documents), max_size=9))
    digest = _relabelled(three, days)
    now = data.draw(INSTANTS)
    unpublished = [d for d in digest.documents if d.published_from > now]
    meetings_unknown = [
        m.title
        for m in digest.meetings
        if all(digest.document(c.doc).published_from > now for c in m.sources)
    ]
    pipeline = Pipeline(DigestHolder(digest), renderer, UTC_ZONE, cache_bytes=0)
    for text in COMMANDS:
        out = to_terminal(pipeline.respond(text, now).messages)
        for doc in unpublished:
            assert f"DOC:{doc.id}" not in out, (text, doc.id, now)
        for title in meetings_unknown:
            assert title not in out, (text, title, now)
    home = str(SlackViews(pipeline).home(now, _caller()))
    assert not [d.id for d in unpublished if f"DOC:{d.id}" in home]
    sub = Subscription("C1", leads=(0, 7), at=time(9))
    for reminder in plan_channel(digest, sub, now).due:
        event = digest.event(reminder.event_id)
        assert any(digest.document(c.doc).published_from <= now for c in event.sources)


def _caller():  # type: ignore[no-untyped-def]
    from bot.commands.situation import Caller

    return Caller("C1", "U1")


# --- the rule for a day ------------------------------------------------------------------------


def test_a_document_dated_by_day_counts_from_midnight_utc(three: Digest) -> None:
    communique = three.document("council-2033-05-11")
    assert communique.published_from == datetime(2033, 5, 11, tzinfo=UTC)
    assert "council-2033-05-11" not in {
        d.id for d in three.as_of(datetime(2033, 5, 10, 23, 59, tzinfo=UTC)).documents
    }
    assert "council-2033-05-11" in {d.id for d in three.as_of(COMMUNIQUE_OUT).documents}


def test_one_view_per_publication_instant(three: Digest) -> None:
    start = datetime(2031, 6, 1, tzinfo=UTC)
    seen = {three.as_of(start + timedelta(hours=n)).view_id for n in range(0, 24 * 800, 6)}
    assert len(seen) == len({d.published_from for d in three.documents}) + 1
