"""Reconcile the scheduler's held messages with the plan, channel by channel, applying the pure
decisions of `reconcile` through the ledger and a `Scheduler`, idempotently.

The words: a *bulk reconcile* (`Delivery.reconcile`) goes over many channels in *waves* by post
time; a *channel reconcile* (`Delivery.reconcile_channel`) takes one channel's lock and makes up
to `PASSES` *channel passes* (`_ChannelPass`), each reading the ledger and Slack afresh. A pass
is given its `Delivery` (the workspace's ledger, scheduler and messages) and its `_ChannelTask`
(which channel, as of when, under which lock): it reads them there, copying none."""

from __future__ import annotations

import logging
import math
import threading
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from bot.knowledge.digest import Digest
from bot.reminders.ledger import ChannelLock, Ledger, LockLost
from bot.reminders.messages import ReminderMessages
from bot.reminders.plan import Batch, Reminder, Subscription, plan_channel
from bot.reminders.reconcile import Decisions, adoptions, decide, waves
from bot.reminders.records import LedgerRow, State
from bot.reminders.scheduler import DeliveryError, Failure, Scheduler

log = logging.getLogger("sco_bot.delivery")

PASSES = 2
WORKERS = 4  # channels reconciled at once
WAVE = 200  # reminders a bulk reconcile schedules across all channels before the later ones
ALREADY_GONE = "invalid_scheduled_message_id"
TOO_LATE = "time_in_past"


@dataclass
class SyncReport:
    """What one reconcile did."""

    scheduled: list[Reminder] = field(default_factory=list)
    deleted: list[Reminder] = field(default_factory=list)
    adopted: list[Reminder] = field(default_factory=list)
    failed: list[tuple[Reminder | str, str]] = field(default_factory=list)
    broken: list[tuple[str, str]] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)  # channels another instance was reconciling
    missed: list[Reminder] = field(default_factory=list)  # their time passed unconfirmed
    waiting: list[Reminder] = field(default_factory=list)  # pending until Slack can be asked
    lost_lock: list[str] = field(default_factory=list)  # channels whose lock's session died
    transient: bool = False  # a failure worth one more pass
    refused: str | None = None  # Slack refused the workspace's token (invalid_auth...)

    def merge(self, other: SyncReport) -> None:
        """Add another report's items to this one."""
        for name in _LISTS:
            getattr(self, name).extend(getattr(other, name))
        self.refused = self.refused or other.refused


_LISTS = (
    *("scheduled", "deleted", "adopted", "failed", "broken"),
    *("busy", "missed", "waiting", "lost_lock"),
)


class _Refused(Exception):
    """Slack refuses the workspace's token: stop everything for that workspace."""

    def __init__(self, error: str) -> None:
        self.error = error
        super().__init__(error)


