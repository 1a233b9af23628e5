"""bot/knowledge/digest.py: the views "as of" an instant (an LRU cache of VIEWS_KEPT) and the
per-digest memo."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.knowledge import digest as digest_module
from bot.knowledge.digest import Digest
from bot.knowledge.loader import load_digest
from tests.conftest import three_meetings


def _fresh(tmp_path: Path) -> Digest:
    """A digest built now (not shared: its caches start empty)."""
    return load_digest(three_meetings(tmp_path / "three"))


def _instants(digest: Digest, count: int) -> list[datetime]:
    """`count` instants, each in a different view (not the whole digest)."""
    published = sorted({d.published_from for d in digest.documents})[:-1]
    assert len(published) >= count, "the test digest has too few publication instants"
    return [p + timedelta(minutes=1) for p in published[:count]]


def test_a_view_used_lately_is_kept_and_the_least_recently_used_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digest_module, "VIEWS_KEPT", 2)
    digest = _fresh(tmp_path)
    a, b, c = _instants(digest, 3)
    view_a, view_b = digest.as_of(a), digest.as_of(b)
    assert digest.as_of(a) is view_a  # used again: b is now the least recently used
    digest.as_of(c)
    assert digest.as_of(a) is view_a  # kept (the hand-written cache dropped the oldest made)
    again = digest.as_of(b)
    assert again is not view_b  # dropped, built anew: the same view
    assert again.view_id == view_b.view_id and again.claims == view_b.claims


def test_at_most_views_kept_are_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(digest_module, "VIEWS_KEPT", 2)
    digest = _fresh(tmp_path)
    for moment in _instants(digest, 3):
        digest.as_of(moment)
    assert len(digest._views) == 2
    assert digest.as_of(datetime.max.replace(tzinfo=digest_module.UTC)) is digest  # never kept


def test_threads_asking_for_one_view_at_once_get_the_same_one(tmp_path: Path) -> None:
    digest = _fresh(tmp_path)
    moment = _instants(digest, 1)[0]
    start = threading.Barrier(8)
    found: list[Digest] = []

    def ask() -> None:
        start.wait()
        found.append(digest.as_of(moment))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8 and all(view is found[0] for view in found)


def test_memoized_builds_once_per_digest(tmp_path: Path) -> None:
    digest = _fresh(tmp_path)
    built: list[int] = []

    def build() -> int:
        built.append(1)
        return len(built)

    assert digest.memoized("answer", build) == 1
    assert digest.memoized("answer", build) == 1
    assert built == [1]
    view = digest.as_of(_instants(digest, 1)[0])
    assert view.memoized("answer", build) == 2  # a view is another digest: its own memo
