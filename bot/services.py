"""The composition root: the running system, built once from settings.

Everything that answers (the Slack app, every CLI subcommand, the tests and the benchmarks)
gets its parts from here: the digest holder, the renderer, the pipeline, and on first use the
ledger, Slack's client, delivery and the reminder desk. Slack's libraries and the database are
imported only when first needed, so a terminal briefing never loads them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.knowledge.digest import Digest
from bot.knowledge.errors import DigestError
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.knowledge.reload import DigestReloader
from bot.pipeline import Pipeline
from bot.queries.derived import prepare
from bot.rendering.renderer import Renderer
from bot.settings import Settings

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.reminders.delivery import Delivery
    from bot.reminders.desk import ReminderDesk


class Services:
    """The parts of the running system, wired once; the desk and Slack's clients on first use."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        digest: Digest | DigestHolder,
        renderer: Renderer,
        *,
        background: bool = False,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.digests = digest if isinstance(digest, DigestHolder) else DigestHolder(digest)
        self.renderer = renderer
        # Subscription changes reconcile in the background when serving, inline in a terminal.
        self._background = background
        self.pipeline = Pipeline(
            self.digests,
            renderer,
            settings.timezone,
            self.desk,
            settings.admins,
            cache_bytes=int(settings.answer_cache_mb * 1024 * 1024),
        )
        self._desk: ReminderDesk | None = None
        self._desk_guard = threading.Lock()

    def desk(self) -> ReminderDesk:
        """The reminder desk (opening the ledger's database on first use)."""
        # Threads (requests, the periodic reconcile, /healthz) may ask at once: build one desk.
        with self._desk_guard:
            if self._desk is None:
                self._desk = self._build_desk()
            return self._desk

    def delivery(self) -> Delivery | None:
        """Delivery through Slack, or None without a bot token."""
        return self.desk().delivery

    def web_client(self, *, retry_connection_errors: bool = True) -> WebClient:
        """A Slack Web API client configured from the settings."""
        from bot.slack.client import create_web_client

        return create_web_client(self.settings, retry_connection_errors=retry_connection_errors)

    def database_ok(self) -> bool:
        """True when the ledger's database answers."""
        try:
            return self.desk().ledger.ping()
        except Exception:  # the ledger could not even be opened
            return False

    def prepare(self, digest: Digest) -> None:
        """Work out a digest's derived views before it serves (at start and before a swap)."""
        prepare(digest, self.settings.timezone)

    def reloader(self, on_invalid: Callable[[DigestError], None]) -> DigestReloader:
        """A watcher that swaps in a changed digest and then reconciles reminders."""

        def reconcile_after_reload(_digest: Digest) -> None:
            delivery = self.delivery()
            if delivery is not None:
                delivery.reconcile(self.clock.now())

        return DigestReloader(
            self.digests,
            self.settings.knowledge_dir,
            self.settings.reload_seconds,
            reconcile_after_reload,
            on_invalid,
            prepare=self.prepare,
        )

    def _build_desk(self) -> ReminderDesk:
        from bot.reminders.delivery import Delivery
        from bot.reminders.desk import ReminderDesk, Runner, run_now
        from bot.reminders.ledger import Ledger
        from bot.reminders.messages import ReminderMessages
        from bot.reminders.pacing import Pacers
        from bot.reminders.slack_scheduler import SlackScheduler

        ledger = Ledger(self.settings.database_url)
        delivery = None
        if self.settings.slack_bot_token:
            delivery = Delivery(
                ledger,
                SlackScheduler(
                    self.web_client(retry_connection_errors=False),
                    Pacers(self.settings.slack_calls_per_minute),
                ),
                ReminderMessages(self.renderer, self.settings.timezone),
                self.digests,
            )
        run: Runner = run_now
        if self._background:
            run = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sco-reconcile").submit
        return ReminderDesk(ledger, delivery, self.digests, self.clock.now, run)


def build_services(
    settings: Settings, clock: Clock | None = None, *, serving: bool = False
) -> Services:
    """Load the digest and templates the settings name (raises DigestError when invalid).

    `serving` (a server): templates and the digest's derived views are built now, not on
    someone's first command, and subscription changes reconcile in the background."""
    cache = settings.cache_dir
    digest = load_digest(Path(settings.knowledge_dir), cache)
    if serving:
        prepare(digest, settings.timezone)
    renderer = Renderer(
        Path(settings.templates_dir),
        precompile=serving,
        bytecode_cache=cache / "templates" if cache else None,
    )
    return Services(settings, clock or settings.clock(), digest, renderer, background=serving)
