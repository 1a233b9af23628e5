"""Reconcile the scheduler's held messages with the plan, channel by channel, applying the pure
decisions of `reconcile` through the ledger and a `Scheduler`, idempotently."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from bot.knowledge.digest import Digest
from bot.reminders.ledger import Ledger
from bot.reminders.messages import ReminderMessages
from bot.reminders.plan import Reminder, Subscription, plan_channel
from bot.reminders.reconcile import adoptions, decide
from bot.reminders.records import LedgerRow, State
from bot.reminders.scheduler import DeliveryError, Failure, Scheduler

log = logging.getLogger("sco_bot.delivery")

PASSES = 2
WORKERS = 4  # channels reconciled at once
ALREADY_GONE = "invalid_scheduled_message_id"


@dataclass
class SyncReport:
    """What one reconcile did."""

    scheduled: list[Reminder] = field(default_factory=list)
    deleted: list[Reminder] = field(default_factory=list)
    adopted: list[Reminder] = field(default_factory=list)
    failed: list[tuple[Reminder | str, str]] = field(default_factory=list)
    broken: list[tuple[str, str]] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)  # channels another instance was reconciling
    transient: bool = False  # a failure worth one more pass

    def merge(self, other: SyncReport) -> None:
        """Add another report's items to this one."""
        for name in ("scheduled", "deleted", "adopted", "failed", "broken", "busy"):
            getattr(self, name).extend(getattr(other, name))


