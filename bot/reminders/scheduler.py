"""What delivery needs from a channel that holds scheduled messages (Slack today), and how
its failures are classified."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.reminders.plan import Batch
from bot.rendering.blocks import Message


class Failure(StrEnum):
    """What a failed call means for the reminder and its channel."""

    CHANNEL = "channel"  # the bot cannot post in the channel at all
    GONE = "gone"  # the reminder will never be scheduled as it stands
    TRANSIENT = "transient"  # worth one more pass, after checking what is held
    AUTH = "auth"  # the workspace's token is refused: nothing more for that workspace
    OTHER = "other"


class DeliveryError(Exception):
    """A call the scheduler refused or could not complete; `error` is its short reason."""

    def __init__(self, error: str, failure: Failure) -> None:
        self.error = error
        self.failure = failure
        super().__init__(error)


@dataclass(frozen=True)
class Held:
    """A message the scheduler holds for a channel."""

    id: str
    post_at: int
    text: str
    # The tags (`Reminder.tag`) of the reminders it carries, as the scheduler gave them back.
    tags: tuple[str, ...] = ()


class Scheduler(Protocol):
    """Holds messages to post later in a channel (Slack's `chat.scheduleMessage` today)."""

    def held(self, channel_id: str, urgent: bool = False) -> list[Held]:
        """Every message held for the channel, each with the tags it was scheduled with
        (raises DeliveryError). `urgent`: a person waits for this call (the priority lane)."""
        ...

    def schedule(self, batch: Batch, message: Message, urgent: bool = False) -> str:
        """Hold `message` for the batch's post time, carrying its reminders' tags so that
        `held` gives them back exactly; return its id (raises DeliveryError)."""
        ...

    def delete(self, channel_id: str, message_id: str, urgent: bool = False) -> None:
        """Drop a held message (raises DeliveryError)."""
        ...

    def notify(self, user_id: str, message: Message) -> None:
        """Send a person a direct message now (raises on failure)."""
        ...
