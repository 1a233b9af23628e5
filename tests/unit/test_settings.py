"""Issue 12: bad settings, timezone names, special files and half-written edits each get a clear
answer (one line, or file:line), never a traceback or a hang."""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from slack_bolt import App

from bot.clock import Clock
from bot.knowledge.digest import Digest
from bot.knowledge.errors import DigestError
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.knowledge.reload import DigestReloader
from bot.pipeline import CACHE_BYTES, Pipeline
from bot.rendering.renderer import Renderer
from bot.services import build_services
from bot.settings import Settings, SettingsError, load_settings
from bot.slack.app import create_app
from testkit.fakeslack import FakeSlack, block_kit_problems
from testkit.servers import clean_env
from testkit.waiting import wait_until
from tests.conftest import PROJECT, TEST_DIGEST, send

CLI_TIMEOUT = 60.0
SECRET = "S3cr3tPW"
TIMEZONE_LINE = re.compile(r"^(\s*timezone:) *\S+ *$", re.M)


def cli(
    env: dict[str, str], *args: str, timeout: float = CLI_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    base = clean_env()
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=PROJECT,
        env={**base, "SCO_CACHE_DIR": "off", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --- item 5: every setting validated at start, in one line, never showing a secret ------------

BAD_SETTINGS = {
    "SCO_DATABASE_URL": f"mysql://admin:{SECRET}@db/x",
    "SCO_CLOCK": "0001-01-01T00:00+14:00",
    "SLACK_API_URL": "http://[::1",
    "SCO_SLACK_TIMEOUT": "inf",
    "SCO_RECONCILE_SECONDS": "inf",
    "SCO_RELOAD_SECONDS": "1e309",
    "SCO_TIMEZONE": "Europe",
    "SCO_KNOWLEDGE_DIR": "k" * 5000,
}
BAD_SETTINGS_TOO = {
    "SCO_SLACK_TIMEOUT": "1e10",
    "SCO_RECONCILE_SECONDS": "nan",
    "SCO_TIMEZONE": "A" * 300,
    "SLACK_API_URL": "http://host:99999/",
    "SCO_CLOCK": "9999-12-31T23:59-14:00",
    "SCO_DATABASE_URL": f"postgres+bad://u:{SECRET}@h/db",
    "SLACK_APP_TOKEN": "xapp" + SECRET,
}
MORE_BAD_SETTINGS = {
    "SCO_DATABASE_URL": f"postgresql://u:{SECRET}@db:99999/x",
    "SCO_ADMINS": "U1," + "U" * 500,
    "SLACK_BOT_TOKEN": SECRET,
}


@pytest.mark.parametrize(
    ("variable", "value"),
    [*BAD_SETTINGS.items(), *BAD_SETTINGS_TOO.items(), *MORE_BAD_SETTINGS.items()],
    ids=[
        f"{k}={v[:30]}"
        for k, v in [*BAD_SETTINGS.items(), *BAD_SETTINGS_TOO.items(), *MORE_BAD_SETTINGS.items()]
    ],
)
def test_a_bad_setting_is_one_line_naming_it_without_its_secret(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({variable: value})
    (problem,) = refused.value.problems
    assert problem.startswith(variable + " "), problem
    assert "\n" not in problem and len(problem) < 200, problem
    assert SECRET not in str(refused.value)


def test_bad_settings_are_all_listed_by_the_cli_in_one_line_each() -> None:
    result = cli(BAD_SETTINGS, "ask", "brief")
    assert result.returncode == 2, (result.stdout, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and SECRET not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert sorted(line.split()[1] for line in lines) == sorted(BAD_SETTINGS), lines


def test_a_database_url_password_is_masked_but_the_rest_is_shown() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"SCO_DATABASE_URL": f"mysql://admin:{SECRET}@db/x"})
    assert "mysql://admin:***@db/x" in str(refused.value)


def test_bounded_settings_at_their_limits_are_accepted() -> None:
    settings = load_settings(
        {
            "SCO_SLACK_TIMEOUT": "300",
            "SCO_RECONCILE_SECONDS": str(7 * 86400),
            "SCO_RELOAD_SECONDS": "0.1",
            "SCO_CLOCK": "1970-01-01T00:00Z",
            "SLACK_API_URL": "http://[::1]:8080/api",
        }
    )
    assert settings.slack_timeout_seconds == 300 and settings.slack_api_url.endswith("/api/")


# --- item 4: timezone names that are folders or too long ----------------------------------------


@pytest.fixture
def remind_app(settings: Settings, tmp_path: Path) -> Iterator[App]:
    configured = replace(settings, database_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    clock = Clock(start=datetime(2021, 10, 1, 12, 0, tzinfo=UTC))
    yield create_app(services=build_services(configured, clock, serving=True))


@pytest.mark.parametrize("name", ["Europe", "America/Argentina", "A" * 300])
def test_remind_with_a_folder_or_overlong_timezone_says_so(
    remind_app: App, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = send(remind_app, f"remind on 7d tz {name}")

    assert response.status == 200
    assert "is not an IANA timezone" in response.body, response.body[:500]
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


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


def test_serve_on_a_port_in_use_says_so_in_one_line(tmp_path: Path) -> None:
    """Issue 12, item 8: "address already in use" printed a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "secret",
            "SLACK_API_URL": "http://127.0.0.1:9/api/",
            "SCO_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        }
        result = cli(env, "serve", "--host", "127.0.0.1", "--port", str(port))

    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr


# --- item 7: the answer cache is bounded by memory and keeps only what can be hit ---------------


@pytest.fixture
def fresh_pipeline(digest: Digest, renderer: Renderer) -> Pipeline:
    return Pipeline(DigestHolder(digest), renderer, ZoneInfo("UTC"))


def test_distinct_40000_character_briefs_do_not_grow_memory_without_bound(
    fresh_pipeline: Pipeline,
) -> None:
    now = datetime(2021, 7, 29, 9, 0, tzinfo=UTC)
    fresh_pipeline.respond("brief", now)
    words = "ab " * 13_333  # 40,000 characters, 13,333 words: each word is kept in the key
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(300):
            fresh_pipeline.respond(f"brief {i} {words}", now)
        gc.collect()
        grown = (tracemalloc.get_traced_memory()[0] - before) / 1e6
    finally:
        tracemalloc.stop()

    print(f"\n300 distinct 40,000-character briefs: +{grown:.1f} MB held")
    assert grown < 2 * CACHE_BYTES / 1e6, f"{grown:.1f} MB"
    entries, estimated = fresh_pipeline.cache_usage()
    assert 0 < entries < 300 and estimated <= CACHE_BYTES


def test_answers_from_past_days_are_dropped(fresh_pipeline: Pipeline) -> None:
    # Answers are rendered once a day (in every zone of the digest) and restamped each minute:
    # another minute of the same day reuses them; a new day makes them dead weight.
    minute = datetime(2021, 7, 29, 9, 0, tzinfo=UTC)
    for text in ("brief", "upcoming", "positions", "sources"):
        fresh_pipeline.respond(text, minute)
    assert fresh_pipeline.cache_usage()[0] == 4

    fresh_pipeline.respond("brief", minute + timedelta(minutes=1))
    assert fresh_pipeline.cache_usage()[0] == 4  # the same day: restamped, nothing rendered

    fresh_pipeline.respond("brief", minute + timedelta(days=1))
    assert fresh_pipeline.cache_usage()[0] == 1  # the earlier day can never be asked again

    late = fresh_pipeline.respond("upcoming", minute + timedelta(seconds=30))
    assert late.messages and fresh_pipeline.cache_usage()[0] == 1  # answered, not kept


# --- item 6: a slow ledger still gets an answer within Slack's 3 seconds ------------------------


def test_remind_off_is_acknowledged_in_time_while_another_process_holds_the_lock(
    remind_app: App, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    subscribed = send(remind_app, "remind on 7d", response_url=fake_slack.response_url("on"))
    assert "Subscribed." in subscribed.body

    other = sqlite3.connect(tmp_path / "ledger.sqlite3", isolation_level=None, timeout=10)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process's write: the ledger must wait
        started = time.monotonic()
        acked = send(remind_app, "remind off", response_url=fake_slack.response_url("off"))
        elapsed = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()

    print(f"\nremind off with the ledger locked: acknowledged in {elapsed:.2f} s")
    assert acked.status == 200 and elapsed < 3.0, (acked.status, elapsed)
    assert wait_until(lambda: bool(fake_slack.calls_to("/respond/off")), timeout=30)
    (follow_up,) = fake_slack.calls_to("/respond/off")
    assert "Reminders are off for this channel" in json.dumps(follow_up.body)
    assert follow_up.body["response_type"] == "ephemeral"
    assert block_kit_problems(follow_up.body) == []
    assert "not subscribed" in send(remind_app, "remind status").body


def test_remind_status_with_a_free_ledger_is_answered_in_the_ack(
    remind_app: App, fake_slack: FakeSlack
) -> None:
    reply = send(remind_app, "remind status", response_url=fake_slack.response_url("status"))
    assert reply.status == 200 and "not subscribed" in reply.body
    assert fake_slack.calls_to("/respond") == []
