"""6. timeliness: reminders at Slack's real rate (Tier 3, about 50 calls a minute per method)
with a scaled clock — a bulk reconcile of many channels with new subscriptions arriving during
it, paced and (for comparison) unpaced — and CPU per Slack call over TLS
(bench.reminders_timeliness does the work). `python -m bench.timeliness [--quick]`."""

from __future__ import annotations

import logging
import sys
from typing import Any

from bench.config import Config, run_alone

GOAL = (
    "new subscription confirmed p95 < 60 s during a bulk run; < 5% of calls answered 429; "
    "0 missed, doubled or lost"
)


def measure(cfg: Config, profile: bool) -> dict[str, Any]:
    """Paced, unpaced, and the TLS context's cost per call."""
    from bench.reminders_timeliness import simulate, tls_cpu

    logging.getLogger("sco_bot").setLevel(logging.ERROR)  # missed reminders are counted
    channels = cfg.fanout_channels
    return {
        "paced": simulate(channels),
        "unpaced": simulate(channels, pacing=False),
        "tls": tls_cpu(50 if channels < 1000 else 200),
    }


if __name__ == "__main__":
    sys.exit(run_alone("timeliness", measure, __doc__.split("\n\n")[0]))
