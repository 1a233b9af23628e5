"""Reconcile Slack's scheduled messages with the plan: schedule what is missing, delete what
is stale, idempotently, with the ledger as the record of what Slack holds."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import queries
from bot.knowledge import Digest, Event
from bot.reminders import Reminder, Subscription, dated_events, plan_channel
from bot.render import Message, Renderer
from bot.store import LedgerRow, State, Store

log = logging.getLogger("sco_bot.delivery")

# Slack's answers that mean the bot cannot post in the channel at all.
CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
# Answers that mean the reminder will never be scheduled as it stands.
GONE_ERRORS = frozenset({"time_in_past", "time_too_far", "invalid_time"})
# Answers worth one more pass (after checking what Slack holds).
TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
PASSES = 2
WORKERS = 4  # channels reconciled at once


def _transient(error: str) -> bool:
    return (
        error in TRANSIENT_ERRORS
        or error.startswith("http_5")
        or error.startswith("http_429")
        or not error.islower()  # an exception class name: URLError, TimeoutError, ...
    )


@dataclass
class SyncReport:
    """What one reconcile did."""

    scheduled: list[Reminder] = field(default_factory=list)
    deleted: list[Reminder] = field(default_factory=list)
    adopted: list[Reminder] = field(default_factory=list)
    failed: list[tuple[Reminder | str, str]] = field(default_factory=list)
    broken: list[tuple[str, str]] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)  # channels another instance was reconciling

    def merge(self, other: SyncReport) -> None:
        """Add another report's items to this one."""
        for name in ("scheduled", "deleted", "adopted", "failed", "broken", "busy"):
            getattr(self, name).extend(getattr(other, name))


