"""`/sco remind on|off|status`: change a channel's subscription, then reconcile it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient

from bot.briefer import Briefer
from bot.delivery import Delivery
from bot.knowledge import Digest
from bot.reminders import Plan, Subscription, plan_channel
from bot.settings import Settings
from bot.store import LedgerRow, State, Store

log = logging.getLogger("sco_bot.remind")

Runner = Callable[[Callable[[], object]], object]


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


def run_now(job: Callable[[], object]) -> object:
    """Run a job in the caller's thread (the terminal)."""
    return job()


class ReminderDesk:
    """Subscriptions for channels; each change is followed by a reconcile of that channel."""

    def __init__(
        self,
        store: Store,
        delivery: Delivery | None,
        digest: Callable[[], Digest],
        clock: Callable[[], datetime],
        run: Runner = run_now,
    ) -> None:
        self.store = store
        self.delivery = delivery
        self.digest = digest
        self.clock = clock
        self.run = run

    def subscribe(self, sub: Subscription, now: datetime) -> ChannelStatus:
        """Subscribe (or re-subscribe with new settings) and schedule its reminders."""
        self.store.subscribe(sub)
        self._reconcile(sub.channel_id)
        return self.status(sub.channel_id, now)

    def unsubscribe(self, channel_id: str, now: datetime) -> ChannelStatus:
        """Unsubscribe and delete every pending reminder of the channel."""
        pending = [r for r in self.store.ledger(channel_id) if r.reminder.post_at > now]
        self.store.unsubscribe(channel_id)
        self._reconcile(channel_id)
        status = self.status(channel_id, now)
        return ChannelStatus(
            channel_id, None, None, status.ledger, status.slack_ready, removed=len(pending)
        )

    def status(self, channel_id: str, now: datetime) -> ChannelStatus:
        """What the channel is subscribed to and what is scheduled for it."""
        sub = self.store.subscription(channel_id)
        plan = plan_channel(self.digest(), sub, now) if sub else None
        ledger = [r for r in self.store.ledger(channel_id) if r.reminder.post_at > now]
        return ChannelStatus(channel_id, sub, plan, ledger, self.delivery is not None)

    def _reconcile(self, channel_id: str) -> None:
        delivery = self.delivery
        if delivery is None:
            return

        def job() -> object:
            try:
                return delivery.reconcile_channel(channel_id, self.clock())
            except Exception:
                log.exception("reconcile of %s after a subscription change failed", channel_id)
                return None

        self.run(job)


def desk_factory(
    settings: Settings,
    briefer: Briefer,
    clock: Callable[[], datetime],
    client: WebClient | None,
    run: Runner = run_now,
) -> Callable[[], ReminderDesk]:
    """Build the desk (and open the database) on first use only: briefings never touch it."""

    built: list[ReminderDesk] = []
    guard = threading.Lock()

    def build() -> ReminderDesk:
        # Threads (requests, the periodic reconcile, /healthz) may ask at once: build one desk.
        with guard:
            if not built:
                built.append(_build())
            return built[0]

    def _build() -> ReminderDesk:
        store = Store(settings.database_url)
        delivery = None
        if client is not None:
            delivery = Delivery(
                store, client, briefer.renderer, lambda: briefer.digest, settings.timezone
            )
        return ReminderDesk(store, delivery, lambda: briefer.digest, clock, run)

    return build


class PeriodicReconcile:
    """Reconciles every channel at start and then every `interval` seconds, in a thread."""

    def __init__(
        self, desk: Callable[[], ReminderDesk], clock: Callable[[], datetime], interval: float
    ) -> None:
        self.desk = desk
        self.clock = clock
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sco-periodic", daemon=True)

    def start(self) -> None:
        """Start the loop."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop (the current reconcile finishes)."""
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                delivery = self.desk().delivery
                if delivery is not None:
                    report = delivery.reconcile(self.clock())
                    log.info(
                        "reconcile: %d scheduled, %d deleted, %d adopted, %d failed, %d busy",
                        len(report.scheduled),
                        len(report.deleted),
                        len(report.adopted),
                        len(report.failed),
                        len(report.busy),
                    )
            except Exception:
                log.exception("periodic reconcile failed")
            self._stop.wait(self.interval)
