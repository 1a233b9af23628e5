"""bot/search/index.py: the counts of terms asked lately (an LRU cache of REMEMBERED_TERMS) change
what is counted again, never what a search finds."""

from __future__ import annotations

import pytest

from bot.knowledge.digest import Digest
from bot.knowledge.loader import load_digest
from bot.search.index import SearchIndex
from tests.conftest import three_meetings

TERMS = ['"ministers"', '"exercise"', '"terrorism"', '"meeting"']


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Digest:
    return load_digest(three_meetings(tmp_path_factory.mktemp("digest") / "three"))


def test_the_terms_asked_lately_are_remembered_up_to_the_bound(three: Digest) -> None:
    index = SearchIndex(three, terms=2)
    index.search(TERMS[:2])
    index.search(TERMS[:1])  # the first term used again: the second is the least recent
    index.search(TERMS[2:3])
    assert set(index._counts) == {TERMS[0], TERMS[2]}
    index.search(TERMS)
    assert len(index._counts) == 2


def test_a_bounded_memory_of_counts_finds_what_an_ample_one_finds(three: Digest) -> None:
    small, ample = SearchIndex(three, terms=1), SearchIndex(three)
    for expressions in [TERMS, TERMS[::-1], TERMS[1:3], TERMS]:
        assert small.search(expressions) == ample.search(expressions)
    assert small.search(TERMS)  # the terms are in the digest: something was compared
