"""The answer cache (bot/pipeline.py, issue 12 item 7) is bounded by memory and keeps only what
can be hit."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.knowledge.digest import Digest
from bot.knowledge.holder import DigestHolder
from bot.pipeline import CACHE_BYTES, Pipeline
from bot.rendering.renderer import Renderer

# --- item 7: the answer cache is bounded by memory and keeps only what can be hit ---------------


@pytest.fixture
def fresh_pipeline(digest: Digest, renderer: Renderer) -> Pipeline:
    return Pipeline(DigestHolder(digest), renderer, ZoneInfo("UTC"))


def test_distinct_40000_character_briefs_do_not_grow_memory_without_bound(
    fresh_pipeline: Pipeline,
) -> None:
    now = datetime(2021, 7, 29, 9, 0, tzinfo=UTC)
    fresh_pipeline.respond("brief", now)
    words = "ab " * 13_333  # 40,000 characters, 13,333 words: each word is kept in the key
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(300):
            fresh_pipeline.respond(f"brief {i} {words}", now)
        gc.collect()
        grown = (tracemalloc.get_traced_memory()[0] - before) / 1e6
    finally:
        tracemalloc.stop()

    print(f"\n300 distinct 40,000-character briefs: +{grown:.1f} MB held")
    assert grown < 2 * CACHE_BYTES / 1e6, f"{grown:.1f} MB"
    entries, estimated = fresh_pipeline.cache_usage()
    assert 0 < entries < 300 and estimated <= CACHE_BYTES


def test_answers_from_past_days_are_dropped(fresh_pipeline: Pipeline) -> None:
    # Answers are rendered once a day (in every zone of the digest) and restamped each minute:
    # another minute of the same day reuses them; a new day makes them dead weight.
    minute = datetime(2021, 7, 29, 9, 0, tzinfo=UTC)
    for text in ("brief", "upcoming", "positions", "sources"):
        fresh_pipeline.respond(text, minute)
    assert fresh_pipeline.cache_usage()[0] == 4

    fresh_pipeline.respond("brief", minute + timedelta(minutes=1))
    assert fresh_pipeline.cache_usage()[0] == 4  # the same day: restamped, nothing rendered

    fresh_pipeline.respond("brief", minute + timedelta(days=1))
    assert fresh_pipeline.cache_usage()[0] == 1  # the earlier day can never be asked again

    late = fresh_pipeline.respond("upcoming", minute + timedelta(seconds=30))
    assert late.messages and fresh_pipeline.cache_usage()[0] == 1  # answered, not kept
