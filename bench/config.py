"""How much of everything to measure (full and `--quick`), and running one measurement alone."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The answers measured at scale (bench.scale).
COMMANDS = ("brief", "positions china", "upcoming", "compare", "sources")
# The realistic mix (bench.dispatch, bench.http): what a team of analysts asks, twelve kinds of
# request from forty people in six channels; each command is also measured alone.
MIX = (
    "brief",
    "positions china",
    "positions russia",
    "positions kazakhstan",
    "upcoming",
    "compare",
    "sources",
    "help",
    "ask what did china say about afghanistan",
    "who hosted the meeting?",
    "positions india public",
    "upcoming public",
)
USERS = 40
CHANNELS = 6


@dataclass(frozen=True)
class Config:
    """How much of everything to measure."""

    dispatch_warmup: int
    dispatch_iterations: int
    http_seconds: float  # per app and concurrency, split into two interleaved rounds
    http_max_requests: int  # per app and concurrency
    http_threads: int
    cold_runs: int
    digest_meetings: int
    digest_items: int
    digest_loads: int
    answer_repeats: int
    fanout_channels: int
    fanout_rate: float
    fanout_window: float
    profile_iterations: int


FULL = Config(
    dispatch_warmup=300,
    dispatch_iterations=2000,
    http_seconds=8.0,
    http_max_requests=20_000,
    http_threads=8,
    cold_runs=15,
    digest_meetings=50,
    digest_items=10_000,
    digest_loads=3,
    answer_repeats=15,
    fanout_channels=1000,
    fanout_rate=100.0,
    fanout_window=10.0,
    profile_iterations=300,
)
QUICK = Config(
    dispatch_warmup=50,
    dispatch_iterations=200,
    http_seconds=1.5,
    http_max_requests=3000,
    http_threads=8,
    cold_runs=5,
    digest_meetings=10,
    digest_items=2000,
    digest_loads=1,
    answer_repeats=5,
    fanout_channels=100,
    fanout_rate=20.0,
    fanout_window=5.0,
    profile_iterations=50,
)


def mix_bodies() -> list[str]:
    """The mix as slash-command bodies: request i is MIX[i % 12] typed by user i % 40 (in that
    user's channel), so the cycle holds 120 distinct requests."""
    from testkit.slack_requests import slash_body

    cycle = len(MIX) * USERS // math.gcd(len(MIX), USERS)
    return [
        slash_body(
            MIX[i % len(MIX)],
            user_id=f"U{i % USERS:05d}",
            user_name=f"analyst{i % USERS}",
            channel_id=f"C{i % USERS % CHANNELS:05d}",
        )
        for i in range(cycle)
    ]


Measure = Callable[[Config, bool], dict[str, Any]]


def run_alone(
    name: str,
    measure: Measure,
    doc: str,
    argv: list[str] | None = None,
    *,
    module: str | None = None,
) -> int:
    """`python -m bench.<module> [--quick] [--profile] [--out FILE]`: one measurement (section
    `name` of bench.run), its rows of the table, and its figures as JSON with `--out`."""
    from bench.table import print_table, rows

    prog = f"python -m {module or 'bench.' + name}"
    parser = argparse.ArgumentParser(prog=prog, description=doc)
    parser.add_argument("--quick", action="store_true", help="smaller, as bench.run --quick")
    parser.add_argument("--profile", action="store_true", help="add cProfile listings")
    parser.add_argument("--out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    figures = measure(QUICK if args.quick else FULL, args.profile)
    if args.out:
        text = json.dumps({name: figures}, indent=2, ensure_ascii=False)
        Path(args.out).write_text(text + "\n")
    print_table(rows({name: figures}), sys.stdout)
    return 0
