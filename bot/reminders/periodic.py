"""The periodic reconcile a server runs: every channel at start, then every interval."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from bot.reminders.delivery import Delivery

log = logging.getLogger("sco_bot.remind")

# Channels left unsettled (a reminder still pending, a busy or lost lock) are reconciled again
# this often, not at the next full reconcile an hour later.
RETRY_SECONDS = 60.0


class PeriodicReconcile:
    """Reconciles every channel of every workspace at start and then every `interval` seconds,
    in a thread; in between, every `retry` seconds, the channels the last reconciles left
    unsettled. A workspace whose token Slack refuses is logged once and left alone (its
    delivery is no longer among `deliveries()`)."""

    def __init__(
        self,
        deliveries: Callable[[], list[Delivery]],
        clock: Callable[[], datetime],
        interval: float,
        retry: float = RETRY_SECONDS,
        after: Callable[[datetime], None] | None = None,
    ) -> None:
        self.deliveries = deliveries
        self.clock = clock
        # What runs after each pass (what's new: a view of the digest changes as documents
        # come out, not only when the files change).
        self.after = after
        self.interval = interval
        self.retry = min(retry, interval)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sco-periodic", daemon=True)

    def start(self) -> None:
        """Start the loop."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop (the current reconcile finishes)."""
        self._stop.set()

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` s for the loop to end; True once it has."""
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _loop(self) -> None:
        next_full = time.monotonic()
        while not self._stop.is_set():
            full = time.monotonic() >= next_full
            if full:
                next_full = time.monotonic() + self.interval
            try:
                self._once(full)
            except Exception:
                log.exception("periodic reconcile failed")
            self._stop.wait(max(0.0, min(self.retry, next_full - time.monotonic())))

    def _once(self, full: bool) -> None:
        for delivery in self.deliveries():
            try:
                self._reconcile(delivery, full)
            except Exception:  # one workspace's failure never stops the others'
                log.exception("periodic reconcile of %s failed", delivery.ledger.workspace.label)
        if self.after is not None:
            self.after(self.clock())

    def _reconcile(self, delivery: Delivery, full: bool) -> None:
        channels = None if full else delivery.unsettled()
        if channels == []:
            return
        report = delivery.reconcile(self.clock(), channels)
        workspace = delivery.ledger.workspace
        if report.refused:
            log.error(
                "Slack refuses the token of %s (%s): its reminders stop until it is installed "
                "again (or the token is replaced)",
                workspace.label,
                report.refused,
            )
        log.info(
            "reconcile%s%s: %d scheduled, %d deleted, %d adopted, %d failed, %d busy, %d missed",
            "" if full else " of unsettled channels",
            "" if workspace.team_id == workspace.enterprise_id == "" else f" of {workspace.label}",
            len(report.scheduled),
            len(report.deleted),
            len(report.adopted),
            len(report.failed),
            len(report.busy),
            len(report.missed),
        )
