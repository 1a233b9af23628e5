"""sco-bot's benchmark, in one command: `.venv/bin/python -m bench.run [--quick] [--out FILE]`.

Measures, in one run and side by side with a reference:

1. dispatch  signed `/sco brief|positions china|upcoming` through `create_app(...).dispatch`
             vs a bare Bolt app with the same options whose listener only acks (interleaved)
2. http      requests/s and p50/p99 of signed `/sco brief` through bot.server (waitress) in a
             separate process, concurrency 1 and 16, ours vs the bare app behind the same stack
3. cold      `sco-bot ask brief` as a whole process vs `python -c "import slack_bolt"`
4. digest    a generated digest of 50 meetings and 10,000 items: load time and memory, and
             `Pipeline.answer` times (first call, repeated, a new minute each call)

Ours is measured twice in 1 and 2: as it runs (its clock running forward, so repeated requests
within a minute reuse answers cached per minute) and with its clock a minute later at every
request (nothing cached per minute is reused: the cost of a command's first answer each minute).
5. fanout    reminders for 1,000 channels under a windowed rate limit vs the floor it implies

Prints a table (measurement, ours, reference, ratio/goal, met?) and writes every figure, with
the machine's description, as JSON (`--out`, default bench-results.json). Slowness never fails
the run: the exit status is 0 unless a measurement crashed (1; the traceback is in the JSON).
`--profile` adds cProfile listings (top functions) of the slow paths to the JSON.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import json
import os
import platform
import pstats
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.http_load import (
    APPS,
    REHEARSAL_NOW,
    bench_settings,
    build_app,
    signed_headers,
    slash_body,
)
from bot.knowledge.holder import DigestHolder
from bot.pipeline import Pipeline

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("brief", "positions china", "upcoming")


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

# --- figures -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linearly interpolated; values need not be sorted."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: list[float], unit: str, raw: bool = True) -> dict[str, Any]:
    """n, median, p90, p99, mean, min, max of `values`, in `unit` (and the values, rounded)."""
    figures = {
        "unit": unit,
        "n": len(values),
        "median": statistics.median(values),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "mean": statistics.fmean(values),
        "min": min(values),
        "max": max(values),
    }
    if raw:
        figures["values"] = [round(v, 3) for v in values]
    return figures


def ratio(ours: float | None, reference: float | None) -> float | None:
    if ours is None or not reference:
        return None
    return ours / reference


@contextmanager
def profiled(into: dict[str, Any], key: str, enabled: bool, top: int = 25) -> Iterator[None]:
    """cProfile the block when enabled; store the top functions (by own and by cumulative
    time) as text under `into[key]`."""
    if not enabled:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        listing = {}
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out)
            stats.strip_dirs().sort_stats(order).print_stats(top)
            listing[order] = out.getvalue()
        into[key] = listing


def clean_env() -> dict[str, str]:
    """The environment without SLACK_* and SCO_* (the bot's own settings)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SCO_"))}


# --- 1. dispatch -------------------------------------------------------------------------------


def bench_dispatch(cfg: Config, profile: bool) -> dict[str, Any]:
    """Ours (as it runs), ours with a new minute at every request (no per-minute cache hit)
    and bare, through App.dispatch, interleaved per iteration (the order rotates)."""
    from slack_bolt.request import BoltRequest

    from bot.testing.fakeslack import FakeSlack

    result: dict[str, Any] = {
        "iterations": cfg.dispatch_iterations,
        "warmup": cfg.dispatch_warmup,
        "now": REHEARSAL_NOW.isoformat(),
        "timed": "BoltRequest(body, headers) + App.dispatch; signing is outside the timer",
        "apps": {
            "ours": "bot.app.create_app(settings), clock running from `now`",
            "ours-uncached": "the same, its clock one minute later at every request",
            "bare": "slack_bolt.App, same options, one /sco listener that only acks",
        },
        "commands": {},
    }
    with tempfile.TemporaryDirectory() as tmp, FakeSlack().serve_quickly() as fake:
        settings = bench_settings(fake.api_url, tmp)
        apps = {kind: build_app(kind, settings)[0] for kind in APPS}
        kinds = list(apps)
        for text in COMMANDS:
            body = slash_body(text)
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
            result["commands"][text] = entry
        result["breakdown"] = _answer_breakdown(settings, cfg.dispatch_iterations // 4)
        if profile:
            listings: dict[str, Any] = {}
            for kind in ("ours", "ours-uncached"):
                for text in COMMANDS:
                    body = slash_body(text)
                    with profiled(listings, f"{kind} {text}", True):
                        for _ in range(cfg.profile_iterations):
                            apps[kind].dispatch(
                                BoltRequest(body=body, headers=signed_headers(body))
                            )
            result["profiles"] = listings
    return result


def _minutes(start: datetime, count: int) -> list[datetime]:
    """`count` distinct minutes from `start`: answers cached per minute are never reused."""
    return [start + timedelta(minutes=i) for i in range(count)]


def _answer_breakdown(settings: Any, repeats: int) -> dict[str, Any]:
    """Where ours spends the extra: Pipeline.answer alone (same minute: cached if the pipeline
    caches; a new minute each call: rendered), and encoding the ack body."""

    pipeline = Pipeline.from_settings(settings)
    out: dict[str, Any] = {}
    for text in COMMANDS:
        same, fresh, encodes = [], [], []
        reply = pipeline.respond(text, REHEARSAL_NOW)
        for now in _minutes(REHEARSAL_NOW + timedelta(days=2), repeats):
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


# --- 2. HTTP -----------------------------------------------------------------------------------


class Server:
    """`python -m bench.http_load serve --app KIND` as a child process."""

    def __init__(self, kind: str, threads: int) -> None:
        self.kind = kind
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        command = [sys.executable, "-m", "bench.http_load", "serve", "--app", kind]
        self.proc = subprocess.Popen(
            [*command, "--threads", str(threads)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.port = 0

    def wait_ready(self, timeout: float = 90.0) -> int:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("PORT "):
                self.port = int(line.split()[1])
                return self.port
            if not line and self.proc.poll() is not None:
                break
        raise RuntimeError(f"{self.kind} server did not start: {self.stderr_tail()}")

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server process so far (Linux), else None."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def stderr_tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


def _load(port: int, concurrency: int, requests: int, seconds: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.http_load", "load", "--port", str(port)]
    command += ["--concurrency", str(concurrency), "--requests", str(requests)]
    command += ["--seconds", str(seconds)]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def bench_http(cfg: Config, profile: bool) -> dict[str, Any]:
    """All servers up (ours, ours-uncached, bare); for each concurrency, two rounds of each in
    mirrored order (A B C C B A), half the time each, merged."""
    servers = {kind: Server(kind, cfg.http_threads) for kind in APPS}
    result: dict[str, Any] = {
        "text": "brief",
        "server_threads": cfg.http_threads,
        "load_generator": "bench.http_load (http.client keep-alive, one thread per connection, "
        "separate process)",
        "wrk_installed": shutil.which("wrk") is not None,
        "concurrency": {},
    }
    try:
        for server in servers.values():
            server.wait_ready()
        for server in servers.values():  # the first request pays Bolt's auth.test: warm all
            _load(server.port, 1, 200, 5.0)
        for concurrency in (1, 16):
            rounds: dict[str, list[dict[str, Any]]] = {kind: [] for kind in APPS}
            for kind in (*APPS, *reversed(APPS)):
                cpu_before = servers[kind].cpu_seconds()
                figures = _load(
                    servers[kind].port,
                    concurrency,
                    cfg.http_max_requests // 2,
                    cfg.http_seconds / 2,
                )
                cpu_after = servers[kind].cpu_seconds()
                if cpu_before is not None and cpu_after is not None:
                    figures["server_cpu_seconds"] = cpu_after - cpu_before
                rounds[kind].append(figures)
            entry: dict[str, Any] = {}
            for kind, runs in rounds.items():
                latencies = [v / 1000 for r in runs for v in r["latencies_us"]]
                ok = sum(r["ok"] for r in runs)
                seconds = sum(r["seconds"] for r in runs)
                cpu = [r.get("server_cpu_seconds") for r in runs]
                cpu_total = sum(c for c in cpu if c is not None) if None not in cpu else None
                entry[kind] = {
                    "requests_per_second": ok / seconds if seconds else 0.0,
                    # CPU the server process spent per request (all its threads), and its
                    # share of one core: near 1.0 means one GIL-bound process is saturated.
                    "server_cpu_us_per_request": cpu_total / ok * 1e6 if cpu_total and ok else None,
                    "server_cores_busy": cpu_total / seconds if cpu_total and seconds else None,
                    "ok": ok,
                    "errors": sum(r["errors"] for r in runs),
                    "non_200": sum(r["completed"] - r["ok"] for r in runs),
                    "latency_ms": summary(latencies, "ms", raw=False) if latencies else None,
                    "response_bytes": runs[-1]["response_bytes"],
                    "rounds": runs,
                }
            for kind in ("ours", "ours-uncached"):
                entry[f"{kind}_throughput_ratio"] = ratio(
                    entry[kind]["requests_per_second"], entry["bare"]["requests_per_second"]
                )
            result["concurrency"][str(concurrency)] = entry
    finally:
        for server in servers.values():
            server.stop()
    return result


# --- 3. cold start -----------------------------------------------------------------------------


def _sco_bot() -> str:
    beside = Path(sys.executable).parent / "sco-bot"
    found = str(beside) if beside.exists() else shutil.which("sco-bot")
    if not found:
        raise RuntimeError("sco-bot is not installed (pip install -e .)")
    return found


def _hyperfine(commands: dict[str, list[str]], runs: int, cwd: str) -> dict[str, Any]:
    hyperfine = shutil.which("hyperfine")
    assert hyperfine is not None
    export = Path(cwd) / "hyperfine.json"
    argv = [hyperfine, "-N", "--warmup", "2", "--runs", str(runs), "--export-json", str(export)]
    for name, command in commands.items():
        argv += ["--command-name", name, shlex.join(command)]
    subprocess.run(
        argv, cwd=cwd, env=clean_env(), capture_output=True, check=True, timeout=600, text=True
    )
    data = json.loads(export.read_text())
    out = {}
    for item in data["results"]:
        times_ms = [t * 1000 for t in item["times"]]
        if any(code != 0 for code in item.get("exit_codes", [])):
            raise RuntimeError(f"{item['command']} exited non-zero under hyperfine")
        out[item["command"]] = summary(times_ms, "ms")
    return out


def _subprocess_timing(commands: dict[str, list[str]], runs: int, cwd: str) -> dict[str, Any]:
    env = clean_env()
    times: dict[str, list[float]] = {name: [] for name in commands}
    names = list(commands)
    for i in range(runs + 2):  # two warm-up rounds
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            started = time.perf_counter()
            done = subprocess.run(
                commands[name], cwd=cwd, env=env, capture_output=True, check=False, timeout=120
            )
            elapsed = (time.perf_counter() - started) * 1000
            if done.returncode != 0:
                raise RuntimeError(f"{name} exited {done.returncode}: {done.stderr[-1000:]!r}")
            if i >= 2:
                times[name].append(elapsed)
    return {name: summary(values, "ms") for name, values in times.items()}


def _importtime(command: list[str], cwd: str, top: int = 10) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        parts = line.removeprefix("import time:").split("|")
        self_us, cumulative_us, name = int(parts[0]), int(parts[1]), parts[2]
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        rows.append((cumulative_us, self_us, depth, name.strip()))

    def table(selected: Iterable[tuple[int, int, int, str]]) -> str:
        lines = [f"{'cumulative ms':>14} {'self ms':>8}  module"]
        for cumulative_us, self_us, depth, name in selected:
            indent = "  " * depth
            lines.append(f"{cumulative_us / 1000:14.1f} {self_us / 1000:8.1f}  {indent}{name}")
        return "\n".join(lines)

    by_cumulative = sorted(rows, reverse=True)
    top_level = [r for r in by_cumulative if r[2] == 0]
    packages: dict[str, int] = {}
    for _, self_us, _, name in rows:
        package = name.split(".")[0]
        packages[package] = packages.get(package, 0) + self_us
    by_package = sorted(packages.items(), key=lambda item: -item[1])[:top]
    return {
        "command": shlex.join(["python", "-X", "importtime", *command]),
        "total_import_ms": sum(r[1] for r in rows) / 1000,
        "modules_imported": len(rows),
        "top_cumulative": table(by_cumulative[:top]),
        "top_level_cumulative": table(top_level[:top]),
        "self_by_package": "\n".join(
            [f"{'self ms':>8}  package"] + [f"{us / 1000:8.1f}  {name}" for name, us in by_package]
        ),
    }


def bench_cold(cfg: Config, profile: bool) -> dict[str, Any]:
    """Whole processes, SLACK_*/SCO_* removed from the environment, in a scratch directory."""
    python = sys.executable
    commands = {
        "sco-bot ask brief": [_sco_bot(), "ask", "brief"],
        "import slack_bolt": [python, "-c", "import slack_bolt"],
        "python -c pass": [python, "-c", "pass"],
    }
    result: dict[str, Any] = {"runs": cfg.cold_runs, "commands": {}}
    with tempfile.TemporaryDirectory() as cwd:
        method = "subprocess"
        if shutil.which("hyperfine"):
            try:
                result["commands"] = _hyperfine(commands, cfg.cold_runs, cwd)
                method = "hyperfine"
            except Exception as exc:  # fall back to timing the processes ourselves
                result["hyperfine_error"] = repr(exc)
        if method == "subprocess":
            result["commands"] = _subprocess_timing(commands, cfg.cold_runs, cwd)
        result["method"] = method
        result["importtime"] = _importtime(commands["sco-bot ask brief"], cwd)
        result["importtime_slack_bolt"] = _importtime(["-c", "import slack_bolt"], cwd, top=5)
    ours = result["commands"]["sco-bot ask brief"]["median"]
    bolt = result["commands"]["import slack_bolt"]["median"]
    result["ratio_median"] = ratio(ours, bolt)
    return result


# --- 4. digest at scale ------------------------------------------------------------------------


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


def _answers(pipeline: Any, now: datetime, repeats: int) -> dict[str, Any]:
    """Per command: the first call on a fresh Pipeline (templates precompiled and the digest's
    derived views built, as `serve` does at start), repeated calls at the same `now` (reusing
    any answer cached per minute), and repeated calls each a minute later (rendered every time,
    as when a command comes once a minute or less)."""
    out: dict[str, Any] = {}
    for text in COMMANDS:
        gc.collect()
        started = time.perf_counter()
        reply = pipeline.respond(text, now)
        first = (time.perf_counter() - started) * 1000
        same, fresh = [], []
        for later in _minutes(now + timedelta(minutes=1), repeats):
            started = time.perf_counter()
            pipeline.respond(text, now)
            middle = time.perf_counter()
            pipeline.respond(text, later)
            fresh.append((time.perf_counter() - middle) * 1000)
            same.append((middle - started) * 1000)
        out[text] = {
            "first_ms": first,
            "repeated_ms": summary(same, "ms"),
            "new_minute_ms": summary(fresh, "ms"),
            "messages": len(reply.messages),
            "blocks": sum(len(m.blocks) for m in reply.messages),
            "json_bytes": len(json.dumps([m.payload() for m in reply.messages])),
        }
    return out


def bench_digest(cfg: Config, profile: bool) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from bench.gen_digest import generate
    from bot.knowledge.loader import load_digest
    from bot.queries import prepare
    from bot.rendering.renderer import Renderer
    from bot.settings import DEFAULT_KNOWLEDGE_DIR, DEFAULT_TEMPLATES_DIR

    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "knowledge"
        started = time.perf_counter()
        result["generated"] = generate(directory, cfg.digest_meetings, cfg.digest_items)
        result["generate_seconds"] = time.perf_counter() - started

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
        child = subprocess.run(
            [sys.executable, "-m", "bench.run", "--child-rss", str(directory)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        result["rss"] = json.loads(child.stdout)

        last = max(m.date.first for m in digest.meetings if m.date.first is not None)
        now = datetime(last.year, last.month, last.day, 9, 0, tzinfo=UTC) + timedelta(days=14)
        result["now"] = now.isoformat()
        started = time.perf_counter()
        renderer = Renderer(DEFAULT_TEMPLATES_DIR, precompile=True)
        result["template_compile_ms"] = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        prepare(digest, ZoneInfo("UTC"))
        result["prepare_ms"] = (time.perf_counter() - started) * 1000
        pipeline = Pipeline(DigestHolder(digest), renderer, ZoneInfo("UTC"))
        result["answers"] = _answers(pipeline, now, cfg.answer_repeats)
        if profile:
            listings: dict[str, Any] = {}
            for text in COMMANDS:
                with profiled(listings, text, True):
                    for later in _minutes(now + timedelta(days=3), max(3, cfg.answer_repeats // 3)):
                        pipeline.respond(text, later)
            result["answer_profiles"] = listings

        real = Pipeline(
            load_digest(DEFAULT_KNOWLEDGE_DIR),
            Renderer(DEFAULT_TEMPLATES_DIR, precompile=True),
            ZoneInfo("UTC"),
        )
        result["reference_real_digest"] = {
            "now": REHEARSAL_NOW.isoformat(),
            "answers": _answers(real, REHEARSAL_NOW, cfg.answer_repeats * 20),
        }
    return result


# --- 5. reminder fan-out -----------------------------------------------------------------------


def bench_fanout(cfg: Config, profile: bool) -> dict[str, Any]:
    from bench.reminders_fanout import UNTHROTTLED, run

    result: dict[str, Any] = {}
    with profiled(result, "unthrottled_profile", profile):
        result["unthrottled"] = run(cfg.fanout_channels, UNTHROTTLED, 1.0)
    work = result["unthrottled"]["seconds"]
    result["throttled"] = run(cfg.fanout_channels, cfg.fanout_rate, cfg.fanout_window, None, work)
    return result


# --- the table ---------------------------------------------------------------------------------


@dataclass
class Row:
    measurement: str
    ours: str
    reference: str
    ratio_goal: str
    met: str  # "yes", "NO", or "" (no goal: information)


def _met(ok: bool | None) -> str:
    return "" if ok is None else ("yes" if ok else "NO")


def _rows(sections: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    d = sections.get("dispatch")
    labels = {"ours": "", "ours-uncached": ", new minute each"}
    if d:
        for text, c in d["commands"].items():
            for kind, label in labels.items():
                r = c[f"{kind}_ratio_median"]
                rows.append(
                    Row(
                        f"dispatch /sco {text}{label} (median; p99)",
                        f"{c[kind]['median']:.0f} µs; {c[kind]['p99']:.0f} µs",
                        f"bare {c['bare']['median']:.0f} µs; {c['bare']['p99']:.0f} µs",
                        f"{r:.2f}× (p99 {c[f'{kind}_ratio_p99']:.2f}×) / ≤1.25×",
                        _met(r <= 1.25),
                    )
                )
    h = sections.get("http")
    if h:
        for conc, e in h["concurrency"].items():
            b = e["bare"]
            for kind, label in labels.items():
                o = e[kind]
                r = e[f"{kind}_throughput_ratio"]
                rows.append(
                    Row(
                        f"http /sco brief{label} c={conc} req/s",
                        f"{o['requests_per_second']:.0f}",
                        f"bare {b['requests_per_second']:.0f}",
                        f"{r:.2f}× / ≥0.8×",
                        _met(r >= 0.8),
                    )
                )
                if o["latency_ms"] and b["latency_ms"]:
                    p99 = o["latency_ms"]["p99"]
                    bare_ms = b["latency_ms"]
                    rows.append(
                        Row(
                            f"http /sco brief{label} c={conc} p50; p99",
                            f"{o['latency_ms']['median']:.2f}; {p99:.2f} ms",
                            f"bare {bare_ms['median']:.2f}; {bare_ms['p99']:.2f} ms",
                            "p99 < 20 ms" if conc == "16" else "",
                            _met(p99 < 20) if conc == "16" else "",
                        )
                    )
            errors = sum(e[k]["errors"] + e[k]["non_200"] for k in APPS)
            if errors:
                rows.append(Row(f"http c={conc} failed requests", str(errors), "", "0", "NO"))
    c = sections.get("cold")
    if c:
        cmds = c["commands"]
        ours, bolt = cmds["sco-bot ask brief"], cmds["import slack_bolt"]
        rows.append(
            Row(
                f"cold start sco-bot ask brief (median, {c['method']})",
                f"{ours['median']:.0f} ms",
                f"import slack_bolt {bolt['median']:.0f} ms "
                f"(python {cmds['python -c pass']['median']:.0f} ms)",
                f"{c['ratio_median']:.2f}× / ≤1.00×",
                _met(c["ratio_median"] <= 1.0),
            )
        )
    g = sections.get("digest")
    if g:
        gen = g["generated"]
        size = f"{gen['meetings']} meetings, {gen['items']} items"
        load = g["load_seconds"]["median"]
        rows.append(
            Row(
                f"load_digest ({size})",
                f"{load * 1000:.0f} ms",
                "",
                "< 1000 ms",
                _met(load < 1.0),
            )
        )
        rows.append(
            Row(
                "load_digest memory (tracemalloc peak; RSS growth)",
                f"{g['tracemalloc']['peak_mb']:.0f} MB; {g['rss']['peak_rss_growth_mb']:.0f} MB",
                f"RSS peak {g['rss']['peak_rss_mb']:.0f} MB",
                "",
                "",
            )
        )
        rows.append(
            Row(
                "at start, as serve does: templates compiled; derived views built",
                f"{g['template_compile_ms']:.0f} ms; {g['prepare_ms']:.0f} ms",
                "",
                "",
                "",
            )
        )
        real = g["reference_real_digest"]["answers"]
        kinds = {
            "first call": lambda a: a["first_ms"],
            "repeated, median": lambda a: a["repeated_ms"]["median"],
            "new minute each, median": lambda a: a["new_minute_ms"]["median"],
        }
        for text, a in g["answers"].items():
            for label, figure in kinds.items():
                rows.append(
                    Row(
                        f"answer /sco {text} at scale ({label})",
                        f"{figure(a):.2f} ms ({a['blocks']} blocks)",
                        f"real digest {figure(real[text]):.2f} ms",
                        "< 5 ms",
                        _met(figure(a) < 5),
                    )
                )
    f = sections.get("fanout")
    if f:
        t, u = f["throttled"], f["unthrottled"]
        rows.append(
            Row(
                f"fan-out {t['channels']} channels ({t['reminders_expected']} reminders), "
                f"{t['calls_per_window']}/{t['rate_window_seconds']:g}s window",
                f"{t['seconds']:.1f} s",
                f"floor {t['floor_seconds']:.1f} s (naive {t['naive_floor_seconds']:.1f} s; "
                f"with work {t['work_floor_seconds']:.1f} s; unthrottled {u['seconds']:.1f} s)",
                f"{t['ratio_to_floor']:.2f}× / ≤1.10×" if t["ratio_to_floor"] else "n/a",
                _met(t["ratio_to_floor"] is not None and t["ratio_to_floor"] <= 1.1),
            )
        )
        rows.append(
            Row(
                "fan-out lost; doubled",
                f"{t['lost']}; {t['doubled']}",
                f"unthrottled {u['lost']}; {u['doubled']}",
                "0; 0",
                _met(t["lost"] == t["doubled"] == u["lost"] == u["doubled"] == 0),
            )
        )
    return rows


def print_table(rows: list[Row], out: Any = sys.stdout) -> None:
    header = Row("measurement", "ours", "reference", "ratio / goal", "met?")
    table = [header, *rows]
    widths = [max(len(getattr(r, name)) for r in table) for name in asdict(header)]
    names = list(asdict(header))
    for i, row in enumerate(table):
        cells = [getattr(row, name).ljust(w) for name, w in zip(names, widths, strict=True)]
        print(" | ".join(cells).rstrip(), file=out)
        if i == 0:
            print("-+-".join("-" * w for w in widths), file=out)


# --- machine and code ----------------------------------------------------------------------------


def _cpu_model() -> str | None:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or None


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in ("slack_bolt", "slack_sdk", "jinja2", "pydantic", "pyyaml", "waitress"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _code_state() -> dict[str, Any]:
    """Which code was measured: the commit, whether bot/ or templates/ differ from it, and a
    hash of their current contents (bot/ may be edited while benchmarks run)."""
    content = hashlib.sha256()
    for folder in ("bot", "templates", "knowledge"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                content.update(str(path.relative_to(ROOT)).encode())
                content.update(path.read_bytes())
    state: dict[str, Any] = {"content_sha256": content.hexdigest()[:16]}
    try:
        git = ["git", "-C", str(ROOT)]
        state["commit"] = subprocess.run(
            [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        state["uncommitted"] = subprocess.run(
            [*git, "status", "--porcelain", "--", "bot", "templates", "knowledge", "bench"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        state["commit"] = None
    return state


def machine() -> dict[str, Any]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "cpu": _cpu_model(),
        "python": sys.version,
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": _versions(),
        "hyperfine": shutil.which("hyperfine"),
        "wrk": shutil.which("wrk"),
        "loadavg": _loadavg(),
    }


def _loadavg() -> list[float] | None:
    """1, 5 and 15 minute load averages: others' work on the machine skews every figure."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


# --- main --------------------------------------------------------------------------------------

SECTIONS: dict[str, Callable[[Config, bool], dict[str, Any]]] = {
    "dispatch": bench_dispatch,
    "http": bench_http,
    "cold": bench_cold,
    "digest": bench_digest,
    "fanout": bench_fanout,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (under ~45 s)")
    parser.add_argument("--out", default="bench-results.json", help="JSON file to write")
    parser.add_argument(
        "--only", action="append", choices=list(SECTIONS), help="run only this section (repeat)"
    )
    parser.add_argument("--profile", action="store_true", help="add cProfile listings")
    parser.add_argument("--child-rss", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_rss:
        print(json.dumps(child_rss(Path(args.child_rss))))
        return 0

    cfg = QUICK if args.quick else FULL
    started = time.perf_counter()
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "code": _code_state(),
        "config": asdict(cfg),
        "goals": {
            "dispatch": "ours/bare median ≤ 1.25× per command",
            "http": "ours ≥ 0.8× bare requests/s; ours p99 < 20 ms at concurrency 16",
            "cold": "sco-bot ask brief no slower than python -c 'import slack_bolt'",
            "digest": "load_digest < 1 s at 50 meetings / 10,000 items; each answer < 5 ms",
            "fanout": "≤ 1.1× the floor the windowed rate implies; nothing lost or doubled",
        },
        "sections": {},
        "section_seconds": {},
        "errors": {},
    }
    for name in args.only or SECTIONS:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        began = time.perf_counter()
        try:
            results["sections"][name] = SECTIONS[name](cfg, args.profile)
        except Exception:
            results["errors"][name] = traceback.format_exc()
            print(f"bench: {name} crashed:\n{results['errors'][name]}", file=sys.stderr)
        results["section_seconds"][name] = round(time.perf_counter() - began, 2)
        print(f"bench: {name} {results['section_seconds'][name]:.1f} s", file=sys.stderr)
    rows: list[Row] = []
    try:
        rows = _rows(results["sections"])
    except Exception:
        results["errors"]["table"] = traceback.format_exc()
        print(f"bench: table crashed:\n{results['errors']['table']}", file=sys.stderr)
    results["table"] = [asdict(r) for r in rows]
    results["goals_missed"] = [r.measurement for r in rows if r.met == "NO"]
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["code_after"] = _code_state()
    results["loadavg_end"] = _loadavg()
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print()
    print_table(rows)
    print(
        f"\n{results['mode']} run, {results['seconds']:.0f} s, "
        f"{machine()['cores']} cores, Python {platform.python_version()}; "
        f"{len(results['goals_missed'])} goals missed; figures in {args.out}"
    )
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
    if results["errors"]:
        print(f"bench: crashed: {', '.join(results['errors'])}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