class _ChannelBroken(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _error_of(exc: SlackApiError) -> str:
    response: Any = exc.response
    status = getattr(response, "status_code", None)
    try:
        error = str(response.get("error") or "")
    except Exception:
        error = ""
    return error or f"http_{status}"


class Delivery:
    """Brings one Slack workspace's scheduled reminders in line with the plan."""

    def __init__(
        self,
        store: Store,
        client: WebClient,
        renderer: Renderer,
        digest: Callable[[], Digest],
        default_tz: ZoneInfo,
        workers: int = WORKERS,
    ) -> None:
        self.workers = workers
        self._rendered: dict[tuple[str, str, int, datetime], Message] = {}
        self.store = store
        self.client = client
        self.renderer = renderer
        self.digest = digest
        self.default_tz = default_tz

    def reconcile(self, now: datetime, channels: Iterable[str] | None = None) -> SyncReport:
        """Reconcile every channel (or the given ones), a few at a time (each under its own
        lock, so Slack's round trips overlap); one channel's failure never stops the others."""
        subs = {s.channel_id for s in self.store.subscriptions()}
        names = sorted(subs | set(self.store.ledger_channels()))
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
        asks Slack what it holds, so a call that did land is adopted, not sent twice."""
        report = SyncReport()
        with self.store.channel_lock(channel_id) as got:
            if not got:
                report.busy.append(channel_id)
                return report
            for attempt in range(PASSES):
                # Read under the lock: what another instance just did is visible now.
                sub = self.store.subscription(channel_id)
                this_pass = SyncReport()
                try:
                    self._reconcile_locked(channel_id, sub, now, this_pass)
                except _ChannelBroken as broken:
                    this_pass.broken.append((channel_id, broken.reason))
                    if sub is not None and sub.broken is None:
                        self.store.mark_broken(channel_id, broken.reason)
                        self._tell_subscriber(sub, broken.reason)
                last = attempt == PASSES - 1
                if last or not any(_transient(error) for _, error in this_pass.failed):
                    report.merge(this_pass)
                    break
                this_pass.failed.clear()  # retried in the next pass
                report.merge(this_pass)
        return report

    def _reconcile_locked(
        self, channel_id: str, sub: Subscription | None, now: datetime, report: SyncReport
    ) -> None:
        digest = self.digest()
        desired: dict[tuple[str, str, int, int], Reminder] = {}
        if sub is not None and sub.broken is None:
            desired = {r.key: r for r in plan_channel(digest, sub, now).due}
        rows = self.store.ledger(channel_id)
        if any(r.state is State.PENDING for r in rows):
            rows = self._adopt(channel_id, rows, report)
        have: set[tuple[str, str, int, int]] = set()
        for row in rows:
            reminder = row.reminder
            if row.state is State.SENT:
                have.add(reminder.key)
            elif reminder.post_at <= now:
                # Its time came: Slack posted it if it held it; nothing to do either way.
                if row.state is State.SCHEDULED:
                    self.store.mark_sent(row.id)
                    have.add(reminder.key)
                else:
                    self.store.forget(row.id)
            elif reminder.key not in desired:
                self._delete(row, report)
            elif row.state is State.PENDING:
                self._schedule(row.id, reminder, digest, report)
                have.add(reminder.key)
            else:
                have.add(reminder.key)
        missing = [reminder for key, reminder in desired.items() if key not in have]
        reserved = list(self.store.reserve_many(missing).items())
        for i, (key, row_id) in enumerate(reserved):
            try:
                self._schedule(row_id, desired[key], digest, report)
            except _ChannelBroken:
                for _, unsent in reserved[i + 1 :]:
                    self.store.forget(unsent)  # never sent: nothing for Slack to hold
                raise

    def _adopt(self, channel_id: str, rows: list[LedgerRow], report: SyncReport) -> list[LedgerRow]:
        """Match pending rows (Slack's answer never recorded) with what Slack actually holds."""
        claimed = {r.scheduled_message_id for r in rows if r.scheduled_message_id}
        try:
            held = self._scheduled_in_slack(channel_id)
        except SlackApiError as exc:
            if _error_of(exc) in CHANNEL_ERRORS:
                raise _ChannelBroken(_error_of(exc)) from None
            return rows  # cannot look: the rows stay pending until Slack answers
        titles = {e.id: e.title for _, e in dated_events(self.digest())}
        for row in rows:
            if row.state is not State.PENDING:
                continue
            post_at = int(row.reminder.post_at.timestamp())
            title = titles.get(row.reminder.event_id, "")
            for message in held:
                if (
                    message.get("post_at") == post_at
                    and message.get("id") not in claimed
                    and title in str(message.get("text", ""))
                ):
                    self.store.confirm(row.id, str(message["id"]))
                    claimed.add(str(message["id"]))
                    report.adopted.append(row.reminder)
                    break
        return self.store.ledger(channel_id)

    def _scheduled_in_slack(self, channel_id: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            response = self.client.chat_scheduledMessages_list(
                channel=channel_id, cursor=cursor, limit=100
            )
            messages += list(response.get("scheduled_messages") or [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return messages

    def _schedule(
        self, row_id: int, reminder: Reminder, digest: Digest, report: SyncReport
    ) -> None:
        message = self.render(reminder, digest)
        try:
            response = self.client.chat_scheduleMessage(
                channel=reminder.channel_id,
                post_at=int(reminder.post_at.timestamp()),
                text=message.text,
                blocks=[dict(b) for b in message.blocks],
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            error = _error_of(exc)
            if error in CHANNEL_ERRORS:
                self.store.forget(row_id)
                raise _ChannelBroken(error) from None
            if error in GONE_ERRORS:
                self.store.forget(row_id)
            else:
                self.store.note_error(row_id, error)
            report.failed.append((reminder, error))
            return
        except Exception as exc:  # network trouble: stays pending, retried next time
            self.store.note_error(row_id, type(exc).__name__)
            report.failed.append((reminder, type(exc).__name__))
            return
        self.store.confirm(row_id, str(response["scheduled_message_id"]))
        report.scheduled.append(reminder)

    def _delete(self, row: LedgerRow, report: SyncReport) -> None:
        if row.state is State.SCHEDULED and row.scheduled_message_id:
            try:
                self.client.chat_deleteScheduledMessage(
                    channel=row.reminder.channel_id,
                    scheduled_message_id=row.scheduled_message_id,
                )
            except SlackApiError as exc:
                error = _error_of(exc)
                # Already posted or deleted, or the channel is gone: nothing left to delete.
                if error not in {"invalid_scheduled_message_id", *CHANNEL_ERRORS}:
                    report.failed.append((row.reminder, error))
                    return
            except Exception as exc:
                report.failed.append((row.reminder, type(exc).__name__))
                return
        self.store.forget(row.id)
        report.deleted.append(row.reminder)

    def render(self, reminder: Reminder, digest: Digest) -> Message:
        """The reminder's message, as it will be posted (the same for every channel)."""
        key = (digest.version, reminder.event_id, reminder.lead_days, reminder.post_at)
        message = self._rendered.get(key)
        if message is None:
            message = self._render(reminder, digest)
            if len(self._rendered) >= 1024:
                self._rendered.clear()
            self._rendered[key] = message
        return message

    def _render(self, reminder: Reminder, digest: Digest) -> Message:
        event = _event(digest, reminder.event_id)
        tz = ZoneInfo(event.timezone) if event.timezone else self.default_tz
        return self.renderer.messages(
            "reminder.j2",
            {
                "event": event,
                "lead": reminder.lead_days,
                "timing": queries.timing(event.date, tz, reminder.post_at),
                "version": digest.version,
                "docs": digest.documents_by_id,
            },
        )[0]

    def _tell_subscriber(self, sub: Subscription, reason: str) -> None:
        if not sub.subscriber:
            return
        notice = self.renderer.messages(
            "reminder_broken.j2", {"channel_id": sub.channel_id, "reason": reason}
        )[0]
        try:
            self.client.chat_postMessage(channel=sub.subscriber, **notice.payload())
        except Exception:
            log.warning("could not tell %s that %s is broken", sub.subscriber, sub.channel_id)


def _event(digest: Digest, event_id: str) -> Event:
    for _, event in dated_events(digest):
        if event.id == event_id:
            return event
    raise KeyError(event_id)
