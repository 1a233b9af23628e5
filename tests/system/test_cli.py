"""The `sco-bot` command run as a real subprocess (`python -m bot.cli`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from testkit import servers
from testkit.fakeslack import FakeSlack, block_kit_problems
from testkit.servers import sco_bot_serve
from tests.conftest import (
    BOT_TOKEN,
    PROJECT,
    SIGNING_SECRET,
    TEST_DIGEST,
    signed_headers,
    slash_body,
)

TIMEOUT = 20.0
TITLE = "18th meeting of the SCO Council of Defence Ministers"


def clean_env(**values: str) -> dict[str, str]:
    """A clean environment (no Slack or SCO setting) on the test digest, plus `values`."""
    return servers.clean_env(**{"SCO_KNOWLEDGE_DIR": str(TEST_DIGEST), **values})


def sco_bot(
    *args: str, input: str | None = None, env: dict[str, str] | None = None, cwd: Path = PROJECT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=input,
        capture_output=True,
        text=True,
        env=env or clean_env(),
        cwd=cwd,
        timeout=TIMEOUT,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


# --- ask ---------------------------------------------------------------------------------------


def test_ask_brief_prints_the_meeting() -> None:
    result = sco_bot("ask", "brief")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == TITLE
    assert "Wei Fenghe" in result.stdout
    assert result.stderr == ""


def test_ask_upcoming_at_the_meeting_counts_down_to_the_festival() -> None:
    result = sco_bot("ask", "upcoming", "--at", "2021-07-29")

    assert result.returncode == 0, result.stderr
    [festival] = [line for line in result.stdout.splitlines() if "Fanfares of Peace" in line]
    assert "in 81 days" in festival
    assert "As of 29 July 2021 00:00 UTC" in result.stdout


def test_ask_sources_as_blocks_prints_a_slack_message() -> None:
    result = sco_bot("ask", "sources", "--format", "blocks")

    assert result.returncode == 0, result.stderr
    message = json.loads(result.stdout)
    assert set(message) >= {"text", "blocks"}
    assert message["blocks"][0]["text"]["text"] == "Source documents"
    assert block_kit_problems(message) == []


def test_ask_with_a_bad_date_is_a_one_line_usage_error() -> None:
    line = assert_one_line_error(sco_bot("ask", "--at", "nonsense", "brief"))
    assert "--at 'nonsense'" in line


def test_an_unknown_command_is_a_one_line_usage_error() -> None:
    line = assert_one_line_error(sco_bot("bogus"))
    assert "bogus" in line


def test_malformed_settings_are_all_named_at_once() -> None:
    env = clean_env(SCO_TIMEZONE="Mars/Olympus", SLACK_API_URL="ftp://x")
    result = sco_bot("ask", "brief", env=env)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "SCO_TIMEZONE 'Mars/Olympus'" in result.stderr
    assert "SLACK_API_URL" in result.stderr and "ftp://x" in result.stderr
    assert result.stdout == ""


def test_serve_without_slack_credentials_names_both() -> None:
    result = sco_bot("serve", "--port", "0", "--host", "127.0.0.1")

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "SLACK_BOT_TOKEN" in result.stderr
    assert "SLACK_SIGNING_SECRET" in result.stderr


# --- console -----------------------------------------------------------------------------------


def test_console_answers_until_quit() -> None:
    result = sco_bot("console", "--at", "2021-10-10", input="brief\nupcoming\nquit\nsources\n")

    assert result.returncode == 0, result.stderr
    assert TITLE in result.stdout
    assert "in 8 days" in result.stdout
    assert "Source documents" not in result.stdout  # after quit
    assert "Traceback" not in result.stderr


def test_console_ends_at_end_of_input() -> None:
    result = sco_bot("console", input="/sco help\n")

    assert result.returncode == 0, result.stderr
    assert "/sco — briefings on SCO meetings" in result.stdout


# --- knowledge check ---------------------------------------------------------------------------


@pytest.mark.shipped_digest
def test_knowledge_check_accepts_the_shipped_digest() -> None:
    result = sco_bot("knowledge", "check", str(PROJECT / "knowledge"))

    assert result.returncode == 0, result.stderr
    assert re.search(r"valid \(version [0-9a-f]+; \d+ meetings?", result.stdout), result.stdout


def test_knowledge_check_accepts_a_digest_and_counts_it() -> None:
    result = sco_bot("knowledge", "check", str(TEST_DIGEST))

    assert result.returncode == 0, result.stderr
    assert re.search(r"valid \(version [0-9a-f]+; 1 meeting, ", result.stdout), result.stdout


def test_knowledge_check_points_at_a_quote_missing_from_its_source(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(TEST_DIGEST, knowledge)
    meetings = knowledge / "meetings.yaml"
    lines = meetings.read_text(encoding="utf-8").splitlines(keepends=True)
    target = next(i for i, line in enumerate(lines) if line.strip().startswith("quote: "))
    lines[target] = lines[target].replace("quote: ", "quote: Not in any source, ", 1)
    meetings.write_text("".join(lines), encoding="utf-8")

    result = sco_bot("knowledge", "check", str(knowledge))

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    expected = (
        f"knowledge/meetings.yaml:{target + 1}: meetings[0].sources[0].quote: "
        "quote not found verbatim"
    )
    assert expected in result.stderr, result.stderr


def test_knowledge_check_of_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    line = assert_one_line_error(sco_bot("knowledge", "check", str(tmp_path / "absent")))
    assert "absent is not a directory" in line


# --- serve -------------------------------------------------------------------------------------


def test_serve_answers_a_signed_command_over_http(fake_slack: FakeSlack, tmp_path: Path) -> None:
    env = clean_env(
        SCO_DATABASE_URL=f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
        SCO_CLOCK="2021-07-29T09:00",
    )
    with sco_bot_serve(env, TIMEOUT) as (_, url, _):
        body = slash_body("brief", fake_slack.response_url())
        req = urllib.request.Request(url, data=body.encode(), headers=signed_headers(body))
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            assert resp.status == 200
            data = json.loads(resp.read())
        assert data["blocks"][0]["text"]["text"] == TITLE
        # The instant as Slack's date token (each reader's zone), the server's zone as fallback.
        assert "as of <!date^1627549200^{date_short} {time}|29 July 2021 09:" in json.dumps(data)
        # The token is checked once, in the background: the answer did not wait for it.
        calls = fake_slack.wait_for(lambda calls: len(calls) >= 1, TIMEOUT)
        assert [c.method for c in calls] == ["auth.test"]


# --- version and the terminal as a terminal -----------------------------------------------------


def test_version_prints_the_installed_version() -> None:
    from importlib.metadata import version

    result = sco_bot("--version")

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"sco-bot {version('sco-bot')}\n"


class Terminal:
    """`sco-bot` with a pseudo-terminal for its stdin, stdout and stderr."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        import pty

        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**env, "TERM": "xterm-256color"},
            cwd=PROJECT,
        )
        os.close(slave)
        self.output = b""

    def read_until(self, done: Callable[[bytes], bool]) -> bytes:
        """Read the terminal until `done(output)` or the program ends (within TIMEOUT)."""
        import select

        deadline = time.monotonic() + TIMEOUT
        while not done(self.output) and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # EIO: the program ended and the terminal closed
                    break
                if not chunk:
                    break
                self.output += chunk
        return self.output

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def finish(self) -> bytes:
        self.read_until(lambda _: False)
        assert self.proc.wait(TIMEOUT) == 0, self.output
        os.close(self.master)
        return self.output


