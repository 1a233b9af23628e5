"""`sco-bot serve` as a service: SIGTERM drains, Socket Mode health, JSON logs; and the packaging
and documentation that must follow bot/ and the settings table."""

from __future__ import annotations

import json
import logging
import re
import signal
import socket
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.logs import JsonFormatter, TextFormatter
from bot.settings import SETTINGS
from testkit.fakeslack import FakeSlack
from testkit.servers import clean_env, start_serve
from testkit.waiting import eventually, wait_until
from tests.conftest import (
    BOT_TOKEN,
    PROJECT,
    SIGNING_SECRET,
    TEST_DIGEST,
    post_command,
    signed_headers,
    slash_body,
)

TIMEOUT = 20.0
APP_TOKEN = "xapp-1-A1-test-app-token-0123456789"


def serve_env(fake_slack: FakeSlack, tmp_path: Path, **values: str) -> dict[str, str]:
    env = clean_env()
    env.update(
        HOME=str(tmp_path / "home"),
        SCO_DATABASE_URL=f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
        SCO_CLOCK="2021-07-29T09:00",
    )
    env.update(values)
    return env


class Served:
    """`sco-bot serve` running with its stderr in a file."""

    def __init__(self, proc: subprocess.Popen[str], log: Path) -> None:
        self.proc = proc
        self.log = log

    def lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8", errors="replace").splitlines()

    def wait_for(self, pattern: str) -> re.Match[str]:
        """The first stderr line matching `pattern`, once it is written."""
        regex = re.compile(pattern)

        def found() -> re.Match[str] | None:
            return next((m for line in self.lines() if (m := regex.search(line))), None)

        match = eventually(found, lambda m: m is not None or self.proc.poll() is not None, TIMEOUT)
        assert match is not None, (self.proc.poll(), self.lines())
        return match


@contextmanager
def serving(env: dict[str, str], tmp_path: Path) -> Iterator[Served]:
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        proc = start_serve(env, stderr=stderr, stdout=stderr)
    try:
        yield Served(proc, log)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(TIMEOUT)


