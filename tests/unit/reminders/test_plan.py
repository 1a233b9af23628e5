"""The reminder plan is a pure function of the digest, the subscriptions and now."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest

from bot.knowledge.digest import Digest, build_digest
from bot.reminders.plan import (
    LeadError,
    Subscription,
    Why,
    parse_leads,
    parse_time_of_day,
    plan,
    plan_channel,
)

REHEARSAL = datetime(2021, 10, 1, 12, 0, tzinfo=UTC)


def local(reminder_time: datetime, zone: str) -> str:
    from zoneinfo import ZoneInfo

    return reminder_time.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def test_rehearsal_schedules_the_festival_at_09_00_local(digest: Digest) -> None:
    sub = Subscription("C1", timezone="Asia/Karachi")
    due = plan_channel(digest, sub, REHEARSAL).due
    assert [(r.event_id, r.lead_days, local(r.post_at, "Asia/Karachi")) for r in due] == [
        ("fanfares-of-peace-2021", 7, "2021-10-11 09:00 PKT"),
        ("fanfares-of-peace-2021", 1, "2021-10-17 09:00 PKT"),
    ]


def test_year_only_events_get_no_reminder_and_are_reported(digest: Digest) -> None:
    result = plan_channel(digest, Subscription("C1"), REHEARSAL)
    no_day = {u.event.id for u in result.unscheduled if u.why is Why.NO_DAY}
    assert "sco-defmin-2022-uzbekistan" in no_day
    assert all(r.event_id == "fanfares-of-peace-2021" for r in result.due)


def test_a_reminder_whose_time_has_passed_is_not_scheduled(digest: Digest) -> None:
    now = datetime(2021, 10, 12, 0, 0, tzinfo=UTC)
    result = plan_channel(digest, Subscription("C1", leads=(7, 1)), now)
    assert [r.lead_days for r in result.due] == [1]
    assert [(u.lead_days, u.why) for u in result.unscheduled if u.lead_days is not None] == [
        (7, Why.PAST)
    ]


def published_on(digest: Digest, day: date) -> Digest:
    """The digest as if every document had been published on `day`."""
    documents = tuple(replace(d, published=day) for d in digest.documents)
    return build_digest(documents, digest.actors, digest.meetings, digest.version, digest.texts)


def test_beyond_120_days_waits_for_the_window(digest: Digest) -> None:
    festival = "fanfares-of-peace-2021"
    digest = published_on(digest, date(2021, 5, 1))  # known well before the window opens
    early = datetime(2021, 6, 1, tzinfo=UTC)  # 17 October is 138 days ahead
    result = plan_channel(digest, Subscription("C1", leads=(1,)), early)
    assert festival not in [r.event_id for r in result.due]
    assert [u.why for u in result.unscheduled if u.event.id == festival] == [Why.LATER]
    inside = datetime(2021, 6, 20, tzinfo=UTC)  # 119 days ahead
    due = plan_channel(digest, Subscription("C1", leads=(1,)), inside).due
    assert festival in [r.event_id for r in due]


def test_nothing_is_planned_for_an_event_before_its_document_is_published(
    digest: Digest,
) -> None:
    # The festival is known from the release of 28 July 2021: on 20 July it does not exist.
    before = plan_channel(
        digest, Subscription("C1", leads=(7, 1)), datetime(2021, 7, 20, tzinfo=UTC)
    )
    assert before.due == [] and before.unscheduled == []
    after = plan_channel(
        digest, Subscription("C1", leads=(7, 1)), datetime(2021, 7, 28, tzinfo=UTC)
    )
    assert "fanfares-of-peace-2021" in {r.event_id for r in after.due}


def test_over_events_are_not_reported(digest: Digest) -> None:
    result = plan_channel(digest, Subscription("C1"), datetime(2026, 11, 23, tzinfo=UTC))
    assert result.due == []
    assert not [u for u in result.unscheduled if u.event.id == "fanfares-of-peace-2021"]


@pytest.mark.parametrize(
    ("zone", "at", "expected"),
    [
        # Europe/Berlin is on summer time (UTC+2) until 31 October 2021.
        ("Europe/Berlin", time(9, 0), "2021-10-11 07:00 UTC"),
        # New York is on EDT (UTC-4) in October.
        ("America/New_York", time(9, 0), "2021-10-11 13:00 UTC"),
    ],
)
def test_local_time_is_dst_correct(digest: Digest, zone: str, at: time, expected: str) -> None:
    due = plan_channel(digest, Subscription("C1", leads=(7,), at=at, timezone=zone), REHEARSAL).due
    assert local(due[0].post_at, "UTC") == expected


def test_dst_transition_between_the_two_reminders(digest: Digest) -> None:
    # Pacific/Auckland entered daylight saving (NZST UTC+12 → NZDT UTC+13) on 26 September 2021:
    # both reminders post at 09:00 local, an hour apart in UTC.
    sub = Subscription("C1", leads=(30, 7), at=time(9, 0), timezone="Pacific/Auckland")
    due = plan_channel(digest, sub, datetime(2021, 9, 1, tzinfo=UTC)).due
    times = {r.lead_days: local(r.post_at, "Pacific/Auckland") for r in due}
    assert times == {30: "2021-09-18 09:00 NZST", 7: "2021-10-11 09:00 NZDT"}
    utc = {r.lead_days: r.post_at.strftime("%H:%M") for r in due}
    assert utc == {30: "21:00", 7: "20:00"}


def test_a_wall_time_skipped_by_dst_still_posts_once(digest: Digest) -> None:
    # On 26 September 2021 Auckland clocks jumped from 02:00 to 03:00: 02:30 does not exist.
    sub = Subscription("C1", leads=(22,), at=time(2, 30), timezone="Pacific/Auckland")
    (reminder,) = plan_channel(digest, sub, datetime(2021, 9, 1, tzinfo=UTC)).due
    assert local(reminder.post_at, "Pacific/Auckland") == "2021-09-26 03:30 NZDT"


def test_broken_subscriptions_plan_nothing(digest: Digest) -> None:
    subs = [Subscription("C1"), Subscription("C2", broken="not_in_channel")]
    assert {r.channel_id for r in plan(digest, subs, REHEARSAL)} == {"C1"}


def test_parse_leads_and_time() -> None:
    assert parse_leads(["1d", "7d", "0d", "1d"]) == (7, 1, 0)
    assert parse_leads(["2w"]) == (14,)
    assert parse_time_of_day("8:30") == time(8, 30)
    for bad in (["7"], ["-1d"], ["999d"], ["<!channel>"]):
        with pytest.raises(LeadError):
            parse_leads(bad)
    with pytest.raises(LeadError):
        parse_time_of_day("25:00")
