"""What a reconcile should do, as a pure function of the plan, the ledger and what Slack holds.

No I/O here: `Delivery` applies these decisions through the ledger and a `Scheduler`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.reminders.plan import Reminder
from bot.reminders.records import LedgerRow, State
from bot.reminders.scheduler import Held

Key = tuple[str, str, int, int]


@dataclass(frozen=True)
class Adoption:
    """A pending row whose message Slack turned out to hold: record Slack's id for it."""

    row: LedgerRow
    message_id: str


def adoptions(
    rows: Sequence[LedgerRow], held: Sequence[Held], titles: Mapping[str, str]
) -> list[Adoption]:
    """Match pending rows (Slack's answer never recorded) with messages Slack holds.

    A held message is matched by its post time and the event's title in its text; each held
    message is adopted once, and never one that another row already claims."""
    claimed = {r.scheduled_message_id for r in rows if r.scheduled_message_id}
    found: list[Adoption] = []
    for row in rows:
        if row.state is not State.PENDING:
            continue
        post_at = int(row.reminder.post_at.timestamp())
        title = titles.get(row.reminder.event_id, "")
        for message in held:
            if message.post_at == post_at and message.id not in claimed and title in message.text:
                found.append(Adoption(row, message.id))
                claimed.add(message.id)
                break
    return found


@dataclass(frozen=True)
class Decisions:
    """What to do with each ledger row, and which desired reminders are new."""

    sent: list[LedgerRow] = field(default_factory=list)  # its time came while Slack held it
    forget: list[LedgerRow] = field(default_factory=list)  # its time came, never confirmed
    delete: list[LedgerRow] = field(default_factory=list)  # no longer wanted
    retry: list[LedgerRow] = field(default_factory=list)  # pending and wanted: ask Slack again
    schedule: list[Reminder] = field(default_factory=list)  # wanted, not in the ledger


def decide(desired: Mapping[Key, Reminder], rows: Sequence[LedgerRow], now: datetime) -> Decisions:
    """Bring the ledger's rows in line with the reminders that should be held as of `now`."""
    decisions = Decisions()
    have: set[Key] = set()
    for row in rows:
        reminder = row.reminder
        if row.state is State.SENT:
            have.add(reminder.key)
        elif reminder.post_at <= now:
            # Its time came: Slack posted it if it held it; nothing to do either way.
            if row.state is State.SCHEDULED:
                decisions.sent.append(row)
                have.add(reminder.key)
            else:
                decisions.forget.append(row)
        elif reminder.key not in desired:
            decisions.delete.append(row)
        else:
            if row.state is State.PENDING:
                decisions.retry.append(row)
            have.add(reminder.key)
    decisions.schedule.extend(r for key, r in desired.items() if key not in have)
    return decisions
