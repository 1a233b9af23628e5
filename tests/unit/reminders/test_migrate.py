"""The ledger's migrations (Alembic): a ledger written by the code before workspaces (kept
verbatim in tests/legacy/ledger_v1.py) upgrades in place on SQLite and PostgreSQL without losing
a subscription, a scheduled reminder or a greeting, and ends with the same schema as a new one.

Adding a migration: a module in bot/reminders/migrations/versions/ (see the README's "Where to
add"); these tests then upgrade the old ledger through it too."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from types import ModuleType

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from bot.clock import Clock
from bot.knowledge.loader import load_digest
from bot.reminders.ledger import Ledger
from bot.reminders.migrate import head
from bot.reminders.plan import Reminder, Subscription, plan_channel
from bot.reminders.records import State
from bot.reminders.tables import every_table
from bot.reminders.workspace import TOKEN_WORKSPACE, Workspace
from bot.rendering.renderer import Renderer
from bot.services import Services
from bot.settings import Settings
from bot.slack.client import create_web_client
from testkit.fakeslack import FakeSlack
from tests.conftest import BOT_TOKEN, PROJECT, TEST_DIGEST
from tests.databases import database

LEGACY = PROJECT / "tests" / "legacy" / "ledger_v1.py"
REHEARSAL = datetime(2021, 10, 1, 12, tzinfo=UTC)


def legacy() -> ModuleType:
    """The ledger module as it was before workspaces (bot/reminders/ledger.py at issue 25)."""
    spec = importlib.util.spec_from_file_location("ledger_v1", LEGACY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as found:
        yield found


def write_old_ledger(url: str) -> dict[str, object]:
    """A ledger as today's deployments hold it: subscriptions, reminders in every state,
    greetings; what was written, to compare after the upgrade."""
    old = legacy().Ledger(url)
    subs = [
        Subscription("C1", (7, 1), time(9), "UTC", "U1"),
        Subscription("C2", (0,), time(8, 30), "Europe/Berlin", "U2"),
        Subscription("C3", (14, 7, 1), time(9), "Asia/Tokyo", None, broken="not_in_channel"),
    ]
    for sub in subs:
        old.subscribe(sub)
    old.mark_broken("C3", "not_in_channel")
    at = datetime(2031, 5, 1, 9, tzinfo=UTC)
    states = {}
    for n, state in enumerate(State):
        reminder = Reminder(at.replace(day=1 + n), "C1", f"event-{n}", 7)
        row = old.reserve(reminder)
        if state is State.SCHEDULED:
            old.confirm(row, f"Q{n}")
        elif state is State.SENT:
            old.confirm(row, f"Q{n}")
            old.mark_sent(row)
        elif state is State.MISSED:
            old.mark_missed(row, "its time came")
        states[reminder.key] = state
    old.first_contact("U1", "home")
    old.first_contact("U1", "dm")
    old.close()
    return {"subs": subs, "states": states}


def test_a_ledger_written_by_the_previous_code_upgrades_without_losing_anything(url: str) -> None:
    written = write_old_ledger(url)
    ledger = Ledger(url)  # the upgrade: Alembic, at start
    try:
        assert ledger.subscriptions() == written["subs"]
        rows = ledger.ledger("C1")
        assert {r.reminder.key: r.state for r in rows} == written["states"]
        held = {r.scheduled_message_id for r in rows if r.state is State.SCHEDULED}
        assert held == {"Q1"}
        assert not ledger.first_contact("U1", "home")  # greeted before: not welcomed twice
        assert ledger.first_contact("U2", "home")
        assert ledger.workspaces() == [TOKEN_WORKSPACE]
        # The same channel id in another workspace is another subscription now.
        other = ledger.scoped(Workspace("", "T2"))
        other.subscribe(Subscription("C1", (1,)))
        assert [s.leads for s in other.subscriptions()] == [(1,)]
        assert ledger.subscription("C1") == written["subs"][0]  # type: ignore[index]
        reserved = ledger.reserve(Reminder(datetime(2032, 1, 1, tzinfo=UTC), "C1", "e", 1))
        assert reserved is not None and reserved > max(r.id for r in rows)
    finally:
        ledger.close()
    assert revision(url) == head()
    Ledger(url).close()  # opening it again: nothing to do


def test_an_upgraded_ledger_has_the_schema_of_a_new_one(url: str, tmp_path: Path) -> None:
    write_old_ledger(url)
    Ledger(url).close()
    engine = create_engine(url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), every_table())
    engine.dispose()
    assert differences == []


def test_a_new_ledger_is_created_at_the_latest_revision(url: str) -> None:
    Ledger(url).close()
    assert revision(url) == head()
    engine = create_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"sco_subscriptions", "sco_reminders", "sco_greetings", "slack_bots"} <= names


def test_a_ledger_from_before_the_greetings_upgrades_too(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = legacy()
    old.greetings.metadata.remove(old.greetings)  # as written before issue 22
    old.Ledger(url).subscribe(Subscription("C1"))
    ledger = Ledger(url)
    assert [s.channel_id for s in ledger.subscriptions()] == ["C1"]
    assert ledger.first_contact("U1", "home")


def test_two_instances_starting_together_migrate_once(tmp_path: Path) -> None:
    with database("postgres", tmp_path) as url:
        write_old_ledger(url)
        errors: list[BaseException] = []

        def start() -> None:
            try:
                Ledger(url).close()
            except BaseException as exc:  # pragma: no cover (the failure is the finding)
                errors.append(exc)

        threads = [threading.Thread(target=start) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        ledger = Ledger(url)
        assert len(ledger.subscriptions()) == 3
        ledger.close()


def test_reminders_scheduled_before_the_upgrade_stay_held_not_sent_again(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """What Slack holds for an old ledger is kept: the first reconcile after the upgrade
    neither deletes nor schedules anything for a channel already in line."""
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    settings = Settings(
        slack_bot_token=BOT_TOKEN,
        slack_api_url=fake_slack.api_url,
        knowledge_dir=TEST_DIGEST,
        database_url=url,
    )
    fake_slack.now = REHEARSAL.timestamp()
    # Scheduled by the previous version: one message per reminder, its tag in its text.
    digest = load_digest(TEST_DIGEST)
    services = Services(settings, Clock(start=REHEARSAL), digest, Renderer(settings.templates_dir))
    sub = Subscription("C1", (7, 1))
    plan = _plan(services, sub)
    old = legacy().Ledger(url)
    old.subscribe(sub)
    client = create_web_client(settings)
    for reminder in plan:
        row = old.reserve(reminder)
        answer = client.chat_scheduleMessage(
            channel=reminder.channel_id,
            post_at=int(reminder.post_at.timestamp()),
            text=f"Reminder: {reminder.event_id} (ref {reminder.tag})",
        )
        old.confirm(row, answer["scheduled_message_id"])
    old.close()
    held = dict(fake_slack.scheduled)
    delivery = services.delivery()
    assert delivery is not None
    report = delivery.reconcile(REHEARSAL)
    assert report.scheduled == report.deleted == []
    assert fake_slack.scheduled == held


def revision(url: str) -> str | None:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    return found


def _plan(services: Services, sub: Subscription) -> list[Reminder]:
    due = plan_channel(services.digests.current, sub, REHEARSAL).due
    # One reminder a time: the previous version held one message each (no batch to merge).
    assert len({r.post_at for r in due}) == len(due)
    return due
