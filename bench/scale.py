"""4. digest: a generated digest (bench.gen_digest; 50 meetings and 10,000 items) — load time
and memory, the start-up work `serve` does, and answer times (first call, repeated, a new
minute each call) against the same answers on the real digest. `python -m bench.scale [--quick]`.

The memory figure in a fresh process comes from `python -m bench.scale --child-rss DIR`."""

from __future__ import annotations

import dataclasses
import gc
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.apps import REHEARSAL_NOW
from bench.config import COMMANDS, ROOT, Config, run_alone
from bench.figures import minutes, profiled, summary

GOAL = "load_digest < 1 s at 50 meetings / 10,000 items; each answer < 5 ms"


def _rss_kb() -> dict[str, int]:
    """VmRSS and VmHWM (peak) of this process in KiB (Linux), else ru_maxrss."""
    status = Path("/proc/self/status")
    if status.exists():
        fields = {}
        for line in status.read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
        return fields
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.platform == "darwin":
        peak //= 1024
    return {"VmRSS": peak, "VmHWM": peak}


def child_rss(directory: Path) -> dict[str, Any]:
    """Run in a fresh process: RSS before and after one load_digest, and the peak."""
    from bot.knowledge.loader import load_digest

    before = _rss_kb()
    started = time.perf_counter()
    load_digest(directory)
    seconds = time.perf_counter() - started
    after = _rss_kb()
    return {
        "rss_before_load_mb": before["VmRSS"] / 1024,
        "rss_after_load_mb": after["VmRSS"] / 1024,
        "peak_rss_mb": after["VmHWM"] / 1024,
        "peak_rss_growth_mb": (after["VmHWM"] - before["VmRSS"]) / 1024,
        "load_seconds": seconds,
    }


def _answers(pipeline: Any, uncached: Any, now: datetime, repeats: int) -> dict[str, Any]:
    """Per command: the first call on a fresh pipeline (templates precompiled and the digest's
    derived views built, as `serve` does at start: a full render, then cached for the day),
    repeated calls at the same `now` (answer cache hits), repeated calls each a minute later
    (the day's render restamped), and calls to a pipeline with the answer cache off (each a
    full render)."""
    out: dict[str, Any] = {}
    for text in COMMANDS:
        full = []
        for later in minutes(now + timedelta(minutes=1), repeats):
            started = time.perf_counter()
            uncached.respond(text, later)
            full.append((time.perf_counter() - started) * 1000)
        gc.collect()
        started = time.perf_counter()
        reply = pipeline.respond(text, now)
        first = (time.perf_counter() - started) * 1000
        same, fresh = [], []
        for later in minutes(now + timedelta(minutes=1), repeats):
            started = time.perf_counter()
            pipeline.respond(text, now)
            middle = time.perf_counter()
            pipeline.respond(text, later)
            fresh.append((time.perf_counter() - middle) * 1000)
            same.append((middle - started) * 1000)
        out[text] = {
            "full_render_ms": summary(full, "ms"),
            "first_ms": first,
            "repeated_ms": summary(same, "ms"),
            "new_minute_ms": summary(fresh, "ms"),
            "messages": len(reply.messages),
            "blocks": sum(len(m.blocks) for m in reply.messages),
            "json_bytes": len(json.dumps([m.payload() for m in reply.messages])),
        }
    return out


def measure(cfg: Config, profile: bool) -> dict[str, Any]:
    """Generate, load, measure memory, start as `serve` does, answer; then the real digest."""
    from bench.gen_digest import generate

    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "knowledge"
        started = time.perf_counter()
        result["generated"] = generate(directory, cfg.digest_meetings, cfg.digest_items)
        result["generate_seconds"] = time.perf_counter() - started
        digest = _load(directory, cfg, profile, result)
        result["rss"] = _rss_in_child(directory)
        last = max(m.date.first for m in digest.meetings if m.date.first is not None)
        now = datetime(last.year, last.month, last.day, 9, 0, tzinfo=UTC) + timedelta(days=14)
        result["now"] = now.isoformat()
        pipeline, uncached = _start(directory, digest, result)
        result["answers"] = _answers(pipeline, uncached, now, cfg.answer_repeats)
        if profile:
            listings: dict[str, Any] = {}
            for text in COMMANDS:
                with profiled(listings, text, True):
                    for later in minutes(now + timedelta(days=3), max(3, cfg.answer_repeats // 3)):
                        pipeline.respond(text, later)
            result["answer_profiles"] = listings
        result["reference_real_digest"] = {
            "now": REHEARSAL_NOW.isoformat(),
            "answers": _answers(
                _real_pipeline(), _real_pipeline(0), REHEARSAL_NOW, cfg.answer_repeats * 20
            ),
        }
    return result


def _load(directory: Path, cfg: Config, profile: bool, result: dict[str, Any]) -> Any:
    """load_digest timed (`digest_loads` times), then once under tracemalloc; the digest."""
    from bot.knowledge.loader import load_digest

    loads = []
    digest = None
    for _ in range(cfg.digest_loads):
        digest = None
        gc.collect()
        started = time.perf_counter()
        digest = load_digest(directory)
        loads.append(time.perf_counter() - started)
    assert digest is not None
    result["load_seconds"] = summary(loads, "s")

    gc.collect()
    tracemalloc.start()
    with profiled(result, "load_profile", profile):
        load_digest(directory)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result["tracemalloc"] = {
        "peak_mb": peak / 2**20,
        "retained_mb": current / 2**20,
        "note": "one load; retained = still allocated after it returned (the load and "
        "the digest already held by this process)",
    }
    return digest


def _rss_in_child(directory: Path) -> dict[str, Any]:
    """child_rss in a fresh interpreter, so that nothing loaded here counts."""
    child = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--child-rss", str(directory)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    figures: dict[str, Any] = json.loads(child.stdout)
    return figures


def _start(directory: Path, digest: Any, result: dict[str, Any]) -> tuple[Any, Any]:
    """What `serve` does at start, timed part by part (templates compiled, the digest's derived
    views built), assembled by the composition root (bot.services.Services); its pipeline, and
    the same with the answer cache off."""
    from bot.rendering.renderer import Renderer
    from bot.services import Services
    from bot.settings import Settings

    settings = Settings(knowledge_dir=directory, clock_start=REHEARSAL_NOW)
    started = time.perf_counter()
    renderer = Renderer(settings.templates_dir, precompile=True)
    result["template_compile_ms"] = (time.perf_counter() - started) * 1000
    services = Services(settings, settings.clock(), digest, renderer, background=True)
    started = time.perf_counter()
    services.prepare(digest)
    result["prepare_ms"] = (time.perf_counter() - started) * 1000
    off = dataclasses.replace(settings, answer_cache_mb=0)
    uncached = Services(off, off.clock(), digest, renderer, background=True)
    return services.pipeline, uncached.pipeline


def _real_pipeline(answer_cache_mb: float = 16) -> Any:
    """The pipeline `serve` builds on the shipped digest and templates (default settings, but
    the answer cache's size)."""
    from bot.services import build_services
    from bot.settings import Settings

    settings = Settings(clock_start=REHEARSAL_NOW, answer_cache_mb=answer_cache_mb)
    return build_services(settings, serving=True).pipeline


def main(argv: list[str] | None = None) -> int:
    """Run the measurement alone, or (`--child-rss DIR`) report one load's RSS as JSON."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--child-rss"]:
        print(json.dumps(child_rss(Path(args[1]))))
        return 0
    return run_alone("digest", measure, __doc__.split("\n\n")[0], args, module="bench.scale")


if __name__ == "__main__":
    sys.exit(main())