def refuses_connections(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
            return False
    except urllib.error.HTTPError:
        return False
    except OSError:  # refused; or reset, when it was queued as the listener closed
        return True


# --- SIGTERM -----------------------------------------------------------------------------------


def test_sigterm_stops_accepting_answers_the_request_in_flight_and_exits_0(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    # A request in flight: its head and half its body have arrived when SIGTERM comes (no
    # request waits on Slack any more: issue 25), the rest after the listener has closed.
    env = serve_env(fake_slack, tmp_path)
    with serving(env, tmp_path) as served:
        match = served.wait_for(
            r"serving Slack requests at (http://127\.0\.0\.1:(\d+)/slack/events)"
        )
        port = int(match.group(2))
        body = slash_body("brief").encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in signed_headers(body.decode()).items())
        client = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        client.sendall(
            f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{head}"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:20]
        )
        assert status_code(port) == 200  # the server has taken the first part in

        served.proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        assert wait_until(lambda: refuses_connections(port), TIMEOUT), "still accepting"
        client.sendall(body[20:])
        answer = read_all(client)
        assert served.proc.wait(TIMEOUT) == 0, served.lines()
        stopped_in = time.monotonic() - signalled
    status_line, _, payload = answer.partition(b"\r\n\r\n")
    assert b" 200 " in status_line.split(b"\r\n")[0], answer[:300]
    assert json.loads(payload)["blocks"]
    assert stopped_in < 10, stopped_in


def status_code(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=TIMEOUT) as response:
        return int(response.status)


def read_all(client: socket.socket) -> bytes:
    chunks = []
    with client:
        while chunk := client.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_sigterm_when_idle_exits_0_at_once(fake_slack: FakeSlack, tmp_path: Path) -> None:
    with serving(serve_env(fake_slack, tmp_path), tmp_path) as served:
        served.wait_for(r"serving Slack requests at")
        served.proc.send_signal(signal.SIGTERM)
        assert served.proc.wait(TIMEOUT) == 0
    assert any("stopped" in line for line in served.lines())


def test_serve_prints_where_the_default_ledger_is(fake_slack: FakeSlack, tmp_path: Path) -> None:
    env = serve_env(fake_slack, tmp_path, XDG_STATE_HOME=str(tmp_path / "state"))
    del env["SCO_DATABASE_URL"]
    ledger = tmp_path / "state" / "sco-bot" / "ledger.sqlite3"
    with serving(env, tmp_path) as served:
        served.wait_for(r"serving Slack requests at")
        served.proc.send_signal(signal.SIGTERM)
        served.proc.wait(TIMEOUT)
    # A log line like any other (JSON under SCO_LOG_FORMAT=json), ending with the path.
    assert any(line.endswith(f"sco-bot: reminders ledger at {ledger}") for line in served.lines())
    assert ledger.is_file()


# --- Socket Mode -------------------------------------------------------------------------------


def test_socket_mode_serves_health_on_its_own_port_and_stops_on_sigterm(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    # The fake cannot open a WebSocket: serve keeps retrying the connection, still healthy.
    env = serve_env(fake_slack, tmp_path, SLACK_APP_TOKEN=APP_TOKEN, SCO_HEALTH_PORT="0")
    with serving(env, tmp_path) as served:
        health = served.wait_for(r"health at (http://127\.0\.0\.1:\d+/healthz)").group(1)
        with urllib.request.urlopen(health, timeout=TIMEOUT) as response:
            status = json.loads(response.read())
        events = health.replace("/healthz", "/slack/events")
        refused = post_command(events, "brief", timeout=TIMEOUT).status
        fake_slack.wait_for(lambda calls: any(c.method == "apps.connections.open" for c in calls))

        served.proc.send_signal(signal.SIGTERM)
        assert served.proc.wait(TIMEOUT) == 0, served.lines()
    assert status["status"] == "ok" and status["digest"] and status["database"] == "ok"
    assert refused == 404  # the health port answers nothing else
    assert not any(APP_TOKEN in line or BOT_TOKEN in line for line in served.lines())


# --- logs --------------------------------------------------------------------------------------


def test_json_logs_name_each_request_without_secrets(fake_slack: FakeSlack, tmp_path: Path) -> None:
    env = serve_env(fake_slack, tmp_path, SCO_LOG_FORMAT="json", SCO_LOG_LEVEL="DEBUG")
    with serving(env, tmp_path) as served:
        url = served.wait_for(r'serving Slack requests at (http:[^\s"]+)').group(1)
        tagged = {"X-Request-Id": "req-42"}
        assert post_command(url, "brief", headers=tagged, timeout=TIMEOUT).status == 200
        body = slash_body("brief")
        forged = urllib.request.Request(url, data=body.encode(), headers=signed_headers(body, "x"))
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(forged, timeout=TIMEOUT)
        served.wait_for(r'"status": "401"')
        served.proc.send_signal(signal.SIGTERM)
        served.proc.wait(TIMEOUT)
    lines = [line for line in served.lines() if not line.startswith("sco-bot: ")]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    [handled] = [e for e in entries if e.get("request_id") == "req-42" and "duration_ms" in e]
    assert handled["level"] == "info" and handled["event"] == "slack request handled"
    assert (handled["team"], handled["channel"], handled["status"]) == ("T1", "C123", "200")
    assert handled["command"] == "/sco" and handled["duration_ms"] >= 0
    [unsigned] = [e for e in entries if e.get("status") == "401"]
    assert unsigned["request_id"] and unsigned["request_id"] != "req-42"
    assert any(e["level"] == "debug" for e in entries)  # SCO_LOG_LEVEL=DEBUG reaches libraries
    text = "\n".join(served.lines())
    assert BOT_TOKEN not in text and SIGNING_SECRET not in text


def test_log_level_warning_leaves_out_request_lines(fake_slack: FakeSlack, tmp_path: Path) -> None:
    env = serve_env(fake_slack, tmp_path, SCO_LOG_FORMAT="json", SCO_LOG_LEVEL="warning")
    with serving(env, tmp_path) as served:
        url = served.wait_for(r'serving Slack requests at (http:[^\s"]+)').group(1)
        assert post_command(url, "brief", timeout=TIMEOUT).status == 200
        served.proc.send_signal(signal.SIGTERM)
        served.proc.wait(TIMEOUT)
    assert not any("slack request handled" in line for line in served.lines())


@pytest.mark.parametrize(
    "formatter", [JsonFormatter([SIGNING_SECRET]), TextFormatter([SIGNING_SECRET])]
)
def test_a_token_or_secret_in_a_message_is_redacted(formatter: logging.Formatter) -> None:
    record = logging.LogRecord(
        "sco_bot", logging.ERROR, __file__, 1,
        "calling with %s and %s and xapp-1-A1-99-abc", (BOT_TOKEN, SIGNING_SECRET), None,
    )  # fmt: skip
    line = formatter.format(record)
    assert BOT_TOKEN not in line and SIGNING_SECRET not in line and "xapp-1-A1" not in line
    assert "xoxb-[redacted]" in line


# --- packaging and documentation ---------------------------------------------------------------


def test_every_package_under_bot_is_listed_for_the_wheel() -> None:
    listed = set(
        tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    on_disk = {
        ".".join(p.parent.relative_to(PROJECT).parts) for p in (PROJECT / "bot").rglob("*.py")
    }
    assert on_disk <= listed, sorted(on_disk - listed)


def test_readme_settings_table_matches_the_settings() -> None:
    readme = (PROJECT / "README.md").read_text()
    rows = re.findall(r"^\| `([A-Z_]+)` \| (.+) \| (.+) \|$", readme, re.M)
    assert [(v, h, d) for v, h, d in rows] == [(s.variable, s.help, s.default) for s in SETTINGS]


def test_sigterm_mid_reconcile_lets_the_reconcile_finish(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from bot.knowledge.loader import load_digest
    from bot.reminders.ledger import Ledger
    from bot.reminders.plan import Subscription, plan

    rehearsal = datetime(2021, 10, 1, 12, 0, tzinfo=UTC)
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    subs = [Subscription(f"C{i:04d}", leads=(7, 1), timezone="UTC") for i in range(8)]
    ledger = Ledger(url)
    for sub in subs:
        ledger.subscribe(sub)
    ledger.close()
    desired = {
        (r.channel_id, int(r.post_at.timestamp()))
        for r in plan(load_digest(TEST_DIGEST), subs, rehearsal)
    }
    assert desired
    fake_slack.now = rehearsal.timestamp()
    fake_slack.latency = 0.1  # the reconcile takes about a second
    env = serve_env(
        fake_slack, tmp_path, SCO_CLOCK=rehearsal.isoformat(), SCO_KNOWLEDGE_DIR=str(TEST_DIGEST)
    )
    with serving(env, tmp_path) as served:
        fake_slack.wait_for(lambda calls: any(c.method.startswith("chat.") for c in calls), TIMEOUT)
        served.proc.send_signal(signal.SIGTERM)
        assert served.proc.wait(TIMEOUT) == 0, served.lines()
    scheduled = {(m["channel"], int(m["post_at"])) for m in fake_slack.scheduled.values()}
    assert scheduled == desired
