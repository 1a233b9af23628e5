"""The digest read and reloaded (bot/knowledge/reload.py, issue 12 items 4 and 8): a timezone that
is a folder is a located problem and a reload reported to the admins, special files never
hang a check or a reload, and half-written edits are not served."""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from bot.knowledge.digest import Digest
from bot.knowledge.errors import DigestError
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.knowledge.reload import DigestReloader
from testkit.waiting import wait_until
from tests.conftest import TEST_DIGEST
from tests.unit.test_settings import cli

TIMEZONE_LINE = re.compile(r"^(\s*timezone:) *\S+ *$", re.M)


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(TEST_DIGEST, target)
    return target


def set_first_timezone(directory: Path, name: str) -> int:
    """Point the digest's first `timezone:` at `name`; return its line."""
    meetings = directory / "meetings.yaml"
    text = meetings.read_text(encoding="utf-8")
    found = TIMEZONE_LINE.search(text)
    assert found, "the digest names no timezone"
    meetings.write_text(
        text[: found.start()] + f"{found.group(1)} {name}" + text[found.end() :], encoding="utf-8"
    )
    return text[: found.start()].count("\n") + 1


@pytest.mark.parametrize("name", ["Asia", "A" * 300])
def test_a_digest_timezone_that_is_a_folder_is_a_located_problem(
    knowledge: Path, name: str
) -> None:
    line = set_first_timezone(knowledge, name)

    with pytest.raises(DigestError) as refused:
        load_digest(knowledge)
    located = [str(p) for p in refused.value.problems if p.line == line]
    assert located and "is not an IANA timezone" in located[0], refused.value.problems

    result = cli({}, "knowledge", "check", str(knowledge))
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert located[0] in result.stderr.splitlines()


def test_a_reload_with_a_folder_timezone_is_reported_to_the_admins(knowledge: Path) -> None:
    holder = DigestHolder(load_digest(knowledge))
    refused: list[DigestError] = []
    reloader = DigestReloader(holder, knowledge, 60, lambda _d: None, refused.append)
    set_first_timezone(knowledge, "Asia")

    assert reloader.check(force=True) is False
    assert len(refused) == 1 and "'Asia' is not an IANA timezone" in str(refused[0])


# --- item 8: special files never hang a check or a reload; half-written edits are not served ---


def test_a_fifo_as_a_source_file_is_a_problem_not_a_hang(knowledge: Path) -> None:
    sources = knowledge / "sources"
    victim = sorted(p for p in sources.iterdir() if p.suffix == ".txt")[0]
    victim.unlink()
    os.mkfifo(victim)

    result = cli({}, "knowledge", "check", str(knowledge), timeout=30)
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert f"sources/{victim.name} is not a regular file" in result.stderr


def test_a_fifo_as_the_meetings_file_does_not_hang_a_reload(knowledge: Path) -> None:
    holder = DigestHolder(load_digest(knowledge))
    refused: list[DigestError] = []
    reloader = DigestReloader(holder, knowledge, 60, lambda _d: None, refused.append)
    (knowledge / "meetings.yaml").unlink()
    os.mkfifo(knowledge / "meetings.yaml")

    done = threading.Event()
    outcome: list[bool] = []
    thread = threading.Thread(
        target=lambda: (outcome.append(reloader.check(force=True)), done.set()), daemon=True
    )
    thread.start()
    assert done.wait(30), "the reload hung on a FIFO"
    assert outcome == [False]
    assert "not a regular file" in str(refused[0])


def test_an_edit_made_while_the_digest_is_being_loaded_is_not_swapped_in(
    knowledge: Path,
) -> None:
    """The files changed between the stable check and the swap: what was read may be half of
    an edit. It is not served; the finished edit is, once it is stable."""
    holder = DigestHolder(load_digest(knowledge))
    meetings = knowledge / "meetings.yaml"
    original = meetings.read_text(encoding="utf-8")
    writes = iter([original + "\n# half-way\n", original + "\n# finished edit\n"])

    def prepare(_digest: Digest) -> None:
        # An editor writing while the reloader reads (prepare runs between load and swap).
        for text in writes:
            meetings.write_text(text, encoding="utf-8")
            break

    swapped: list[str] = []
    reloader = DigestReloader(
        holder, knowledge, 60, lambda d: swapped.append(d.version), print, prepare=prepare
    )
    meetings.write_text(original + "\n# first save\n", encoding="utf-8")

    assert reloader.check(force=True) is False  # read, then changed under it: not served
    assert swapped == []
    assert reloader.check(force=True) is False  # "half-way" read, then finished: not served
    assert swapped == []
    assert reloader.check(force=True) is True  # stable now
    assert swapped == [load_digest(knowledge).version]


def test_the_periodic_reload_waits_for_a_two_step_write_to_finish(knowledge: Path) -> None:
    """Both steps of a non-atomic save are valid digests: only the last is ever swapped in."""
    holder = DigestHolder(load_digest(knowledge))
    meetings = knowledge / "meetings.yaml"
    original = meetings.read_text(encoding="utf-8")
    swapped: list[str] = []
    reloader = DigestReloader(holder, knowledge, 0.2, lambda d: swapped.append(d.version), print)
    reloader.start()
    try:
        meetings.write_text(original + "\n# step one\n", encoding="utf-8")
        meetings.write_text(original + "\n# step two, the finished save\n", encoding="utf-8")
        final = load_digest(knowledge).version
        assert wait_until(lambda: bool(swapped), timeout=30)
    finally:
        reloader.stop()
    assert swapped == [final]
