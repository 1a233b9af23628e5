"""The periodic reconcile a server runs: every channel at start, then every interval."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from bot.reminders.delivery import Delivery

log = logging.getLogger("sco_bot.remind")


class PeriodicReconcile:
    """Reconciles every channel at start and then every `interval` seconds, in a thread."""

    def __init__(
        self,
        delivery: Callable[[], Delivery | None],
        clock: Callable[[], datetime],
        interval: float,
    ) -> None:
        self.delivery = delivery
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

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` s for the loop to end; True once it has."""
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                delivery = self.delivery()
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
