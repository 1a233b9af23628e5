"""Pure queries: now is an argument, judged in each event's own timezone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.knowledge.dates import parse_when
from bot.knowledge.digest import Digest
from bot.queries import briefing, calendar, lookup
from bot.queries import positions as positions_q
from bot.queries.calendar import Phase

UTC_ZONE = ZoneInfo("UTC")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def titles(items: list[calendar.Dated]) -> list[str]:
    return [d.event.id for d in items]


def test_upcoming_the_day_after_the_meeting(digest: Digest) -> None:
    found = calendar.upcoming(digest, at("2021-07-29T09:00+00:00"), UTC_ZONE)
    assert titles(found.ahead) == [
        "peace-mission-2021",
        "west-2021",
        "fanfares-of-peace-2021",
        "sco-defmin-2022-uzbekistan",
    ]
    festival = found.ahead[2]
    assert festival.timing == calendar.Timing(Phase.UPCOMING, 81)
    assert found.ahead[0].timing.phase is Phase.EXPECTED
    assert found.ahead[3].timing.phase is Phase.UPCOMING
    assert found.recent == []


@pytest.mark.parametrize(
    ("now", "status", "days"),
    [
        ("2021-10-17T18:59+00:00", Phase.UPCOMING, 1),  # 23:59 in Karachi, the eve
        ("2021-10-17T19:00+00:00", Phase.ONGOING, 5),  # midnight in Karachi: day one
        ("2021-10-23T18:59+00:00", Phase.ONGOING, 0),  # last day, 23:59 local
        ("2021-10-23T19:00+00:00", Phase.PAST, 1),
    ],
)
def test_festival_boundaries_are_local_to_pakistan(
    digest: Digest, now: str, status: Phase, days: int
) -> None:
    events = {d.event.id: d for d in calendar.timed_events(digest, at(now), UTC_ZONE)}
    assert events["fanfares-of-peace-2021"].timing == calendar.Timing(status, days)


def test_nothing_upcoming_today_shows_recent_past(digest: Digest) -> None:
    found = calendar.upcoming(digest, at("2026-11-23T12:00+00:00"), UTC_ZONE)
    assert found.ahead == []
    assert titles(found.recent)[0] == "sco-defmin-2022-uzbekistan"
    assert len(found.recent) == 5
    assert all(d.timing.phase is Phase.PAST for d in found.recent)


def test_timing_of_each_precision() -> None:
    now = at("2021-07-29T12:00+00:00")
    assert calendar.timing(parse_when("2021"), UTC_ZONE, now).phase is Phase.EXPECTED
    assert calendar.timing(parse_when("2021-08"), UTC_ZONE, now) == calendar.Timing(
        Phase.UPCOMING, 3
    )
    assert calendar.timing(parse_when("unknown"), UTC_ZONE, now).phase is Phase.UNDATED
    assert calendar.timing(parse_when("2021-07-29"), UTC_ZONE, now) == calendar.Timing(
        Phase.ONGOING, 0
    )


def test_latest_meeting_by_default_and_by_id(digest: Digest) -> None:
    now = at("2021-08-01T00:00+00:00")
    assert lookup.find_meeting(digest, None, now).id == "sco-defmin-2021-dushanbe"
    assert lookup.find_meeting(digest, "sco-defmin-2021", now).id == "sco-defmin-2021-dushanbe"
    with pytest.raises(lookup.NotFound) as missing:
        lookup.find_meeting(digest, "sco-defmin-2021-dushanbee", now)
    assert missing.value.suggestions == ["sco-defmin-2021-dushanbe"]


@pytest.mark.parametrize(
    "name", ["china", "CHINA", "PRC", "Chinese", "People’s Republic of China", "  wei   fenghe "]
)
def test_actor_aliases_case_insensitive(digest: Digest, name: str) -> None:
    assert lookup.find_actor(digest, name).id == "china"


def test_unknown_actor_suggests_closest(digest: Digest) -> None:
    with pytest.raises(lookup.NotFound) as missing:
        lookup.find_actor(digest, "chna")
    assert missing.value.suggestions[0] == "china"
    assert "russia" in missing.value.known


def test_positions_grouped_by_topic(digest: Digest) -> None:
    china = positions_q.positions(digest, lookup.find_actor(digest, "china"))
    topics = [g.topic for g in china.topics]
    assert "Afghanistan and counter-terrorism" in topics
    assert "China's core interests" in topics
    assert all(
        not s.joint and "Wei Fenghe" in (s.speaker or "") for g in china.topics for s in g.claims
    )
    joint = positions_q.positions(digest, lookup.find_actor(digest, "ministers"))
    # An outcome citing two documents is two claims (one per account), never one merged claim.
    ids = {s.id for g in joint.topics for s in g.claims}
    assert ids == {o.id for o in digest.meetings[0].outcomes}
    assert all(s.joint for g in joint.topics for s in g.claims)
    assert all(len({c.doc for c in s.citations}) == 1 for g in joint.topics for s in g.claims)


def test_brief_keeps_joint_outcomes_apart_from_china(digest: Digest) -> None:
    b = briefing.brief(digest, digest.meetings[0], at("2021-07-29T00:00+00:00"), UTC_ZONE)
    assert b.chair.id == "tajikistan"
    assert [d.event.id for d in b.referred][-1] == "sco-defmin-2022-uzbekistan"
    assert "sco-defmin-2021-dushanbe-meeting" not in [d.event.id for d in b.referred]
    assert [d.id for d in b.documents] == ["sco-secretariat-2021-07-28", "chinamil-2021-07-29"]
    assert b.talks[0][1].id == "china" and len(b.talks[0][2]) == 5
