"""1. dispatch: signed `/sco` requests through the Bolt app `sco-bot serve` builds,
`App.dispatch(BoltRequest(...))`, against a bare Bolt app with the same options whose listener
only acks; interleaved per request. `python -m bench.dispatch [--quick]`.

Measured for the realistic mix (bench.config.MIX: twelve kinds of request by forty users) and
for each of its commands alone, with ours in three states of its answer cache
(bench.apps.CACHE_STATES): cache hits within a minute, a new minute at every request (the day's
render restamped), and the answer cache off (every answer rendered in full)."""

from __future__ import annotations

import gc
import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any

from bench.apps import (
    APPS,
    CACHE_STATES,
    OURS,
    REHEARSAL_NOW,
    bench_settings,
    build_app,
    signed_headers,
)
from bench.config import COMMANDS, MIX, Config, mix_bodies, run_alone
from bench.figures import minutes, profiled, ratio, summary
from testkit.slack_requests import slash_body

GOAL = (
    "realistic mix ≤ 1.5× bare (median); each command with a new minute or the cache off ≤ 2×; "
    "cache hits ≤ 1.25×"
)


def measure(cfg: Config, profile: bool) -> dict[str, Any]:
    """The mix, then each command alone, through every app (ours in each cache state, and
    bare), interleaved per request (the order rotates)."""
    from testkit.fakeslack import FakeSlack

    result: dict[str, Any] = {
        "iterations": cfg.dispatch_iterations,
        "warmup": cfg.dispatch_warmup,
        "now": REHEARSAL_NOW.isoformat(),
        "timed": "BoltRequest(body, headers) + App.dispatch; signing is outside the timer",
        "apps": {
            **{
                kind: f"as sco-bot serve builds it; {state}" for kind, state in CACHE_STATES.items()
            },
            "bare": "slack_bolt.App, same options, one /sco listener that only acks",
        },
        "mix_commands": list(MIX),
        "commands": {},
    }
    with tempfile.TemporaryDirectory() as tmp, FakeSlack().serve_quickly() as fake:
        settings = bench_settings(fake.api_url, tmp)
        apps = {kind: build_app(kind, settings).app for kind in APPS}
        bodies = mix_bodies()
        result["mix_requests"] = len(bodies)
        result["mix"] = _interleaved(apps, bodies, cfg.dispatch_warmup, 2 * cfg.dispatch_iterations)
        for text in MIX:
            result["commands"][text] = _interleaved(
                apps, [slash_body(text)], cfg.dispatch_warmup, cfg.dispatch_iterations
            )
        result["breakdown"] = _answer_breakdown(settings, cfg.dispatch_iterations // 4)
        if profile:
            result["profiles"] = _profiles(apps, bodies, cfg.profile_iterations)
    return result


def _dispatch(app: Any, body: str) -> Any:
    """Sign `body` (outside any timer) and hand it to Bolt as the HTTP adapter would."""
    from slack_bolt.request import BoltRequest

    return app.dispatch(BoltRequest(body=body, headers=signed_headers(body)))


def _interleaved(
    apps: dict[str, Any], bodies: list[str], warmup: int, iterations: int
) -> dict[str, Any]:
    """Request i (bodies[i % len]) through every app in turn (the order rotates each time)."""
    from slack_bolt.request import BoltRequest

    kinds = list(apps)
    samples: dict[str, list[float]] = {kind: [] for kind in kinds}
    sizes: dict[str, int] = {}
    gc.collect()
    for i in range(warmup + iterations):
        body = bodies[i % len(bodies)]
        shift = i % len(kinds)
        for kind in kinds[shift:] + kinds[:shift]:
            headers = signed_headers(body)
            started = time.perf_counter_ns()
            response = apps[kind].dispatch(BoltRequest(body=body, headers=headers))
            elapsed = time.perf_counter_ns() - started
            if response.status != 200:
                raise RuntimeError(f"{kind}: HTTP {response.status} for {body[:200]}")
            if i >= warmup:
                samples[kind].append(elapsed / 1000)
            sizes[kind] = max(sizes.get(kind, 0), len(response.body or ""))
    entry: dict[str, Any] = {k: summary(v, "us") for k, v in samples.items()}
    entry["largest_response_bytes"] = sizes
    bare = entry["bare"]
    for kind in OURS:
        entry[f"{kind}_ratio_median"] = ratio(entry[kind]["median"], bare["median"])
        entry[f"{kind}_ratio_mean"] = ratio(entry[kind]["mean"], bare["mean"])
        entry[f"{kind}_ratio_p99"] = ratio(entry[kind]["p99"], bare["p99"])
        entry[f"{kind}_extra_median_us"] = entry[kind]["median"] - bare["median"]
    return entry


def _answer_breakdown(settings: Any, repeats: int) -> dict[str, Any]:
    """Where ours spends the extra: the pipeline alone (the same minute: a cache hit; a new
    minute: the day's render restamped; the cache off: a full render), and the ack's JSON."""
    import dataclasses

    from bot.services import build_services

    pipeline = build_services(settings, serving=True).pipeline
    full = build_services(dataclasses.replace(settings, answer_cache_mb=0), serving=True).pipeline
    out: dict[str, Any] = {}
    for text in MIX:
        same, fresh, rendered, encodes = [], [], [], []
        reply = pipeline.respond(text, REHEARSAL_NOW)
        for now in minutes(REHEARSAL_NOW + timedelta(hours=1), repeats):
            started = time.perf_counter_ns()
            reply = pipeline.respond(text, REHEARSAL_NOW)
            middle = time.perf_counter_ns()
            pipeline.respond(text, now)
            fresh.append((time.perf_counter_ns() - middle) / 1000)
            same.append((middle - started) / 1000)
            started = time.perf_counter_ns()
            full.respond(text, now)
            rendered.append((time.perf_counter_ns() - started) / 1000)
            started = time.perf_counter_ns()
            body = json.dumps({**reply.messages[0].payload(), "response_type": "ephemeral"})
            encodes.append((time.perf_counter_ns() - started) / 1000)
        out[text] = {
            "answer_same_minute_median_us": statistics.median(same),
            "answer_new_minute_median_us": statistics.median(fresh),
            "answer_full_render_median_us": statistics.median(rendered),
            "ack_json_median_us": statistics.median(encodes),
            "ack_body_bytes": len(body),
            "messages": len(reply.messages),
            "blocks": sum(len(m.blocks) for m in reply.messages),
        }
    return out


def _profiles(apps: dict[str, Any], bodies: list[str], iterations: int) -> dict[str, Any]:
    """cProfile listings of ours in each cache state dispatching the mix, and of a full
    render of each of bench.config.COMMANDS."""
    listings: dict[str, Any] = {}
    for kind in OURS:
        with profiled(listings, f"{kind} mix", True):
            for i in range(iterations):
                _dispatch(apps[kind], bodies[i % len(bodies)])
    for text in COMMANDS:
        body = slash_body(text)
        with profiled(listings, f"ours-no-cache {text}", True):
            for _ in range(iterations):
                _dispatch(apps["ours-no-cache"], body)
    return listings


if __name__ == "__main__":
    sys.exit(run_alone("dispatch", measure, __doc__.split("\n\n")[0]))
