"""The composition root: the running system, built once from settings.

Everything that answers (the Slack app, every CLI subcommand, the tests and the benchmarks)
gets its parts from here: the digest holder, the renderer, the reminder desk (the commands'
`Reminders`, handed to the pipeline as a value) and the pipeline; then, when first needed, the
ledger's database, Slack's clients and each workspace's delivery. Slack's libraries and the
database are imported only when first needed, so a terminal briefing never loads them, and a
server starts while its database is down (`/healthz` says so)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.background import OTHER, URGENT, Background, Lane
from bot.clock import Clock
from bot.knowledge.digest import Digest
from bot.knowledge.errors import DigestError
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.knowledge.reload import DigestReloader
from bot.pipeline import Pipeline
from bot.queries.derived import prepare
from bot.reminders.desk import ReminderDesk, Submit, inline
from bot.reminders.workspace import Workspace, current_workspace
from bot.rendering.renderer import Renderer
from bot.settings import Settings
from bot.slack.replies import ShareButton

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.reminders.delivery import Delivery
    from bot.reminders.feed import FeedLinks
    from bot.reminders.ledger import Ledger
    from bot.reminders.messages import ReminderMessages
    from bot.reminders.news_desk import NewsDesk
    from bot.slack.installs import Grant, Tokens

log = logging.getLogger("sco_bot")

# Slack work after the ack (posts, views, response_url): threads, one more for views only (a
# trigger lives 3 s), and jobs queued at most (more are dropped and logged, never held). The
# threads mostly wait on Slack (a round trip, a 429's Retry-After), so there are many of them:
# a waiting thread costs memory for its stack, not CPU.
SLACK_WORKERS = 32
SLACK_QUEUE = 2000
# Answers the ack waits for (the reminder ledger, a user's zone) and subscription reconciles.
ANSWER_WORKERS = 4
ANSWER_QUEUE = 200
RECONCILE_WORKERS = 2
RECONCILE_QUEUE = 10_000
ANSWERS = "answers"
RECONCILES = "reconcile"
# The one executor's lanes: each its own bound and threads, so no backlog stops another lane.
LANES = (
    Lane(OTHER, SLACK_WORKERS, SLACK_QUEUE, first=(URGENT,)),
    Lane(URGENT, 1, SLACK_QUEUE),
    Lane(ANSWERS, ANSWER_WORKERS, ANSWER_QUEUE),
    Lane(RECONCILES, RECONCILE_WORKERS, RECONCILE_QUEUE),
)


def feed_links(settings: Settings) -> FeedLinks | None:
    """The calendar feed's links, signed with the app's signing secret (None without one:
    then no feed is served)."""
    from bot.reminders.feed import FeedLinks

    secret = settings.slack_signing_secret or settings.slack_client_secret
    return FeedLinks(secret, settings.public_url) if secret else None


class Services:
    """The parts of the running system, wired once; the ledger and Slack's clients on first use."""

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
        self._background = background
        self._ledger: Ledger | None = None
        self._guard = threading.RLock()  # tokens() opens the ledger under it
        self._tokens: Tokens | None = None
        # Each workspace's delivery, built with its token (a new token, a new delivery).
        self._deliveries: dict[Workspace, tuple[str, Delivery]] = {}
        # Set when a workspace leaves: every client of its token stops calling Slack.
        self._revoked: dict[Workspace, threading.Event] = {}
        self._messages: ReminderMessages | None = None
        # The one executor of background work. Threads start only when work comes (a terminal
        # never starts one); all are daemons that close(timeout) waits for within the bound,
        # so none holds the exit.
        self.background = Background("sco-work", lanes=LANES)
        self.answers = self.background.lane(ANSWERS)
        self._reconciles = self.background.lane(RECONCILES)
        # What commands ask of reminders (`Reminders`), handed to them as a value.
        self.reminders = self._build_desk()
        self.pipeline = Pipeline(
            self.digests,
            renderer,
            settings.timezone,
            self.reminders,
            settings.admins,
            cache_bytes=int(settings.answer_cache_mb * 1024 * 1024),
            feed=feed_links(settings),
            finish=ShareButton(renderer),  # every private reply, in Slack or printed as its blocks
        )

    @property
    def serving(self) -> bool:
        """Built to serve (`sco-bot serve`), not for one terminal answer or a test's app."""
        return self._background

    def ledger(self) -> Ledger:
        """The ledger, its database opened (and migrated) on first use; after a failure, tried
        again on the next use."""
        from bot.reminders.ledger import Ledger

        # Threads (requests, the periodic reconcile, /healthz) may ask at once: open one.
        with self._guard:
            if self._ledger is None:
                self._ledger = Ledger(self.settings.database_url)
            return self._ledger

    def tokens(self) -> Tokens:
        """Each workspace's bot token: SLACK_BOT_TOKEN's, or the OAuth installations'."""
        with self._guard:
            if self._tokens is None:
                self._tokens = self._build_tokens()
            return self._tokens

    def _build_tokens(self) -> Tokens:
        from bot.slack.installs import Installations, OneToken

        if self.settings.oauth:
            return Installations(self.settings, self.ledger().engine)
        return OneToken(self.settings.slack_bot_token or "")

    def revoked(self, workspace: Workspace) -> threading.Event:
        """Set once the workspace left: its clients make no more calls."""
        with self._guard:
            return self._revoked.setdefault(workspace, threading.Event())

    def delivery(self, workspace: Workspace | None = None) -> Delivery | None:
        """Delivery to a workspace (the one being served by default) with its own token, or
        None without one (no SLACK_BOT_TOKEN, not installed)."""
        workspace = current_workspace() if workspace is None else workspace
        if not self.settings.slack_bot_token and not self.settings.oauth:
            return None
        grant = self.tokens().grant(workspace)
        if grant is None:
            return None
        return self._delivery(grant)

    def deliveries(self) -> list[Delivery]:
        """The delivery of every workspace with reminders in the ledger and a token, except
        those whose token Slack refused (their work ended; a new token starts it again)."""
        if not self.settings.slack_bot_token and not self.settings.oauth:
            return []
        found = []
        for workspace in self.ledger().workspaces():
            try:
                delivery = self.delivery(workspace)
            except Exception:  # one workspace's lookup (a refused refresh) never stops others
                log.exception("no delivery for %s", workspace.label)
                continue
            if delivery is not None and not delivery.refused:
                found.append(delivery)
        return found

    def _delivery(self, grant: Grant) -> Delivery:
        from bot.reminders.delivery import Delivery
        from bot.reminders.messages import ReminderMessages
        from bot.reminders.pacing import Pacers
        from bot.reminders.slack_scheduler import SlackScheduler
        from bot.slack.client import create_web_client

        with self._guard:
            known = self._deliveries.get(grant.workspace)
            if known is not None and known[0] == grant.token:
                return known[1]
            if self._messages is None:
                self._messages = ReminderMessages(
                    self.renderer, self.settings.timezone, self.settings.admins
                )
            revoked = self._revoked.setdefault(grant.workspace, threading.Event())
        client = create_web_client(
            self.settings, retry_connection_errors=False, token=grant.token, revoked=revoked
        )
        # Pacing per workspace: Slack's Tier 3 limits are per workspace and method.
        scheduler = SlackScheduler(client, Pacers(self.settings.slack_calls_per_minute))
        ledger = self.ledger().scoped(grant.workspace)
        delivery = Delivery(ledger, scheduler, self._messages, self.digests)
        with self._guard:
            self._deliveries[grant.workspace] = (grant.token, delivery)
        return delivery

    def news_desks(self) -> list[NewsDesk]:
        """What's new for every workspace with a delivery (its own token and scheduler)."""
        from bot.reminders.following import FollowBook
        from bot.reminders.news_desk import NewsDesk

        desks = []
        for delivery in self.deliveries():
            book = FollowBook(delivery.ledger)
            render = delivery.messages.news
            desks.append(
                NewsDesk(book, delivery.scheduler, render, self.digests, self.settings.timezone)
            )
        return desks

    def tell_news(self, now: datetime) -> None:
        """Tell every following channel of every workspace what's new as of `now`, once."""
        for desk in self.news_desks():
            workspace = desk.book.ledger.workspace
            try:
                report = desk.tell(now)
            except Exception:  # one workspace's failure never stops the others'
                log.exception("what's new for %s failed", workspace.label)
                continue
            if report.posted or report.missed or report.failed:
                log.info(
                    "what's new for %s: %d posted, %d quiet, %d missed, %d failed",
                    workspace.label,
                    report.posted,
                    report.quiet,
                    report.missed,
                    report.failed,
                )

    def web_client(self, *, retry_connection_errors: bool = True) -> WebClient:
        """A Slack Web API client configured from the settings."""
        from bot.slack.client import create_web_client

        return create_web_client(self.settings, retry_connection_errors=retry_connection_errors)

    def database_ok(self) -> bool:
        """True when the ledger's database answers."""
        try:
            return self.ledger().ping()
        except Exception:  # the ledger could not even be opened
            return False

    def close(self, timeout: float) -> bool:
        """Take no more background work; finish what is queued within `timeout` s in all.
        False when some was cut short (a reconcile resumes at the next start)."""
        return self.background.close(timeout)

    def prepare(self, digest: Digest) -> None:
        """Work out a digest's derived views before it serves (at start and before a swap)."""
        prepare(digest, self.settings.timezone)

    def reloader(self, on_invalid: Callable[[DigestError], None]) -> DigestReloader:
        """A watcher that swaps in a changed digest and then reconciles reminders."""

        def reconcile_after_reload(_digest: Digest) -> None:
            for delivery in self.deliveries():
                delivery.reconcile(self.clock.now())
            self.tell_news(self.clock.now())

        return DigestReloader(
            self.digests,
            self.settings.knowledge_dir,
            self.settings.reload_seconds,
            reconcile_after_reload,
            on_invalid,
            prepare=self.prepare,
        )

    def _build_desk(self) -> ReminderDesk:
        """The reminder desk: it opens the ledger and finds a workspace's delivery through this
        root when a change or a status first needs them (nothing is opened here)."""
        # Subscription changes reconcile in the background when serving, inline in a terminal.
        submit: Submit = self._reconciles.submit if self._background else inline
        return ReminderDesk(self.ledger, self.delivery, self.digests, self.clock.now, submit)

    def leave(self, workspace: Workspace, users: tuple[str, ...] = ()) -> None:
        """A workspace removed the app (app_uninstalled, or tokens_revoked naming the bot):
        no client calls Slack with its token any more; the scheduled messages Slack still
        lets us delete are deleted; its subscriptions, reminders, greetings, installation
        and cached clients are forgotten. `users`: only these users' tokens were revoked."""
        from bot.reminders.leaving import delete_scheduled

        if users:
            self.tokens().forget(workspace, users)
            return
        with self._guard:
            known = self._deliveries.pop(workspace, None)
        token = self._token_of(workspace, known)
        self.revoked(workspace).set()  # from now on, no call with its token but these:
        ledger = self.ledger().scoped(workspace)
        deleted = 0
        if token is not None:
            deleted = delete_scheduled(ledger, self._cleanup_client(token))
        rows = ledger.forget_workspace()
        self.tokens().forget(workspace)
        with self._guard:
            self._revoked[workspace] = threading.Event()  # a later install starts afresh
        log.warning(
            "%s removed the app: %d scheduled reminders deleted in Slack, %d ledger rows and "
            "its installation forgotten",
            workspace.label,
            deleted,
            rows,
        )

    def _token_of(self, workspace: Workspace, known: tuple[str, Delivery] | None) -> str | None:
        if known is not None:
            return known[0]
        try:
            grant = self.tokens().grant(workspace, rotate=False)
        except Exception:
            return None
        return grant.token if grant else None

    def _cleanup_client(self, token: str) -> WebClient:
        from bot.slack.client import create_web_client

        # No waiting out 429s at length: Slack most likely refuses the token already.
        return create_web_client(
            self.settings, retry_connection_errors=False, token=token, rate_limit_wait=5.0
        )


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
