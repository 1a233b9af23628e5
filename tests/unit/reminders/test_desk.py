"""The reminder desk (bot/reminders/desk.py): the `Reminders` interface commands are given as a
value, the honest `NO_REMINDERS`, and the composition root building the desk without opening
the database. The desk's own rules run here against an in-memory ledger and delivery."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from bot.clock import Clock
from bot.commands.situation import Caller
from bot.knowledge.digest import Digest
from bot.knowledge.holder import DigestHolder
from bot.pipeline import Pipeline
from bot.reminders.desk import (
    CHANGE_WAIT_SECONDS,
    NO_REMINDERS,
    ReminderDesk,
    Reminders,
    RemindersUnavailable,
)
from bot.reminders.plan import Reminder, Subscription
from bot.reminders.records import LedgerRow, State
from bot.reminders.workspace import TOKEN_WORKSPACE, Workspace
from bot.rendering.renderer import Renderer
from bot.rendering.terminal import to_terminal
from bot.services import Services
from bot.settings import Settings

NOW = datetime(2021, 10, 1, 12, tzinfo=UTC)
# Nothing listens on the discard port: connecting is refused at once.
NO_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:9/none?connect_timeout=1"


class MemoryLedger:
    """The few ledger calls the desk makes, in memory."""

    def __init__(self) -> None:
        self.subs: dict[str, Subscription] = {}
        self.rows: dict[str, list[LedgerRow]] = {}
        self.scopes: list[Workspace] = []

    def scoped(self, workspace: Workspace) -> MemoryLedger:
        self.scopes.append(workspace)
        return self

    def subscribe(self, sub: Subscription) -> None:
        self.subs[sub.channel_id] = sub

    def unsubscribe(self, channel_id: str) -> None:
        self.subs.pop(channel_id, None)

    def subscription(self, channel_id: str) -> Subscription | None:
        return self.subs.get(channel_id)

    def ledger(self, channel_id: str) -> list[LedgerRow]:
        return self.rows.get(channel_id, [])


class RecordingDelivery:
    """Notes each channel reconcile it is asked for."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, datetime, bool, float]] = []

    def reconcile_channel(
        self, channel_id: str, now: datetime, urgent: bool = False, wait: float = 0.0
    ) -> None:
        self.calls.append((channel_id, now, urgent, wait))


def desk_of(
    digest: Digest,
    ledger: MemoryLedger,
    delivery: RecordingDelivery | None,
    submit: Callable[[Callable[[], object]], object],
) -> ReminderDesk:
    return ReminderDesk(
        lambda: ledger,  # type: ignore[arg-type,return-value]
        delivery,  # type: ignore[arg-type]
        lambda: digest,
        lambda: NOW,
        submit,
    )


def test_a_change_is_recorded_then_its_channel_reconciled_through_submit(digest: Digest) -> None:
    ledger, delivery, jobs = MemoryLedger(), RecordingDelivery(), list[Callable[[], object]]()
    desk: Reminders = desk_of(digest, ledger, delivery, jobs.append)

    status = desk.subscribe(Subscription("C1", subscriber="U1"), NOW)

    assert ledger.subs["C1"].subscriber == "U1" and status.slack_ready
    assert delivery.calls == []  # handed on, not done in the request's thread
    (job,) = jobs
    job()
    assert delivery.calls == [("C1", NOW, True, CHANGE_WAIT_SECONDS)]
    assert set(ledger.scopes) == {TOKEN_WORKSPACE}  # the workspace being served


def test_without_a_delivery_a_change_is_recorded_and_nothing_reconciled(digest: Digest) -> None:
    ledger, jobs = MemoryLedger(), list[Callable[[], object]]()
    desk = desk_of(digest, ledger, None, jobs.append)

    status = desk.subscribe(Subscription("C1"), NOW)

    assert "C1" in ledger.subs and not status.slack_ready and jobs == []
    assert status.plan is not None


def test_unsubscribing_counts_the_pending_reminders_it_removes(digest: Digest) -> None:
    ledger = MemoryLedger()
    soon, gone = Reminder(NOW + timedelta(days=1), "C1", "talks", 1), Reminder(NOW, "C1", "x", 0)
    ledger.rows["C1"] = [
        LedgerRow(1, soon, State.SCHEDULED, "Q1", None),
        LedgerRow(2, gone, State.SENT, "Q2", None),
    ]
    desk = desk_of(digest, ledger, RecordingDelivery(), lambda job: job())
    desk.subscribe(Subscription("C1"), NOW)

    status = desk.unsubscribe("C1", NOW)

    assert status.removed == 1 and status.subscription is None and "C1" not in ledger.subs


def test_no_reminders_says_so_and_refuses_every_ask() -> None:
    assert not NO_REMINDERS.available
    asks: list[Callable[[], object]] = [
        lambda: NO_REMINDERS.ledger,
        lambda: NO_REMINDERS.subscribe(Subscription("C1"), NOW),
        lambda: NO_REMINDERS.unsubscribe("C1", NOW),
        lambda: NO_REMINDERS.status("C1", NOW),
    ]
    for ask in asks:
        with pytest.raises(RemindersUnavailable):
            ask()


def test_a_pipeline_built_without_reminders_answers_that_they_need_a_channel(
    digest: Digest, renderer: Renderer
) -> None:
    pipeline = Pipeline(DigestHolder(digest), renderer, UTC)
    assert pipeline.reminders is NO_REMINDERS

    reply = pipeline.respond("remind on 1d", NOW, Caller("C1", "U1"))

    assert "reminders need a channel" in to_terminal(reply.messages)


def test_the_desk_is_built_with_the_services_and_opens_no_database(
    digest: Digest, renderer: Renderer, tmp_path: Path
) -> None:
    settings = Settings(database_url=NO_DATABASE, knowledge_dir=tmp_path)
    services = Services(settings, Clock(start=NOW), digest, renderer)

    # The pipeline's reminders are this value (no factory); nothing was opened to build it.
    assert services.pipeline.reminders is services.reminders and services.reminders.available
    assert not services.database_ok()
    with pytest.raises(OperationalError):
        services.reminders.status("C1", NOW)


def test_the_ledger_opens_on_first_need_and_again_after_a_failure(
    digest: Digest, renderer: Renderer, tmp_path: Path
) -> None:
    down = Settings(database_url=NO_DATABASE, knowledge_dir=tmp_path)
    services = Services(down, Clock(start=NOW), digest, renderer)
    assert not services.database_ok()

    # The database answers now (here: the settings point at one that does).
    services.settings = replace(down, database_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")

    assert services.database_ok()
    assert services.reminders.status("C1", NOW).subscription is None
    services.ledger().close()
