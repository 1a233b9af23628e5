"""What's new between two views of the digest, for what a channel follows: a pure function of
the views (tests/digests/third-meeting: its documents come out over four days)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.knowledge.digest import Digest
from bot.knowledge.loader import load_digest
from bot.queries.news import Follow, News, whats_new
from tests.conftest import three_meetings

UTC_ZONE = ZoneInfo("UTC")
BEFORE_RELAY = datetime(2033, 5, 10, 17, tzinfo=UTC)
AFTER_RELAY = datetime(2033, 5, 10, 19, tzinfo=UTC)
DAY_12 = datetime(2033, 5, 12, tzinfo=UTC)
DAY_13 = datetime(2033, 5, 13, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Digest:
    return load_digest(three_meetings(tmp_path_factory.mktemp("news") / "three"))


def news(three: Digest, old: datetime, new: datetime, follow: Follow) -> News:
    return whats_new(three.as_of(old), three.as_of(new), follow, new, UTC_ZONE)


def test_a_new_meeting_and_what_its_own_event_became(three: Digest) -> None:
    found = news(three, BEFORE_RELAY, AFTER_RELAY, Follow(everything=True))
    assert [b.meeting.id for b in found.meetings] == ["council-2033-rinnhaven"]
    became = [n for n in found.events if n.replaces is not None]
    assert [(n.replaces.id, n.event.id) for n in became if n.replaces] == [
        ("council-2033-mu", "council-2033-meeting")
    ]
    assert found.claims == []  # the new meeting's claims are the meeting's news


def test_an_update_and_a_new_statement_of_a_known_meeting(three: Digest) -> None:
    found = news(three, DAY_12, DAY_13, Follow(everything=True))
    assert found.meetings == []
    (regatta,) = found.events
    assert regatta.event.id == "cadet-regatta-2033" and regatta.was is not None
    assert (regatta.was.status, regatta.event.status) == (None, "cancelled")
    assert [c.id for c in found.claims] == ["mu-undersea-cables"]


def test_only_what_a_channel_follows(three: Digest) -> None:
    mu = news(three, DAY_12, DAY_13, Follow(actors=frozenset({"mu"})))
    assert [c.id for c in mu.claims] == ["mu-undersea-cables"] and mu.events == []
    sailing = news(three, DAY_12, DAY_13, Follow(topics=("sailing",)))
    assert [n.event.id for n in sailing.events] == ["cadet-regatta-2033"] and not sailing.claims
    assert news(three, DAY_12, DAY_13, Follow(actors=frozenset({"lemuria"}))).empty
    assert news(three, DAY_12, DAY_13, Follow()).empty
    # A followed actor's new meeting: Hyperborea took part in the 2033 meeting.
    assert news(three, BEFORE_RELAY, DAY_13, Follow(actors=frozenset({"hyperborea"}))).meetings


def test_nothing_new_when_the_views_are_the_same(three: Digest) -> None:
    assert news(three, DAY_13, datetime(2033, 6, 1, tzinfo=UTC), Follow(everything=True)).empty
