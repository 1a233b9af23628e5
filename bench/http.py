"""2. http: requests/s and p50/p99 of the realistic mix (bench.config.MIX, signed `/sco`
requests by forty users) through the production HTTP stack (bot.slack.http: waitress) in a
separate process, concurrency 1 and 16, ours in each cache state (bench.apps.CACHE_STATES) vs
the bare app behind the same stack. `python -m bench.http [--quick]`.

Servers and load generator are `python -m bench.http_load serve|load` child processes, so that
the load generator never shares a server's GIL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.apps import APPS, OURS, SIZED
from bench.config import ROOT, Config, run_alone
from bench.figures import ratio, summary

GOAL = "ours ≥ 0.8× bare requests/s; ours p99 < 20 ms at concurrency 16"
CONCURRENCY = (1, 16)
SERVED = (*APPS, SIZED)


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
        """Wait for the child's `PORT <n>` line; return the port."""
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
        """The last of what the child wrote to stderr."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def stop(self) -> None:
        """Close the child's stdin (it stops serving) and wait for it."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


def _load(port: int, concurrency: int, requests: int, seconds: float) -> dict[str, Any]:
    """`python -m bench.http_load load ...` against one server; its JSON figures."""
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


def measure(cfg: Config, profile: bool) -> dict[str, Any]:
    """All servers up (ours in each cache state, bare, bare answering with our answers' sizes);
    for each concurrency, two rounds of each in mirrored order (A B C C B A), half the time
    each, merged."""
    servers = {kind: Server(kind, cfg.http_threads) for kind in SERVED}
    result: dict[str, Any] = {
        "text": "the realistic mix (bench.config.MIX, forty users)",
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
        for concurrency in CONCURRENCY:
            rounds = _rounds(servers, concurrency, cfg)
            result["concurrency"][str(concurrency)] = _merged(rounds)
    finally:
        for server in servers.values():
            server.stop()
    return result


def _rounds(servers: dict[str, Server], concurrency: int, cfg: Config) -> dict[str, list[Any]]:
    """Each server loaded twice, in mirrored order, with its CPU time over each round."""
    rounds: dict[str, list[dict[str, Any]]] = {kind: [] for kind in SERVED}
    for kind in (*SERVED, *reversed(SERVED)):
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
    return rounds


def _merged(rounds: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """One entry per app from its rounds, and throughput relative to bare (ours' also relative
    to bare-sized: what our code costs beyond the bytes of its answers)."""
    entry: dict[str, Any] = {kind: _app_figures(runs) for kind, runs in rounds.items()}
    for kind in (*OURS, SIZED):
        entry[f"{kind}_throughput_ratio"] = ratio(
            entry[kind]["requests_per_second"], entry["bare"]["requests_per_second"]
        )
    for kind in OURS:
        entry[f"{kind}_throughput_ratio_to_sized"] = ratio(
            entry[kind]["requests_per_second"], entry[SIZED]["requests_per_second"]
        )
    return entry


def _app_figures(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Throughput, server CPU, failures and latency of one app over its rounds."""
    latencies = [v / 1000 for r in runs for v in r["latencies_us"]]
    ok = sum(r["ok"] for r in runs)
    seconds = sum(r["seconds"] for r in runs)
    cpu = [r.get("server_cpu_seconds") for r in runs]
    cpu_total = sum(c for c in cpu if c is not None) if None not in cpu else None
    return {
        "requests_per_second": ok / seconds if seconds else 0.0,
        # CPU the server process spent per request (all its threads), and its share of one
        # core: near 1.0 means one GIL-bound process is saturated.
        "server_cpu_us_per_request": cpu_total / ok * 1e6 if cpu_total and ok else None,
        "server_cores_busy": cpu_total / seconds if cpu_total and seconds else None,
        "ok": ok,
        "errors": sum(r["errors"] for r in runs),
        "non_200": sum(r["completed"] - r["ok"] for r in runs),
        "latency_ms": summary(latencies, "ms", raw=False) if latencies else None,
        "response_bytes": runs[-1]["response_bytes"],
        "rounds": runs,
    }


if __name__ == "__main__":
    sys.exit(run_alone("http", measure, __doc__.split("\n\n")[0]))