def test_ask_on_a_terminal_shows_real_bold_and_is_plain_when_piped_or_no_color() -> None:
    piped = sco_bot("ask", "brief", "--at", "2021-08-01")
    title = piped.stdout.splitlines()[0]
    styled = Terminal("ask", "brief", "--at", "2021-08-01", env=clean_env()).finish()
    no_color = Terminal("ask", "brief", "--at", "2021-08-01", env=clean_env(NO_COLOR="1")).finish()

    # Piped: plain text, without mrkdwn's markers; on a terminal, real bold where mrkdwn has it.
    assert "*When:*" not in piped.stdout and "When: 28 July 2021" in piped.stdout
    assert "\x1b[" not in piped.stdout
    assert f"\x1b[1m{title}\x1b[0m".encode() in styled
    assert b"\x1b[1mWhen:\x1b[0m" in styled  # real bold, not *asterisks*
    assert b"*When:*" not in styled
    assert b"\x1b[" not in no_color and title.encode() in no_color


def test_ask_blocks_on_a_terminal_is_exactly_the_slack_payload() -> None:
    piped = sco_bot("ask", "sources", "--format", "blocks")
    on_terminal = Terminal("ask", "sources", "--format", "blocks", env=clean_env()).finish()

    assert on_terminal.replace(b"\r\n", b"\n").decode() == piped.stdout


def test_console_recalls_the_previous_command_with_the_up_arrow(tmp_path: Path) -> None:
    title = sco_bot("ask", "brief", "--at", "2021-10-10").stdout.splitlines()[0].encode()
    env = clean_env(NO_COLOR="1", HOME=str(tmp_path), SCO_STATE_DIR=str(tmp_path / "state"))
    console = Terminal("console", "--at", "2021-10-10", env=env)

    console.read_until(lambda out: out.count(b"\n/sco ") >= 1)
    console.type(b"brief\r")
    console.read_until(lambda out: out.count(b"\n/sco ") >= 2)
    console.type(b"\x1b[A\r")  # up arrow: the line before, again
    console.read_until(lambda out: out.count(b"\n/sco ") >= 3)
    console.type(b"quit\r")
    output = console.finish()

    assert output.count(title) == 2, output
    history = (tmp_path / "state" / "console_history").read_text()
    assert "brief" in history.splitlines()


def test_ask_keeps_answers_on_disk_unless_the_answer_cache_is_off(tmp_path: Path) -> None:
    cached = tmp_path / "cached"
    assert sco_bot("ask", "brief", env=clean_env(SCO_CACHE_DIR=str(cached))).returncode == 0
    assert len(list((cached / "answers").iterdir())) == 1
    off = tmp_path / "off"
    # A fixed clock: the two answers must not straddle a minute (their stamps would differ).
    env = clean_env(SCO_CACHE_DIR=str(off), SCO_ANSWER_CACHE_MB="0", SCO_CLOCK="2021-07-29T09:00")
    first, again = sco_bot("ask", "brief", env=env), sco_bot("ask", "brief", env=env)
    assert first.returncode == again.returncode == 0 and first.stdout == again.stdout
    assert TITLE in first.stdout
    assert not (off / "answers").exists()  # rendered in full each time: nothing stored
    assert list(off.glob("digest-*.pickle"))  # the digest cache is not the answer cache
