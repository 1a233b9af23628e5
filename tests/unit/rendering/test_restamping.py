"""RestampingCache (bot/rendering/restamping.py) on its own: today's answers, restamped for each
minute, bounded by their estimated bytes, dropped when the day or digest moves on.
(tests/test_pipeline_cache.py checks that a restamped answer is the fresh render.)"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.rendering.labels import minute_marks
from bot.rendering.rendered import Rendered
from bot.rendering.restamping import LARGEST_SHARE, RestampingCache, weight

ZONES = ("UTC",)
NOON = datetime(2021, 7, 29, 12, 0, tzinfo=UTC)
DAY = ("v1", (date(2021, 7, 29),))
NEXT_DAY = ("v1", (date(2021, 7, 30),))


def answer(minute: datetime, size: int = 0) -> Rendered:
    """A one-page answer stamped with `minute`'s marks (and `size` more characters)."""
    marks = " | ".join(minute_marks(minute, ZONES))
    return Rendered((f'{{"text": "as of {marks}{"x" * size}", "blocks": []}}',), False, minute)


def test_a_kept_answer_is_given_back_restamped_for_a_later_minute() -> None:
    cache = RestampingCache(1_000_000)
    cache.put(DAY, "brief", answer(NOON), ZONES, 0)
    later = NOON + timedelta(minutes=7)
    assert cache.get("brief", NOON, ZONES) == answer(NOON)
    assert cache.get("brief", later, ZONES) == answer(later)
    assert cache.get("upcoming", NOON, ZONES) is None


def test_it_is_bounded_by_estimated_bytes_and_drops_the_least_recently_used() -> None:
    one = weight(answer(NOON, 1000), 0)
    cache = RestampingCache(one * LARGEST_SHARE)  # room for LARGEST_SHARE such answers
    room = LARGEST_SHARE
    for n in range(room):
        cache.put(DAY, n, answer(NOON, 1000), ZONES, 0)
    assert cache.get(0, NOON, ZONES) is not None  # 0 is now the most recently used
    cache.put(DAY, "one more", answer(NOON, 1000), ZONES, 0)
    entries, held = cache.usage()
    assert entries == room and held <= cache.max_bytes
    assert cache.get(0, NOON, ZONES) is not None and cache.get(1, NOON, ZONES) is None


def test_an_answer_bigger_than_its_share_of_the_budget_is_not_kept() -> None:
    cache = RestampingCache(weight(answer(NOON, 100), 0) * LARGEST_SHARE - 1)
    cache.put(DAY, "big", answer(NOON, 100), ZONES, 0)
    assert cache.usage() == (0, 0)


def test_the_key_s_own_bytes_count() -> None:
    assert weight(answer(NOON), 40_000) - weight(answer(NOON), 0) == 80_000


def test_a_new_day_drops_every_older_answer_and_a_late_one_is_not_kept() -> None:
    cache = RestampingCache(1_000_000)
    cache.put(DAY, "brief", answer(NOON), ZONES, 0)
    cache.put(DAY, "upcoming", answer(NOON), ZONES, 0)
    tomorrow = NOON + timedelta(days=1)
    cache.put(NEXT_DAY, "brief", answer(tomorrow), ZONES, 0)
    assert cache.usage()[0] == 1 and cache.get("upcoming", tomorrow, ZONES) is None
    cache.put(DAY, "sources", answer(NOON), ZONES, 0)  # a late request for yesterday
    assert cache.usage()[0] == 1


def test_a_new_digest_drops_the_old_digest_s_answers() -> None:
    cache = RestampingCache(1_000_000)
    cache.put(DAY, ("v1", "brief"), answer(NOON), ZONES, 0)
    cache.put(("v2", DAY[1]), ("v2", "brief"), answer(NOON), ZONES, 0)
    assert cache.usage()[0] == 1


def test_an_empty_budget_is_off() -> None:
    assert not RestampingCache(0) and RestampingCache(1)
