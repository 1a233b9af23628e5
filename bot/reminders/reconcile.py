"""What a reconcile should do, as a pure function of the plan, the ledger and what Slack holds.

No I/O here: `Delivery` applies these decisions through the ledger and a `Scheduler`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

from bot.reminders.plan import Reminder
from bot.reminders.records import LedgerRow, State
from bot.reminders.scheduler import Held

Key = tuple[str, str, int, int]


@dataclass(frozen=True)
class Adoption:
    """A pending row whose message Slack turned out to hold: record Slack's id for it."""

    row: LedgerRow
    message_id: str


def adoptions(rows: Sequence[LedgerRow], held: Sequence[Held]) -> list[Adoption]:
    """Match pending rows (Slack's answer never recorded) with messages Slack holds.

    A held message is matched by the reminder's tag, which the scheduler gives back exactly,
    and its post time; never by the message's text, which Slack returns escaped and which may
    contain another event's title. Each held message is adopted once, and never one that
    another row already claims."""
    claimed = {r.scheduled_message_id for r in rows if r.scheduled_message_id}
    by_tag = {(m.tag, m.post_at): m for m in held if m.tag and m.id not in claimed}
    found: list[Adoption] = []
    for row in rows:
        if row.state is not State.PENDING:
            continue
        post_at = int(row.reminder.post_at.timestamp())
        message = by_tag.pop((row.reminder.tag, post_at), None)
        if message is not None:
            found.append(Adoption(row, message.id))
    return found


@dataclass(frozen=True)
class Decisions:
    """What to do with each ledger row, and which desired reminders are new."""

    sent: list[LedgerRow] = field(default_factory=list)  # its time came while Slack held it
    missed: list[LedgerRow] = field(default_factory=list)  # its time came, never confirmed
    delete: list[LedgerRow] = field(default_factory=list)  # no longer wanted
    retry: list[LedgerRow] = field(default_factory=list)  # pending and wanted: ask Slack again
    wait: list[LedgerRow] = field(default_factory=list)  # pending, Slack's holdings unknown
    schedule: list[Reminder] = field(default_factory=list)  # wanted, not in the ledger


def decide(
    desired: Mapping[Key, Reminder],
    rows: Sequence[LedgerRow],
    now: datetime,
    listed: bool = True,
    until: datetime | None = None,
) -> Decisions:
    """Bring the ledger's rows in line with the reminders that should be held as of `now`.

    `listed`: the pending rows were checked against what Slack holds (and adopted where held).
    When Slack could not be asked, a pending row may be held there: it is neither sent again
    nor forgotten (which would leave an orphan no `remind off` deletes), it waits.
    `until`: schedule only new reminders due by then (a bulk reconcile's earlier wave)."""
    decisions = Decisions()
    have: set[Key] = set()
    for row in rows:
        reminder = row.reminder
        if row.state in (State.SENT, State.MISSED):
            have.add(reminder.key)
        elif reminder.post_at <= now:
            # Its time came: Slack posted it if it held it; an unconfirmed one is counted missed.
            (decisions.sent if row.state is State.SCHEDULED else decisions.missed).append(row)
            have.add(reminder.key)
        elif row.state is State.PENDING and not listed:
            decisions.wait.append(row)
            have.add(reminder.key)
        elif reminder.key not in desired:
            decisions.delete.append(row)
        else:
            if row.state is State.PENDING:
                decisions.retry.append(row)
            have.add(reminder.key)
    decisions.schedule.extend(
        r for key, r in desired.items() if key not in have and (until is None or r.post_at <= until)
    )
    decisions.schedule.sort()  # earliest post_at first
    return decisions


def waves(post_times: Sequence[datetime], size: int) -> list[datetime | None]:
    """Cut-offs that split reminders to schedule into waves of about `size` (more when many
    share one post time), earliest first, ending with None (everything): each wave goes across
    all channels before the next."""
    cuts: list[datetime | None] = []
    count = 0
    previous: datetime | None = None
    for moment, group in groupby(sorted(post_times)):
        many = len(list(group))
        if count and count + many > size:
            cuts.append(previous)
            count = 0
        count += many
        previous = moment
    return [*cuts, None]
