"""3. cold: `sco-bot ask` as a whole process (SLACK_*/SCO_* removed from the environment) in
each cache state (every cache off; the digest and template caches warm but the answer cache
off; an answer cache hit), and on the new surfaces (a question, compare) with every cache off,
vs `python -c "import slack_bolt"` and `python -c pass`, with `python -X importtime` listings.
`python -m bench.cold_start [--quick]`.

hyperfine times the processes when installed; else they are timed here with subprocess,
interleaved, after two warm-up rounds."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.config import Config, run_alone
from bench.figures import clean_env, ratio, summary

GOAL = (
    "sco-bot ask (brief, a question, compare) with every cache off no slower than "
    "python -c 'import slack_bolt'"
)


def _sco_bot() -> str:
    """The installed `sco-bot` script (beside this Python first)."""
    beside = Path(sys.executable).parent / "sco-bot"
    found = str(beside) if beside.exists() else shutil.which("sco-bot")
    if not found:
        raise RuntimeError("sco-bot is not installed (pip install -e .)")
    return found


def _hyperfine(commands: dict[str, list[str]], runs: int, cwd: str) -> dict[str, Any]:
    """Each command timed by hyperfine (no shell, two warm-up runs)."""
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
    """Each command timed here, interleaved (order alternating), after two warm-up rounds."""
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


def _importtime(
    command: list[str], cwd: str, top: int = 10, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """`python -X importtime` of the command: where its imports spend their time."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command],
        cwd=cwd,
        env={**clean_env(), **(env or {})},
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


def _cases(cache: str) -> dict[str, list[str]]:
    """Each process measured, as argv (through `env`, so that each sets its own cache state;
    the references pay for `env` too)."""
    ask = ["env", f"SCO_CACHE_DIR={cache}", _sco_bot(), "ask"]
    warm = ["env", f"SCO_CACHE_DIR={cache}", "SCO_ANSWER_CACHE_MB=0", _sco_bot(), "ask"]
    off = ["env", "SCO_CACHE_DIR=off", _sco_bot(), "ask"]
    python = ["env", sys.executable]
    return {
        EVERY_CACHE_OFF: [*off, "brief"],
        "sco-bot ask 'who hosted the meeting?', uncached: every cache off": [*off, QUESTION],
        "sco-bot ask compare, uncached: every cache off": [*off, "compare"],
        f"{ASK_BRIEF}, digest and template caches warm, answer cache off": [*warm, "brief"],
        "sco-bot ask 'who hosted the meeting?', digest and template caches warm, answer cache "
        "off": [*warm, QUESTION],
        "sco-bot ask compare, digest and template caches warm, answer cache off": [
            *warm,
            "compare",
        ],
        f"{ASK_BRIEF}, cached: answer cache hit (same minute)": [*ask, "brief"],
        BOLT: [*python, "-c", "import slack_bolt"],
        PASS: [*python, "-c", "pass"],
    }


ASK_BRIEF = "sco-bot ask brief"
EVERY_CACHE_OFF = f"{ASK_BRIEF}, uncached: every cache off"
QUESTION = "who hosted the meeting?"
BOLT = "import slack_bolt"
PASS = "python -c pass"


def measure(cfg: Config, profile: bool) -> dict[str, Any]:
    """Whole processes, SLACK_*/SCO_* removed from the environment, in a scratch directory with
    its own cache directory (warmed by the two warm-up rounds)."""
    result: dict[str, Any] = {"runs": cfg.cold_runs, "commands": {}}
    with tempfile.TemporaryDirectory() as cwd:
        commands = _cases(str(Path(cwd) / "cache"))
        result["argv"] = {name: shlex.join(argv) for name, argv in commands.items()}
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
        result["importtime"] = _importtime(
            commands[EVERY_CACHE_OFF][2:], cwd, env={"SCO_CACHE_DIR": "off"}
        )
        result["importtime_slack_bolt"] = _importtime(["-c", "import slack_bolt"], cwd, top=5)
    bolt = result["commands"][BOLT]["median"]
    result["ratios_median"] = {
        name: ratio(figures["median"], bolt)
        for name, figures in result["commands"].items()
        if name.startswith("sco-bot")
    }
    return result


if __name__ == "__main__":
    sys.exit(run_alone("cold", measure, __doc__.split("\n\n")[0], module="bench.cold_start"))
