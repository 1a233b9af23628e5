"""Figures from samples: percentiles, summaries, ratios, cProfile listings, distinct minutes."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linearly interpolated; values need not be sorted."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: list[float], unit: str, raw: bool = True) -> dict[str, Any]:
    """n, median, p90, p99, mean, min, max of `values`, in `unit` (and the values, rounded)."""
    figures = {
        "unit": unit,
        "n": len(values),
        "median": statistics.median(values),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "mean": statistics.fmean(values),
        "min": min(values),
        "max": max(values),
    }
    if raw:
        figures["values"] = [round(v, 3) for v in values]
    return figures


def ratio(ours: float | None, reference: float | None) -> float | None:
    """ours / reference, or None when either is missing (or the reference is zero)."""
    if ours is None or not reference:
        return None
    return ours / reference


def minutes(start: datetime, count: int) -> list[datetime]:
    """`count` distinct minutes from `start`: answers cached per minute are never reused."""
    return [start + timedelta(minutes=i) for i in range(count)]


@contextmanager
def profiled(into: dict[str, Any], key: str, enabled: bool, top: int = 25) -> Iterator[None]:
    """cProfile the block when enabled; store the top functions (by own and by cumulative
    time) as text under `into[key]`."""
    if not enabled:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        listing = {}
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out)
            stats.strip_dirs().sort_stats(order).print_stats(top)
            listing[order] = out.getvalue()
        into[key] = listing


def clean_env() -> dict[str, str]:
    """The environment without SLACK_* and SCO_* (the bot's own settings)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SCO_"))}
