"""What a reconcile should do, as a pure function of the plan, the ledger and what Slack holds.

No I/O here: `Delivery` applies these decisions through the ledger and a `Scheduler`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

from bot.reminders.plan import Batch, Reminder, batches
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

    A held message is matched by the tags of the reminders it carries, which the scheduler
    gives back exactly, and its post time; never by the message's text, which Slack returns
    escaped and which may contain another event's title. Each tag is adopted once; a message
    that a row claims though it does not carry that row's tag is never adopted."""
    claimants: dict[str, set[str]] = {}
    for r in rows:
        if r.scheduled_message_id:
            claimants.setdefault(r.scheduled_message_id, set()).add(r.reminder.tag)
    by_tag: dict[tuple[str, int], Held] = {}
    for message in held:
        if not claimants.get(message.id, set()) <= set(message.tags):
            continue  # claimed by a row it does not carry: not ours to adopt
        for tag in message.tags:
            by_tag.setdefault((tag, message.post_at), message)
    found: list[Adoption] = []
    for row in rows:
        if row.state is not State.PENDING:
            continue
        post_at = int(row.reminder.post_at.timestamp())
        found_message = by_tag.pop((row.reminder.tag, post_at), None)
        if found_message is not None:
            found.append(Adoption(row, found_message.id))
    return found


@dataclass(frozen=True)
class Send:
    """A message to schedule: a batch of reminders, some with a pending row already."""

    batch: Batch
    rows: Mapping[Key, LedgerRow]  # its reminders' pending rows (the others are new)


@dataclass(frozen=True)
class Decisions:
    """What to do with each ledger row, and which messages to schedule."""

    sent: list[LedgerRow] = field(default_factory=list)  # its time came while Slack held it
    missed: list[LedgerRow] = field(default_factory=list)  # its time came, never confirmed
    delete: list[LedgerRow] = field(default_factory=list)  # no longer wanted as held
    retry: list[LedgerRow] = field(default_factory=list)  # pending and wanted: ask Slack again
    wait: list[LedgerRow] = field(default_factory=list)  # pending, Slack's holdings unknown
    schedule: list[Reminder] = field(default_factory=list)  # wanted, not in the ledger
    send: list[Send] = field(default_factory=list)  # the messages to schedule, earliest first


def decide(
    desired: Mapping[Key, Reminder],
    rows: Sequence[LedgerRow],
    now: datetime,
    listed: bool = True,
    until: datetime | None = None,
) -> Decisions:
    """Bring the ledger's rows in line with the reminders that should be held as of `now`,
    each channel's reminders of one time in one message (`batches`).

    A held message is kept only when it carries exactly one wanted batch; otherwise it is
    deleted and its batch sent anew. `listed`: the pending rows were checked against what
    Slack holds (and adopted where held). When Slack could not be asked, a pending row may be
    held there: it is neither sent again nor forgotten (which would leave an orphan no `remind
    off` deletes), it waits, and so does its time's batch. `until`: schedule only batches due
    by then (a bulk reconcile's earlier wave)."""
    decisions = Decisions()
    finished: set[Key] = set()  # posted or missed: never scheduled again
    blocked: set[datetime] = set()  # times whose pending rows wait for Slack's list
    pending: dict[Key, LedgerRow] = {}
    messages: dict[str, list[LedgerRow]] = {}
    for row in rows:
        reminder = row.reminder
        if row.state in (State.SENT, State.MISSED):
            finished.add(reminder.key)
        elif reminder.post_at <= now:
            # Its time came: Slack posted it if it held it; an unconfirmed one is counted missed.
            (decisions.sent if row.state is State.SCHEDULED else decisions.missed).append(row)
            finished.add(reminder.key)
        elif row.state is State.PENDING and not listed:
            decisions.wait.append(row)
            blocked.add(reminder.post_at)
        elif row.state is State.PENDING:
            pending[reminder.key] = row
        else:
            messages.setdefault(row.scheduled_message_id or f"row:{row.id}", []).append(row)
    wanted = {b.keys: b for b in batches(r for k, r in desired.items() if k not in finished)}
    for held in messages.values():
        keys = frozenset(r.reminder.key for r in held)
        if keys in wanted:
            del wanted[keys]  # held as it should be
        else:
            decisions.delete.extend(held)
    for batch in wanted.values():
        if batch.post_at in blocked or (until is not None and batch.post_at > until):
            continue
        rows_of = {k: pending.pop(k) for k in batch.keys if k in pending}
        decisions.retry.extend(rows_of.values())
        decisions.schedule.extend(r for r in batch.reminders if r.key not in rows_of)
        decisions.send.append(Send(batch, rows_of))
    # Pending rows no batch takes: unwanted (nothing held, forget them), or of a later wave.
    later = {k for b in wanted.values() for k in b.keys}
    decisions.delete.extend(r for k, r in pending.items() if k not in later)
    decisions.schedule.sort()  # earliest post_at first
    decisions.send.sort(key=lambda s: (s.batch.post_at, s.batch.channel_id))
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
