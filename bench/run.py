"""sco-bot's benchmark, in one command: `.venv/bin/python -m bench.run [--quick] [--out FILE]`.

Measures, in one run and side by side with a reference (one module each, each runnable alone
as `python -m bench.<module> [--quick]`):

1. dispatch  (bench.dispatch) signed `/sco brief|positions china|upcoming` through the Bolt app
             `sco-bot serve` builds, `.dispatch`, vs a bare Bolt app with the same options
             whose listener only acks (interleaved)
2. http      (bench.http) requests/s and p50/p99 of signed `/sco brief` through the production
             HTTP stack (waitress) in a separate process, concurrency 1 and 16, ours vs the
             bare app behind the same stack
3. cold      (bench.cold_start) `sco-bot ask brief` as a whole process vs
             `python -c "import slack_bolt"`
4. digest    (bench.scale) a generated digest of 50 meetings and 10,000 items: load time and
             memory, and answer times (first call, repeated, a new minute each call)
5. fanout    (bench.fanout) reminders for 1,000 channels under a windowed rate limit vs the
             floor it implies
6. timeliness (bench.timeliness) reminders at Slack's real rate with a scaled clock: time to
             confirm a new subscription during a bulk run, 429s, misses, fairness, CPU per
             Slack call over TLS
7. questions  (bench.questions) the two analyst question sets: recall@1/@3 and facts shown on
             the shipped and a second meeting, answer times there and at 10,000 items

Ours is measured twice in 1 and 2: as it runs (its clock running forward, so repeated requests
within a minute reuse the cached answer) and with its clock a minute later at every request
(answers are rendered once a local day and restamped each minute: these rows measure a restamp;
the first answer of a day is a full render, measured by section 4's first-call rows).

Prints a table (measurement, ours, reference, ratio/goal, met?; bench.table) and writes every
figure, with the machine's description (bench.machine), as JSON (`--out`, default
bench-results.json). Slowness never fails the run: the exit status is 0 unless a measurement
crashed (1; the traceback is in the JSON). `--profile` adds cProfile listings (top functions) of
the slow paths to the JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import traceback
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from bench import cold_start, dispatch, fanout, http, questions, scale, timeliness
from bench.config import FULL, QUICK
from bench.machine import code_state, loadavg, machine
from bench.table import Row, print_table, rows

# Each module has GOAL and measure(cfg, profile) -> figures; the names key the JSON.
SECTIONS: dict[str, ModuleType] = {
    "dispatch": dispatch,
    "http": http,
    "cold": cold_start,
    "digest": scale,
    "fanout": fanout,
    "timeliness": timeliness,
    "questions": questions,
}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (under ~45 s)")
    parser.add_argument("--out", default="bench-results.json", help="JSON file to write")
    parser.add_argument(
        "--only", action="append", choices=list(SECTIONS), help="run only this section (repeat)"
    )
    parser.add_argument("--profile", action="store_true", help="add cProfile listings")
    return parser.parse_args(argv)


def _measure(names: list[str], args: argparse.Namespace, results: dict[str, Any]) -> None:
    """Each section in turn; a crash is recorded (with its traceback) and the run goes on."""
    cfg = QUICK if args.quick else FULL
    for name in names:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        began = time.perf_counter()
        try:
            results["sections"][name] = SECTIONS[name].measure(cfg, args.profile)
        except Exception:
            results["errors"][name] = traceback.format_exc()
            print(f"bench: {name} crashed:\n{results['errors'][name]}", file=sys.stderr)
        results["section_seconds"][name] = round(time.perf_counter() - began, 2)
        print(f"bench: {name} {results['section_seconds'][name]:.1f} s", file=sys.stderr)


def _table(results: dict[str, Any]) -> list[Row]:
    """The table's rows (a crash here is recorded like a section's)."""
    table: list[Row] = []
    try:
        table = rows(results["sections"])
    except Exception:
        results["errors"]["table"] = traceback.format_exc()
        print(f"bench: table crashed:\n{results['errors']['table']}", file=sys.stderr)
    results["table"] = [asdict(r) for r in table]
    results["goals_missed"] = [r.measurement for r in table if r.met == "NO"]
    return table


def _notes(results: dict[str, Any]) -> None:
    """Warn when the figures are suspect: a busy machine, or code edited during the run."""
    load = results["machine"]["loadavg"]
    cores = results["machine"]["usable_cores"] or 1
    if load and load[0] > cores / 2:
        print(
            f"note: load average {load[0]} on {cores} cores before the run: other work was "
            "running, and the figures are skewed by it",
            file=sys.stderr,
        )
    if results["code"]["content_sha256"] != results["code_after"]["content_sha256"]:
        print("note: bot/, templates/ or knowledge/ changed during the run", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, write the JSON; 1 when anything crashed."""
    args = _arguments(argv)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "code": code_state(),
        "config": asdict(QUICK if args.quick else FULL),
        "goals": {name: module.GOAL for name, module in SECTIONS.items()},
        "sections": {},
        "section_seconds": {},
        "errors": {},
    }
    _measure(args.only or list(SECTIONS), args, results)
    table = _table(results)
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["code_after"] = code_state()
    results["loadavg_end"] = loadavg()
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print()
    print_table(table)
    print(
        f"\n{results['mode']} run, {results['seconds']:.0f} s, "
        f"{results['machine']['cores']} cores, Python {platform.python_version()}; "
        f"{len(results['goals_missed'])} goals missed; figures in {args.out}"
    )
    _notes(results)
    if results["errors"]:
        print(f"bench: crashed: {', '.join(results['errors'])}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
