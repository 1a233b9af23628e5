"""The benchmark still runs, and every row it prints names the answer-cache state it measured."""

from __future__ import annotations

import dataclasses

from bench import dispatch, table
from bench.config import MIX, QUICK, mix_bodies


def test_the_mix_is_twelve_commands_by_forty_users() -> None:
    bodies = mix_bodies()
    assert len(MIX) == 12 and len(bodies) == 120 and len(set(bodies)) == 120
    assert len({b.split("user_id=")[1].split("&")[0] for b in bodies}) == 40


def test_every_dispatch_row_names_its_cache_state() -> None:
    tiny = dataclasses.replace(QUICK, dispatch_warmup=1, dispatch_iterations=4)
    rows = table.rows({"dispatch": dispatch.measure(tiny, False)})

    assert len(rows) == len(table.LABELS) * (1 + len(MIX))  # the mix, then each command
    assert "realistic mix" in rows[0].measurement
    for row in rows:
        assert sum(label in row.measurement for label in table.LABELS.values()) == 1, row
        assert row.met in ("yes", "NO")


def test_the_mixed_load_runs_and_every_request_is_answered() -> None:
    """A 3 s run of issue 25's mixed load (bench.mixed_load), Slack answering 429 to one call
    in ten: figures are reported, and every request answered (no timing is judged)."""
    from bench import mixed_load

    figures = mixed_load.run(3.0, clients=2, every=10, retry_after=1, latency=0.01, drain=1.0)
    assert figures["requests"] > 0
    # Every Slack request acknowledged 200. /healthz must answer, but may say 503: it promises
    # an answer within 1 s of real time (test_http_health checks that), and on a starved machine
    # (three test workers on two cores) the ledger's ping can take longer; that 503 is honest.
    slack = {k: f for k, f in figures["by_kind"].items() if k != "healthz" and f["n"]}
    assert slack and all(f["statuses"] == {"200": f["n"]} for f in slack.values()), slack
    health = figures["by_kind"]["healthz"]["statuses"]
    assert set(health) <= {"200", "503"} and health.get("200", 0) > 0, health
    assert figures["acks"]["n"] > 0 and figures["healthz_prober"]["n"] > 0
    assert figures["slack_after_drain"]["answered_429"] >= 1
