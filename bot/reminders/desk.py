"""The reminder desk: change a channel's subscription, then reconcile that channel.

`Reminders` is what the commands ask of reminders; the composition root (`bot/services.py`)
builds one `ReminderDesk` and hands it to every request as a value. Where no reminders are
configured, `NO_REMINDERS` says so honestly. Neither imports the database or Slack: the desk
reaches its ledger and its workspace's delivery only when a change or a status needs them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.knowledge.digest import Digest
from bot.reminders.plan import Plan, Subscription, plan_channel
from bot.reminders.records import LedgerRow, State
from bot.reminders.workspace import Workspace, current_workspace

if TYPE_CHECKING:
    from bot.reminders.delivery import Delivery
    from bot.reminders.ledger import Ledger

log = logging.getLogger("sco_bot.remind")

# How a reconcile after a subscription change is carried out: handed to a background executor
# when serving (the reply does not wait for Slack), done in the caller's thread in a terminal.
Submit = Callable[[Callable[[], object]], object]
# How long a subscription change waits for another instance holding the channel's lock: that
# instance reconciles one channel (a few calls), and the change must not be skipped.
CHANGE_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class ChannelStatus:
    """A channel's subscription, what the plan holds for it, and what the ledger records."""

    channel_id: str
    subscription: Subscription | None
    plan: Plan | None
    ledger: list[LedgerRow]
    slack_ready: bool
    removed: int = 0

    @property
    def confirmed(self) -> set[tuple[str, str, int, int]]:
        """Keys of reminders Slack has confirmed."""
        return {r.reminder.key for r in self.ledger if r.state is State.SCHEDULED}


class Reminders(Protocol):
    """What a command asks of reminders, for the workspace being served."""

    @property
    def available(self) -> bool:
        """Whether reminders are set up here (False: say so, touch nothing)."""
        ...

    @property
    def ledger(self) -> Ledger:
        """The workspace's ledger (follows and first visits live there too)."""
        ...

    def subscribe(self, sub: Subscription, now: datetime) -> ChannelStatus:
        """Subscribe (or re-subscribe with new settings) and schedule its reminders."""
        ...

    def unsubscribe(self, channel_id: str, now: datetime) -> ChannelStatus:
        """Unsubscribe and delete every pending reminder of the channel."""
        ...

    def status(self, channel_id: str, now: datetime) -> ChannelStatus:
        """What the channel is subscribed to and what is scheduled for it."""
        ...


class RemindersUnavailable(RuntimeError):
    """Asked for reminders where none are set up (a command must check `available` first)."""


class NoReminders:
    """Reminders not available here (a pipeline built without them): every ask refused."""

    available = False

    @property
    def ledger(self) -> Ledger:
        """None to give: reminders are not set up here."""
        raise RemindersUnavailable("no reminder ledger here")

    def subscribe(self, sub: Subscription, now: datetime) -> ChannelStatus:
        """Refused: reminders are not set up here."""
        raise RemindersUnavailable("no reminders here")

    def unsubscribe(self, channel_id: str, now: datetime) -> ChannelStatus:
        """Refused: reminders are not set up here."""
        raise RemindersUnavailable("no reminders here")

    def status(self, channel_id: str, now: datetime) -> ChannelStatus:
        """Refused: reminders are not set up here."""
        raise RemindersUnavailable("no reminders here")


NO_REMINDERS = NoReminders()


def inline(job: Callable[[], object]) -> object:
    """Carry out a job in the caller's thread (the terminal)."""
    return job()


class ReminderDesk:
    """Subscriptions for channels; each change is followed by a reconcile of that channel.

    Of the workspace the current request serves (`current_workspace()`): its ledger rows and
    its delivery, with its own token. `ledger` is the ledger, or how to open it (the
    composition root opens the database when it is first needed, so that a server starts while
    it is down); `delivery` is one (or None), or how to find a workspace's."""

    available = True

    def __init__(
        self,
        ledger: Ledger | Callable[[], Ledger],
        delivery: Delivery | Callable[[Workspace], Delivery | None] | None,
        digest: Callable[[], Digest],
        clock: Callable[[], datetime],
        submit: Submit = inline,
    ) -> None:
        self._ledger: Callable[[], Ledger] = ledger if callable(ledger) else lambda: ledger
        self._deliveries: Callable[[Workspace], Delivery | None] = (
            delivery if callable(delivery) else lambda _workspace: delivery
        )
        self.digest = digest
        self.clock = clock
        self.submit = submit

    @property
    def ledger(self) -> Ledger:
        """The ledger of the workspace being served."""
        return self._ledger().scoped(current_workspace())

    @property
    def delivery(self) -> Delivery | None:
        """Delivery to the workspace being served (None without its token)."""
        return self._deliveries(current_workspace())

    def subscribe(self, sub: Subscription, now: datetime) -> ChannelStatus:
        """Subscribe (or re-subscribe with new settings) and schedule its reminders."""
        self.ledger.subscribe(sub)
        self._reconcile(sub.channel_id)
        return self.status(sub.channel_id, now)

    def unsubscribe(self, channel_id: str, now: datetime) -> ChannelStatus:
        """Unsubscribe and delete every pending reminder of the channel."""
        pending = [r for r in self.ledger.ledger(channel_id) if r.reminder.post_at > now]
        self.ledger.unsubscribe(channel_id)
        self._reconcile(channel_id)
        status = self.status(channel_id, now)
        return ChannelStatus(
            channel_id, None, None, status.ledger, status.slack_ready, removed=len(pending)
        )

    def status(self, channel_id: str, now: datetime) -> ChannelStatus:
        """What the channel is subscribed to and what is scheduled for it."""
        sub = self.ledger.subscription(channel_id)
        plan = plan_channel(self.digest(), sub, now) if sub else None
        ledger = [r for r in self.ledger.ledger(channel_id) if r.reminder.post_at > now]
        return ChannelStatus(channel_id, sub, plan, ledger, self.delivery is not None)

    def _reconcile(self, channel_id: str) -> None:
        delivery = self.delivery
        if delivery is None:
            return
        workspace = current_workspace()

        def job() -> object:
            try:
                # The priority lane: its calls to Slack go before any bulk reconcile's.
                return delivery.reconcile_channel(
                    channel_id, self.clock(), urgent=True, wait=CHANGE_WAIT_SECONDS
                )
            except Exception:
                log.exception(
                    "reconcile of %s in %s after a subscription change failed",
                    channel_id,
                    workspace.label,
                )
                return None

        self.submit(job)
