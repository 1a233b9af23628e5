"""5. fanout: reminders for 1,000 channels under a windowed rate limit vs the floor it implies,
and the same reconcile unthrottled (bench.reminders_fanout does the work; see its docstring
for how the floor is computed). `python -m bench.fanout [--quick]`."""

from __future__ import annotations

import sys
from typing import Any

from bench.config import Config, run_alone
from bench.figures import profiled

GOAL = "≤ 1.1× the floor the windowed rate implies; nothing lost or doubled"


def measure(cfg: Config, profile: bool) -> dict[str, Any]:
    """Unthrottled first (the work the calls take), then throttled, judged against the floor."""
    from bench.reminders_fanout import UNTHROTTLED, run

    result: dict[str, Any] = {}
    with profiled(result, "unthrottled_profile", profile):
        result["unthrottled"] = run(cfg.fanout_channels, UNTHROTTLED, 1.0)
    work = result["unthrottled"]["seconds"]
    result["throttled"] = run(cfg.fanout_channels, cfg.fanout_rate, cfg.fanout_window, None, work)
    return result


if __name__ == "__main__":
    sys.exit(run_alone("fanout", measure, __doc__.split("\n\n")[0]))
