"""Test support shared by the tests and the benchmarks: a fake Slack Web API over real HTTP,
signed Slack requests, servers in a thread or as `sco-bot serve`, waiting with a deadline. Also
runnable for local rehearsals: `python -m testkit.fakeslack`. Not in the wheel: it runs from a
checkout (pytest and `python -m bench.…` put the checkout on the path)."""

from pathlib import Path

# The checkout this package lives in: where the tests' digests and question sets are, and where
# `sco-bot serve` is started from.
PROJECT = Path(__file__).resolve().parent.parent
