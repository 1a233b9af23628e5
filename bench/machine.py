"""What the figures were measured on: the machine, the interpreter, the libraries, the code."""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.config import ROOT

# The code and data a figure depends on (testkit/: the fake Slack the benchmarks call).
MEASURED = ("bot", "testkit", "templates", "knowledge")


def _cpu_model() -> str | None:
    """The CPU's model name (Linux), else what platform says."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or None


def _versions() -> dict[str, str | None]:
    """Versions of the libraries the figures depend on."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in ("slack_bolt", "slack_sdk", "jinja2", "pydantic", "pyyaml", "waitress"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def code_state() -> dict[str, Any]:
    """Which code was measured: the commit, whether bot/ or templates/ differ from it, and a
    hash of their current contents (bot/ may be edited while benchmarks run)."""
    content = hashlib.sha256()
    for folder in MEASURED:
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
            [*git, "status", "--porcelain", "--", *MEASURED, "bench"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        state["commit"] = None
    return state


def machine() -> dict[str, Any]:
    """The machine and interpreter the figures come from."""
    usable: int | None
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
        "loadavg": loadavg(),
    }


def loadavg() -> list[float] | None:
    """1, 5 and 15 minute load averages: others' work on the machine skews every figure."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None