class _ChannelBroken(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class Delivery:
    """Brings one workspace's scheduled reminders in line with the plan."""

    def __init__(
        self,
        ledger: Ledger,
        scheduler: Scheduler,
        messages: ReminderMessages,
        digest: Callable[[], Digest],
        workers: int = WORKERS,
    ) -> None:
        self.ledger = ledger
        self.scheduler = scheduler
        self.messages = messages
        self.digest = digest
        self.workers = workers

    def reconcile(self, now: datetime, channels: Iterable[str] | None = None) -> SyncReport:
        """Reconcile every channel (or the given ones), a few at a time (each under its own
        lock, so the scheduler's round trips overlap); one channel's failure never stops the
        others."""
        subs = {s.channel_id for s in self.ledger.subscriptions()}
        names = sorted(subs | set(self.ledger.ledger_channels()))
        if channels is not None:
            wanted = set(channels)
            names = [n for n in names if n in wanted]
        report = SyncReport()
        if len(names) <= 1 or self.workers <= 1:
            for name in names:
                report.merge(self._reconcile_safely(name, now))
            return report
        with ThreadPoolExecutor(self.workers, thread_name_prefix="sco-deliver") as pool:
            for part in pool.map(lambda name: self._reconcile_safely(name, now), names):
                report.merge(part)
        return report

    def _reconcile_safely(self, channel_id: str, now: datetime) -> SyncReport:
        try:
            return self.reconcile_channel(channel_id, now)
        except Exception as exc:  # a database or programming error: log, go on
            log.exception("reconcile of %s failed", channel_id)
            return SyncReport(failed=[(channel_id, type(exc).__name__)])

    def reconcile_channel(self, channel_id: str, now: datetime) -> SyncReport:
        """Reconcile one channel under its lock (skipped if another instance holds it).

        After a transient failure (5xx, timeout, broken connection) one more pass runs: it first
        asks the scheduler what it holds, so a call that did land is adopted, not sent twice."""
        report = SyncReport()
        with self.ledger.channel_lock(channel_id) as got:
            if not got:
                report.busy.append(channel_id)
                return report
            for attempt in range(PASSES):
                this_pass = self._one_pass(channel_id, now)
                if attempt == PASSES - 1 or not this_pass.transient:
                    report.merge(this_pass)
                    break
                this_pass.failed.clear()  # retried in the next pass
                report.merge(this_pass)
        return report

    def _one_pass(self, channel_id: str, now: datetime) -> SyncReport:
        # Read under the lock: what another instance just did is visible now.
        sub = self.ledger.subscription(channel_id)
        report = SyncReport()
        try:
            self._reconcile_locked(channel_id, sub, now, report)
        except _ChannelBroken as broken:
            report.broken.append((channel_id, broken.reason))
            if sub is not None and sub.broken is None:
                self.ledger.mark_broken(channel_id, broken.reason)
                self._tell_subscriber(sub, broken.reason)
        return report

    def _reconcile_locked(
        self, channel_id: str, sub: Subscription | None, now: datetime, report: SyncReport
    ) -> None:
        digest = self.digest()
        desired: dict[tuple[str, str, int, int], Reminder] = {}
        if sub is not None and sub.broken is None:
            desired = {r.key: r for r in plan_channel(digest, sub, now).due}
        rows = self.ledger.ledger(channel_id)
        if any(r.state is State.PENDING for r in rows):
            rows = self._adopt(channel_id, rows, digest, report)
        decisions = decide(desired, rows, now)
        for row in decisions.sent:
            self.ledger.mark_sent(row.id)
        for row in decisions.forget:
            self.ledger.forget(row.id)
        for row in decisions.delete:
            self._delete(row, report)
        for row in decisions.retry:
            self._schedule(row.id, row.reminder, digest, report)
        reserved = list(self.ledger.reserve_many(decisions.schedule).items())
        for i, (key, row_id) in enumerate(reserved):
            try:
                self._schedule(row_id, desired[key], digest, report)
            except _ChannelBroken:
                for _, unsent in reserved[i + 1 :]:
                    self.ledger.forget(unsent)  # never sent: nothing for Slack to hold
                raise

    def _adopt(
        self, channel_id: str, rows: list[LedgerRow], digest: Digest, report: SyncReport
    ) -> list[LedgerRow]:
        """Match pending rows (the scheduler's answer never recorded) with what it holds."""
        try:
            held = self.scheduler.held(channel_id)
        except DeliveryError as exc:
            if exc.failure is Failure.CHANNEL:
                raise _ChannelBroken(exc.error) from None
            return rows  # cannot look: the rows stay pending until it answers
        titles = {event_id: e.title for event_id, e in digest.events_by_id.items()}
        for adoption in adoptions(rows, held, titles):
            self.ledger.confirm(adoption.row.id, adoption.message_id)
            report.adopted.append(adoption.row.reminder)
        return self.ledger.ledger(channel_id)

    def _schedule(
        self, row_id: int, reminder: Reminder, digest: Digest, report: SyncReport
    ) -> None:
        message = self.messages.reminder(reminder, digest)
        try:
            message_id = self.scheduler.schedule(reminder, message)
        except DeliveryError as exc:
            if exc.failure is Failure.CHANNEL:
                self.ledger.forget(row_id)
                raise _ChannelBroken(exc.error) from None
            if exc.failure is Failure.GONE:
                self.ledger.forget(row_id)
            else:  # stays pending: retried next time
                self.ledger.note_error(row_id, exc.error)
            report.failed.append((reminder, exc.error))
            report.transient = report.transient or exc.failure is Failure.TRANSIENT
            return
        self.ledger.confirm(row_id, message_id)
        report.scheduled.append(reminder)

    def _delete(self, row: LedgerRow, report: SyncReport) -> None:
        if row.state is State.SCHEDULED and row.scheduled_message_id:
            try:
                self.scheduler.delete(row.reminder.channel_id, row.scheduled_message_id)
            except DeliveryError as exc:
                # Already posted or deleted, or the channel is gone: nothing left to delete.
                if exc.error != ALREADY_GONE and exc.failure is not Failure.CHANNEL:
                    report.failed.append((row.reminder, exc.error))
                    report.transient = report.transient or exc.failure is Failure.TRANSIENT
                    return
        self.ledger.forget(row.id)
        report.deleted.append(row.reminder)

    def _tell_subscriber(self, sub: Subscription, reason: str) -> None:
        if not sub.subscriber:
            return
        try:
            self.scheduler.notify(sub.subscriber, self.messages.channel_broken(sub, reason))
        except Exception:
            log.warning("could not tell %s that %s is broken", sub.subscriber, sub.channel_id)