def _refused(exc: DeliveryError) -> None:
    if exc.failure is Failure.AUTH:
        raise _Refused(exc.error) from None


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
        wave: int = WAVE,
    ) -> None:
        self.ledger = ledger
        self.wave = wave
        self.scheduler = scheduler
        self.messages = messages
        self.digest = digest
        self.workers = workers
        self._unsettled: set[str] = set()  # channels to reconcile again soon
        self._guard = threading.Lock()
        self._orderings = 0  # how many times channels were ordered: salts the ties
        # Slack's answer when it refused the workspace's token: its work ends there (a new
        # token, installed again, gets a new Delivery).
        self.refused: str | None = None

    def reconcile(self, now: datetime, channels: Iterable[str] | None = None) -> SyncReport:
        """Reconcile every channel (or the given ones), a few at a time (each under its own
        lock, so the scheduler's round trips overlap); one channel's failure never stops the
        others. Earliest reminders first across channels: in waves by post time, each wave
        going over the channels that have reminders in it, the soonest channel first."""
        subs = {s.channel_id: s for s in self.ledger.subscriptions()}
        names = set(subs) | set(self.ledger.ledger_channels())
        if channels is not None:
            names &= set(channels)
        due = self._due(names, subs, now)
        ordered = self.order(names, subs, now, due)
        report = SyncReport()
        times = [r.post_at for name in ordered for r in due.get(name, [])]
        earlier: datetime | None = None
        for until in waves(times, self.wave):
            if until is None:
                wave = ordered
            else:
                wave = [n for n in ordered if _any_between(due.get(n, []), earlier, until)]
            report.merge(self._reconcile_wave(wave, now, until))
            earlier = until
        return report

    def _reconcile_wave(
        self, names: list[str], now: datetime, until: datetime | None
    ) -> SyncReport:
        report = SyncReport()
        if len(names) <= 1 or self.workers <= 1:
            for name in names:
                report.merge(self._reconcile_safely(name, now, until))
            return report
        with ThreadPoolExecutor(self.workers, thread_name_prefix="sco-deliver") as pool:
            for part in pool.map(lambda name: self._reconcile_safely(name, now, until), names):
                report.merge(part)
        return report

    def _due(
        self, names: Iterable[str], subs: dict[str, Subscription], now: datetime
    ) -> dict[str, list[Reminder]]:
        digest = self.digest().as_of(now)
        due: dict[str, list[Reminder]] = {}
        for name in names:
            sub = subs.get(name)
            if sub is not None and sub.broken is None:
                due[name] = plan_channel(digest, sub, now).due
        return due

    def order(
        self,
        names: Iterable[str],
        subs: dict[str, Subscription],
        now: datetime,
        due: dict[str, list[Reminder]] | None = None,
    ) -> list[str]:
        """Channels with nothing subscribed first (their reminders are to be deleted), then by
        their earliest reminder; ties in an order that changes every time, so that no channel
        is always last."""
        names = list(names)
        plans = self._due(names, subs, now) if due is None else due
        with self._guard:
            self._orderings += 1
            salt = self._orderings

        def soonest(name: str) -> tuple[float, int]:
            first = -math.inf
            if name in subs:
                reminders = plans.get(name) or []
                first = reminders[0].post_at.timestamp() if reminders else math.inf
            return first, zlib.crc32(f"{salt}:{name}".encode())

        return sorted(names, key=soonest)

    def unsettled(self) -> list[str]:
        """Channels left with pending reminders, a busy lock or a lost one, to reconcile again
        soon (each returned once; none once Slack refused the token: no retry can succeed)."""
        with self._guard:
            names, self._unsettled = sorted(self._unsettled), set()
        return [] if self.refused else names

    def _reconcile_safely(
        self, channel_id: str, now: datetime, until: datetime | None = None
    ) -> SyncReport:
        if self.refused:
            return SyncReport(refused=self.refused)
        try:
            return self.reconcile_channel(channel_id, now, until=until)
        except Exception as exc:  # a database or programming error: log, go on
            log.exception("reconcile of %s failed", channel_id)
            self._settle(channel_id, settled=False)
            return SyncReport(failed=[(channel_id, type(exc).__name__)])

    def reconcile_channel(
        self,
        channel_id: str,
        now: datetime,
        urgent: bool = False,
        wait: float = 0.0,
        until: datetime | None = None,
    ) -> SyncReport:
        """Reconcile one channel under its lock, waiting up to `wait` seconds for another
        instance to release it (skipped, and retried soon, if it does not).

        `urgent`: a person waits (a subscription change): its calls to Slack go first. After a
        transient failure one more pass runs: it first asks the scheduler what it holds, so a
        call that did land is adopted, not sent twice."""
        report = SyncReport()
        with self.ledger.channel_lock(channel_id, wait) as lock:
            if lock is None:
                report.busy.append(channel_id)
            else:
                try:
                    task = _ChannelTask(channel_id, now, lock, urgent, until)
                    self._reconcile_in_passes(task, report)
                except LockLost as lost:
                    log.warning("lost the lock of %s (%s): stopped", channel_id, lost)
                    report.lost_lock.append(channel_id)
                except _Refused as refused:
                    self.refused = report.refused = refused.error
                    return report  # nothing to retry: the token is no good
        settled = not (report.busy or report.lost_lock) and not any(
            r.state is State.PENDING and r.reminder.post_at > now
            for r in self.ledger.ledger(channel_id)
        )
        self._settle(channel_id, settled)
        return report

    def _settle(self, channel_id: str, settled: bool) -> None:
        with self._guard:
            if settled:
                self._unsettled.discard(channel_id)
            else:
                self._unsettled.add(channel_id)

    def _reconcile_in_passes(self, task: _ChannelTask, report: SyncReport) -> None:
        for attempt in range(PASSES):
            this_pass = _ChannelPass(self, task).carry_out()
            if attempt == PASSES - 1 or not this_pass.transient:
                report.merge(this_pass)
                return
            this_pass.failed.clear()  # retried in the next pass
            this_pass.waiting.clear()
            report.merge(this_pass)

    def tell_subscriber(self, sub: Subscription, reason: str) -> None:
        """Direct-message the subscriber that Slack refuses their channel."""
        if not sub.subscriber:
            return
        try:
            self.scheduler.notify(sub.subscriber, self.messages.channel_broken(sub, reason))
        except Exception:
            log.warning("could not tell %s that %s is broken", sub.subscriber, sub.channel_id)


