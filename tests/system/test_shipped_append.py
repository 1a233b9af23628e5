"""A curator appends a meeting to the shipped digest: the tests of the shipped content still
pass. They name their meeting by id and their time by date, so a second meeting (here an
invented one, tests/digests/shipped-append/) changes nothing they check."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testkit import questions
from tests.conftest import PROJECT

APPEND = PROJECT / "tests" / "digests" / "shipped-append"
COPIED = (
    "bot",
    "testkit",
    "bench",
    "templates",
    "knowledge",
    "tests",
    "pyproject.toml",
    "README.md",
)


def append_meeting(knowledge: Path) -> None:
    """Append the invented meeting to a digest directory, as a curator would."""
    questions.append_meeting(knowledge, APPEND)


def test_the_appended_meeting_is_a_valid_digest(tmp_path: Path) -> None:
    from bot.knowledge.loader import load_digest

    knowledge = shutil.copytree(PROJECT / "knowledge", tmp_path / "knowledge")
    append_meeting(knowledge)
    digest = load_digest(knowledge)
    assert [m.id for m in digest.meetings][-1] == "example-defmin-2022-tashkent"


@pytest.mark.slow
def test_the_shipped_digests_tests_pass_after_a_curator_appends_a_meeting(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for name in COPIED:
        source = PROJECT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / name)
    append_meeting(project / "knowledge")
    env = {**os.environ, "PYTHONPATH": str(project), "SCO_CACHE_DIR": "off"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",  # in this worker: the few shipped-digest tests are not worth starting workers
            "-m",
            "shipped_digest",
            "--ignore=tests/system/test_shipped_append.py",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "passed" in result.stdout
    # The copy's own digest was used: its `bot` package and knowledge/ are the copy's.
    check = subprocess.run(
        [sys.executable, "-c", "import bot.settings as s; print(s.DEFAULT_KNOWLEDGE_DIR)"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.stdout.strip() == str(project / "knowledge")
