"""1. dispatch: signed `/sco brief|positions china|upcoming` through the Bolt app `sco-bot
serve` builds, `App.dispatch(BoltRequest(...))`, against a bare Bolt app with the same options
whose listener only acks; interleaved per iteration. `python -m bench.dispatch [--quick]`.

Ours is measured twice: as it runs (its clock running forward, so repeated requests within a
minute reuse answers cached per minute) and with its clock a minute later at every request
(`ours-uncached`: the cost of a command's first answer each minute)."""

from __future__ import annotations

import gc
import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any

from bench.apps import APPS, REHEARSAL_NOW, bench_settings, build_app, signed_headers
from bench.config import COMMANDS, Config, run_alone
from bench.figures import minutes, profiled, ratio, summary
from bot.testing.slack_requests import slash_body

GOAL = "ours/bare median ≤ 1.25× per command"


def measure(cfg: Config, profile: bool) -> dict[str, Any]:
    """Ours (as it runs), ours with a new minute at every request (no per-minute cache hit)
    and bare, through App.dispatch, interleaved per iteration (the order rotates)."""
    from bot.testing.fakeslack import FakeSlack

    result: dict[str, Any] = {
        "iterations": cfg.dispatch_iterations,
        "warmup": cfg.dispatch_warmup,
        "now": REHEARSAL_NOW.isoformat(),
        "timed": "BoltRequest(body, headers) + App.dispatch; signing is outside the timer",
        "apps": {
            "ours": "bot.services.build_services(settings, serving=True) + "
            "bot.slack.app.build_bolt_app, as sco-bot serve; its clock running from `now`",
            "ours-uncached": "the same, its clock one minute later at every request",
            "bare": "slack_bolt.App, same options, one /sco listener that only acks",
        },
        "commands": {},
    }
    with tempfile.TemporaryDirectory() as tmp, FakeSlack().serve_quickly() as fake:
        settings = bench_settings(fake.api_url, tmp)
        apps = {kind: build_app(kind, settings).app for kind in APPS}
        for text in COMMANDS:
            result["commands"][text] = _command(apps, text, cfg)
        result["breakdown"] = _answer_breakdown(settings, cfg.dispatch_iterations // 4)
        if profile:
            result["profiles"] = _profiles(apps, cfg.profile_iterations)
    return result


def _dispatch(app: Any, body: str) -> Any:
    """Sign `body` (outside any timer) and hand it to Bolt as the HTTP adapter would."""
    from slack_bolt.request import BoltRequest

    return app.dispatch(BoltRequest(body=body, headers=signed_headers(body)))


def _command(apps: dict[str, Any], text: str, cfg: Config) -> dict[str, Any]:
    """One command through every app, interleaved (the order rotates each iteration)."""
    from slack_bolt.request import BoltRequest

    body = slash_body(text)
    kinds = list(apps)
    samples: dict[str, list[float]] = {kind: [] for kind in kinds}
    sizes: dict[str, int] = {}
    gc.collect()
    for i in range(cfg.dispatch_warmup + cfg.dispatch_iterations):
        for kind in kinds[i % 3 :] + kinds[: i % 3]:
            headers = signed_headers(body)
            started = time.perf_counter_ns()
            response = apps[kind].dispatch(BoltRequest(body=body, headers=headers))
            elapsed = time.perf_counter_ns() - started
            if response.status != 200:
                raise RuntimeError(f"{kind} /sco {text}: HTTP {response.status}")
            if i >= cfg.dispatch_warmup:
                samples[kind].append(elapsed / 1000)
            sizes[kind] = len(response.body or "")
    entry: dict[str, Any] = {k: summary(v, "us") for k, v in samples.items()}
    entry["response_bytes"] = sizes
    bare = entry["bare"]
    for kind in ("ours", "ours-uncached"):
        entry[f"{kind}_ratio_median"] = ratio(entry[kind]["median"], bare["median"])
        entry[f"{kind}_ratio_p99"] = ratio(entry[kind]["p99"], bare["p99"])
        entry[f"{kind}_extra_median_us"] = entry[kind]["median"] - bare["median"]
    return entry


def _answer_breakdown(settings: Any, repeats: int) -> dict[str, Any]:
    """Where ours spends the extra: the pipeline alone (same minute: cached if the pipeline
    caches; a new minute each call: rendered), and encoding the ack body."""
    from bot.services import build_services

    pipeline = build_services(settings, serving=True).pipeline
    out: dict[str, Any] = {}
    for text in COMMANDS:
        same, fresh, encodes = [], [], []
        reply = pipeline.respond(text, REHEARSAL_NOW)
        for now in minutes(REHEARSAL_NOW + timedelta(days=2), repeats):
            started = time.perf_counter_ns()
            reply = pipeline.respond(text, REHEARSAL_NOW)
            middle = time.perf_counter_ns()
            pipeline.respond(text, now)
            fresh.append((time.perf_counter_ns() - middle) / 1000)
            same.append((middle - started) / 1000)
            started = time.perf_counter_ns()
            body = json.dumps({**reply.messages[0].payload(), "response_type": "ephemeral"})
            encodes.append((time.perf_counter_ns() - started) / 1000)
        out[text] = {
            "answer_same_minute_median_us": statistics.median(same),
            "answer_new_minute_median_us": statistics.median(fresh),
            "ack_json_median_us": statistics.median(encodes),
            "ack_body_bytes": len(body),
            "messages": len(reply.messages),
            "blocks": sum(len(m.blocks) for m in reply.messages),
        }
    return out


def _profiles(apps: dict[str, Any], iterations: int) -> dict[str, Any]:
    """cProfile listings of ours (both clocks) dispatching each command."""
    listings: dict[str, Any] = {}
    for kind in ("ours", "ours-uncached"):
        for text in COMMANDS:
            body = slash_body(text)
            with profiled(listings, f"{kind} {text}", True):
                for _ in range(iterations):
                    _dispatch(apps[kind], body)
    return listings


if __name__ == "__main__":
    sys.exit(run_alone("dispatch", measure, __doc__.split("\n\n")[0]))