def _any_between(reminders: list[Reminder], after: datetime | None, until: datetime) -> bool:
    return any((after is None or r.post_at > after) and r.post_at <= until for r in reminders)


@dataclass(frozen=True)
class _ChannelTask:
    """What one channel reconcile works on: the channel, as of when, under which lock, how."""

    channel_id: str
    now: datetime
    lock: ChannelLock
    urgent: bool  # a person waits: its calls go first
    until: datetime | None  # schedule new reminders due by then only (a bulk wave)


class _ChannelPass:
    """One pass over one channel, under its lock: adopt, decide, apply. The workspace's parts
    are the delivery's (`self.delivery`), the channel, time and lock the task's (`self.task`)."""

    def __init__(self, delivery: Delivery, task: _ChannelTask) -> None:
        self.delivery = delivery
        self.task = task
        # What the documents published by now say: the plan and the messages' words alike.
        self.digest = delivery.digest().as_of(task.now)
        self.report = SyncReport()

    @property
    def ledger(self) -> Ledger:
        """The workspace's ledger (the delivery's)."""
        return self.delivery.ledger

    def carry_out(self) -> SyncReport:
        """Make the pass; a channel Slack refuses is marked broken and its subscriber told."""
        channel_id = self.task.channel_id
        # Read under the lock: what another instance just did is visible now.
        sub = self.ledger.subscription(channel_id)
        try:
            self._reconcile(sub)
        except _ChannelBroken as broken:
            self.report.broken.append((channel_id, broken.reason))
            if sub is not None and sub.broken is None:
                self.ledger.mark_broken(channel_id, broken.reason)
                self.delivery.tell_subscriber(sub, broken.reason)
        return self.report

    def _reconcile(self, sub: Subscription | None) -> None:
        task = self.task
        desired: dict[tuple[str, str, int, int], Reminder] = {}
        if sub is not None and sub.broken is None:
            desired = {r.key: r for r in plan_channel(self.digest, sub, task.now).due}
        rows = self.ledger.ledger(task.channel_id)
        listed = True
        if any(r.state is State.PENDING for r in rows):
            rows, listed = self._adopt(rows)
        decisions = decide(desired, rows, task.now, listed, task.until)
        self._apply(decisions)
        # One commit for every new row, before Slack is asked for any.
        reserved = self.ledger.reserve_many(decisions.schedule)
        for i, send in enumerate(decisions.send):
            known = {key: row.id for key, row in send.rows.items()} | reserved
            members = [(known[r.key], r) for r in send.batch.reminders if r.key in known]
            try:
                self._schedule(members, send.batch)
            except _ChannelBroken:
                for later in decisions.send[i + 1 :]:
                    for reminder in later.batch.reminders:
                        if reminder.key in reserved:  # never sent: nothing for Slack to hold
                            self.ledger.forget(reserved[reminder.key])
                raise
            # LockLost propagates touching nothing: the rows are another instance's now.

    def _apply(self, decisions: Decisions) -> None:
        for row in decisions.sent:
            self.ledger.mark_sent(row.id)
        for row in decisions.missed:
            self._missed(row.id, row.reminder, "its time came before Slack confirmed it")
        self.report.waiting.extend(r.reminder for r in decisions.wait)
        by_message: dict[str, list[LedgerRow]] = {}
        for row in decisions.delete:
            by_message.setdefault(row.scheduled_message_id or f"row:{row.id}", []).append(row)
        for held in by_message.values():
            self._delete(held)

    def _adopt(self, rows: list[LedgerRow]) -> tuple[list[LedgerRow], bool]:
        """Match pending rows (the scheduler's answer never recorded) with what it holds;
        False when it cannot say what it holds."""
        try:
            held = self.delivery.scheduler.held(self.task.channel_id, self.task.urgent)
        except DeliveryError as exc:
            _refused(exc)
            if exc.failure is Failure.CHANNEL:
                raise _ChannelBroken(exc.error) from None
            self.report.transient = True
            return rows, False  # cannot look: pending rows wait, neither resent nor forgotten
        for adoption in adoptions(rows, held):
            self.ledger.confirm(adoption.row.id, adoption.message_id)
            self.report.adopted.append(adoption.row.reminder)
        return self.ledger.ledger(self.task.channel_id), True

    def _schedule(self, rows: list[tuple[int, Reminder]], batch: Batch) -> None:
        """Schedule one message for a batch of reminders (its rows reserved already)."""
        message = self.delivery.messages.batch(batch, self.digest)
        self.task.lock.check()
        try:
            message_id = self.delivery.scheduler.schedule(batch, message, self.task.urgent)
        except DeliveryError as exc:
            _refused(exc)  # the reserved rows stay pending: adopted or sent with a new token
            if exc.failure is Failure.CHANNEL:
                for row_id, _ in rows:
                    self.ledger.forget(row_id)
                raise _ChannelBroken(exc.error) from None
            for row_id, reminder in rows:
                self._failed(row_id, reminder, exc)
            return
        for row_id, _ in rows:
            self.ledger.confirm(row_id, message_id)
        self.report.scheduled.extend(batch.reminders)

    def _failed(self, row_id: int, reminder: Reminder, exc: DeliveryError) -> None:
        if exc.error == TOO_LATE:
            self._missed(row_id, reminder, "its time came while it waited to be scheduled")
            return
        if exc.failure is Failure.GONE:
            self.ledger.forget(row_id)
        else:  # stays pending: retried soon, after asking Slack what it holds
            self.ledger.note_error(row_id, exc.error)
        self.report.failed.append((reminder, exc.error))
        self.report.transient = self.report.transient or exc.failure is Failure.TRANSIENT

    def _missed(self, row_id: int, reminder: Reminder, why: str) -> None:
        # Not posted late (Slack refuses a past post_at, and a late chat.postMessage could not
        # be checked against Slack's list): kept as missed, logged, counted in the report.
        log.warning(
            "reminder missed: %s, %s, %d days ahead, due %s: %s",
            reminder.channel_id,
            reminder.event_id,
            reminder.lead_days,
            reminder.post_at.isoformat(),
            why,
        )
        self.ledger.mark_missed(row_id, why)
        self.report.missed.append(reminder)

    def _delete(self, rows: list[LedgerRow]) -> None:
        """Delete one held message (the rows of its reminders), or forget unsent rows."""
        ident = rows[0].scheduled_message_id
        if rows[0].state is State.SCHEDULED and ident:
            task = self.task
            task.lock.check()
            try:
                self.delivery.scheduler.delete(task.channel_id, ident, task.urgent)
            except DeliveryError as exc:
                _refused(exc)
                # Already posted or deleted, or the channel is gone: nothing left to delete.
                if exc.error != ALREADY_GONE and exc.failure is not Failure.CHANNEL:
                    self.report.failed.extend((row.reminder, exc.error) for row in rows)
                    transient = exc.failure is Failure.TRANSIENT
                    self.report.transient = self.report.transient or transient
                    return
        for row in rows:
            self.ledger.forget(row.id)
            self.report.deleted.append(row.reminder)
