"""The curator's workbench on a long document: `sco-bot knowledge add-source` and `draft` on a
5,000-word saved page, as whole processes (what a curator waits for), each in a fresh copy of
the test digest. `python -m bench.workbench [--quick] [--words N] [--runs N]`.

The page is generated (seeded): paragraphs of news sentences that name actors, dates ("in
December this year", "on 5 October"), status words and a dateline, inside a page's menus and
footer. Reports the median, minimum and maximum of the runs; never fails on slowness."""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DIGEST = PROJECT / "tests" / "digests" / "sco-2021-v1"
ACTORS = [
    "China",
    "Russia",
    "the Republic of Uzbekistan",
    "India",
    "Pakistan",
    "Kazakhstan",
    "Wei Fenghe",
]
VERBS = [
    "agreed to",
    "decided to",
    "noted the need to",
    "proposed to",
    "welcomed plans to",
    "approved plans to",
]
ACTS = [
    "hold a joint exercise",
    "expand cooperation on border security",
    "exchange officers",
    "hold their next meeting",
    "set up a working group on cyber security",
    "study a common standard",
]
WHEN = [
    "in December this year",
    "on 5 October",
    "in 2023",
    "next month",
    "on 18-23 October 2022",
    "in the first half of next year",
    "by the end of the year",
]


def page(words: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    paragraphs, count, n = [], 0, 0
    while count < words:
        sentences = []
        for _ in range(rng.randint(2, 5)):
            n += 1
            s = (
                f"{rng.choice(['The ministers', 'They', rng.choice(ACTORS)])} {rng.choice(VERBS)} "
                f"{rng.choice(ACTS)} {rng.choice(WHEN)}, as item {n} of the talks, "
                f"{rng.choice(ACTORS)} said."
            )
            sentences.append(s)
            count += len(s.split())
        paragraphs.append("<p>" + " ".join(sentences) + "</p>")
    body = "\n".join(paragraphs)
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Long report | Wire</title>"
        '<meta property="og:site_name" content="Wire">'
        '<meta property="article:published_time" content="2022-08-24T10:00:00Z">'
        "</head><body><nav><a href=/>Home</a> <a href=/world>World</a></nav><article>"
        f"<h1>Long report</h1>{body}</article><footer>Copyright Wire</footer></body></html>"
    )


def timed(*args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        check=False,
        env={"PATH": "/usr/bin:/bin", "SCO_CACHE_DIR": "off"},
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--words", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    added, drafted = [], []
    with tempfile.TemporaryDirectory() as scratch:
        html = Path(scratch) / "long-report.html"
        html.write_text(page(args.words))
        for run in range(runs):
            copy = Path(scratch) / f"k{run}"
            shutil.copytree(DIGEST, copy)
            added.append(
                timed("knowledge", "add-source", str(html), "--id", "long", "--dir", str(copy))
            )
            drafted.append(
                timed("knowledge", "draft", "long", "--meeting", "m-2022", "--dir", str(copy))
            )
        text = (Path(scratch) / "k0" / "sources" / "long.txt").read_text()
        draft = (Path(scratch) / "k0" / "drafts" / "long.yaml").read_text()
    print(
        f"document: {len(text.split()):,} words stored, {draft.count('- sentence:'):,} draft "
        f"items; {runs} runs, each a whole `python -m bot.cli` process in a fresh copy of the "
        "test digest"
    )
    for name, times in (("add-source", added), ("draft", drafted)):
        print(
            f"{name:>10}: median {statistics.median(times):.2f} s "
            f"(min {min(times):.2f}, max {max(times):.2f}); goal < 2 s"
        )


if __name__ == "__main__":
    main()
