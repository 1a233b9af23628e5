"""The answer cache renders once a day and restamps each minute: a restamped answer must be
exactly what a fresh render at that minute gives, across local midnights in every zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.knowledge.digest import Digest
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.pipeline import Pipeline
from bot.rendering.renderer import Renderer
from bot.settings import DEFAULT_TEMPLATES_DIR
from tests.conftest import TWO_MEETINGS

TEXTS = ["brief", "positions china", "upcoming", "compare", "sources", "help", "frobnicate"]
# Around the festival (Karachi, UTC+5) and the meeting (Dushanbe, UTC+5): local midnights fall
# at 19:00 UTC while UTC's falls at 00:00.
START = datetime(2021, 10, 16, 12, 0, tzinfo=UTC)
minutes = st.integers(min_value=0, max_value=4 * 24 * 60)


def fresh(digest: Digest, renderer: Renderer) -> Pipeline:
    return Pipeline(DigestHolder(digest), renderer, ZoneInfo("Europe/Berlin"))


@settings(max_examples=60, deadline=None)
@given(first=minutes, then=minutes, text=st.sampled_from(TEXTS))
def test_a_restamped_answer_is_the_fresh_render(
    digest: Digest, renderer: Renderer, first: int, then: int, text: str
) -> None:
    cached = fresh(digest, renderer)
    cached.respond(text, START + timedelta(minutes=first))
    at = START + timedelta(minutes=then, seconds=17)
    assert cached.respond(text, at).pages == fresh(digest, renderer).respond(text, at).pages


def test_one_render_a_day_serves_every_minute_of_it(digest: Digest, renderer: Renderer) -> None:
    pipeline = fresh(digest, renderer)
    first = pipeline.respond("upcoming", START)
    later = pipeline.respond("upcoming", START + timedelta(minutes=30))
    assert later is not first and later.pages != first.pages  # the stamp moved on
    assert pipeline.cache_usage()[0] == 1  # ... from the one entry rendered at START
    assert "16 October 2021 14:30 CEST" in later.pages[0]


@pytest.mark.parametrize("text", ["brief", "upcoming", "compare"])
def test_restamping_holds_on_a_digest_with_seasons_and_supersession(text: str) -> None:
    two = load_digest(TWO_MEETINGS)
    renderer = Renderer(DEFAULT_TEMPLATES_DIR)
    start = datetime(2032, 8, 24, 18, 0, tzinfo=UTC)
    cached = fresh(two, renderer)
    for step in range(0, 48 * 60, 97):
        at = start + timedelta(minutes=step)
        assert cached.respond(text, at).pages == fresh(two, renderer).respond(text, at).pages


def test_with_the_answer_cache_off_every_answer_is_rendered_in_full(
    digest: Digest, renderer: Renderer
) -> None:
    off = Pipeline(DigestHolder(digest), renderer, ZoneInfo("Europe/Berlin"), cache_bytes=0)
    for step in (0, 0, 1, 90):
        at = START + timedelta(minutes=step)
        assert off.respond("brief", at).pages == fresh(digest, renderer).respond("brief", at).pages
    assert off.cache_usage() == (0, 0)


def test_the_answer_cache_is_sized_by_its_setting() -> None:
    from bot.settings import SettingsError, load_settings

    assert load_settings({"SCO_ANSWER_CACHE_MB": "0"}).answer_cache_mb == 0
    assert load_settings({}).answer_cache_mb == 16
    with pytest.raises(SettingsError, match="SCO_ANSWER_CACHE_MB"):
        load_settings({"SCO_ANSWER_CACHE_MB": "lots"})


def test_a_page_cut_at_its_marks_fills_in_another_minutes_marks() -> None:
    from bot.rendering.stamps import Stamped

    page = "as of <!date^100^{t}|1 May 10:00 UTC> (1 May 12:00 CEST); 1 May 10:00 UTC again"
    cut = Stamped.cut(page, ["<!date^100^", "1 May 10:00 UTC", "1 May 12:00 CEST", "absent"])
    filled = cut.fill(["<!date^160^", "1 May 10:01 UTC", "1 May 12:01 CEST", "-"])
    assert filled == (
        "as of <!date^160^{t}|1 May 10:01 UTC> (1 May 12:01 CEST); 1 May 10:01 UTC again"
    )
    assert Stamped.cut("no stamp", ["<!date^100^"]).fill(["x"]) == "no stamp"
