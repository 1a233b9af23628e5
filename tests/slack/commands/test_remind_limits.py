"""`/sco remind` at its limits (issue 12 items 4 and 6): a timezone name that is a folder or too
long says so, and a ledger another process holds still gets an answer within Slack's 3 s."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_bolt import App

from bot.clock import Clock
from bot.services import build_services
from bot.settings import Settings
from bot.slack.app import create_app
from testkit.fakeslack import FakeSlack, block_kit_problems
from testkit.waiting import wait_until
from tests.conftest import send

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
