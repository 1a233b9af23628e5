"""What the ledger records of a reminder: where it stands with Slack."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.reminders.plan import Reminder


class State(StrEnum):
    """Where a ledger row stands with Slack."""

    PENDING = "pending"  # reserved; Slack has not confirmed it (yet)
    SCHEDULED = "scheduled"  # Slack returned a scheduled_message_id
    SENT = "sent"  # its post_at has passed: Slack posted it
    MISSED = "missed"  # its post_at passed before Slack confirmed it: kept, counted and logged


@dataclass(frozen=True)
class LedgerRow:
    """One reminder as the ledger knows it."""

    id: int
    reminder: Reminder
    state: State
    scheduled_message_id: str | None
    error: str | None
