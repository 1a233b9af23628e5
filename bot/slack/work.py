"""Slack work after the ack: what a listener hands on, and the clients it is done with.

Bolt answers Slack's request only when the listener returns (`process_before_response=True`),
so a listener never calls Slack itself: it acks, checks what it must (signature, payload,
duplicates), and queues the rest here. Every call to Slack, response_url posts included, is
bounded by SCO_SLACK_TIMEOUT, and a 429 is waited out on a background thread, never on one
that serves HTTP. Each request is served with its own workspace's token: once authorized, the
request's team is set (`serve`) and its queued work runs with it (`Background` copies the
context), so `work.client` in a job is always the token of the request that queued it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookResponse

from bot.background import Background, Expired, LaneSubmit
from bot.reminders.workspace import TOKEN_WORKSPACE, Workspace, serve_request
from bot.settings import Settings
from bot.slack.client import create_web_client, create_webhook_client
from bot.slack.people import UserZones

log = logging.getLogger("sco_bot")
# A view must open within 3 s of the trigger; queued longer than this, views.open would fail.
TRIGGER_SECONDS = 2.5
# How long one background call may wait out 429s in all (Slack's Retry-After is mostly 1-30 s).
RATE_LIMIT_WAIT = 60.0
# views.open waits out a 429 only this long: a later retry would find the trigger expired.
TRIGGER_RATE_LIMIT_WAIT = 1.0


class ResponseUrl:
    """Posts to one response_url (called as Bolt's `respond` is)."""

    def __init__(self, settings: Settings, url: str) -> None:
        self.client = create_webhook_client(settings, url, RATE_LIMIT_WAIT)

    def __call__(self, **message: Any) -> WebhookResponse:
        """Post `message` (text, blocks, response_type, replace_original...) to the URL."""
        return self.client.send_dict({k: v for k, v in message.items() if v is not None})


Post = Callable[..., WebhookResponse]


@dataclass(frozen=True)
class Team:
    """One workspace's token and the clients made with it."""

    workspace: Workspace
    token: str
    # Waits out 429s (within RATE_LIMIT_WAIT) on the background thread it runs on.
    client: WebClient
    # views.open: a 429 waited out briefly at most, the trigger would expire meanwhile.
    trigger_client: WebClient
    zones: UserZones  # its users' timezones (users.info with its token)


# The team the current request serves: set once it is authorized, carried to its jobs.
# (Whose it is, the team): a thread that served another app's request (a test) is not ours.
_TEAM: ContextVar[tuple[object, Team] | None] = ContextVar("sco_bot_team", default=None)
MAX_TEAMS = 1000  # tokens whose clients are kept (the least recently used go first)


class SlackWork:
    """The background executor every listener hands Slack work to, Slack's clients of the
    workspace being served (`client`, `trigger_client`, `zones`: the token of the request
    that queued the work), and the executor's lane of answers the ack waits for (`answers`)."""

    def __init__(
        self,
        settings: Settings,
        background: Background,
        answers: Background | LaneSubmit,
        revoked: Callable[[Workspace], threading.Event] | None = None,
    ) -> None:
        self.settings = settings
        self.background = background
        self.answers = answers
        self._revoked = revoked or (lambda _workspace: threading.Event())
        self._teams: LRUCache[str, Team] = LRUCache(MAX_TEAMS)
        self._guard = threading.Lock()
        self._default = self._team(TOKEN_WORKSPACE, settings.slack_bot_token or "")

    def _team(self, workspace: Workspace, token: str) -> Team:
        revoked = self._revoked(workspace)
        client = create_web_client(
            self.settings, rate_limit_wait=RATE_LIMIT_WAIT, token=token, revoked=revoked
        )
        trigger = create_web_client(
            self.settings, rate_limit_wait=TRIGGER_RATE_LIMIT_WAIT, token=token, revoked=revoked
        )
        return Team(workspace, token, client, trigger, UserZones(client))

    def serve(self, workspace: Workspace, token: str) -> Team:
        """Serve a workspace with its token in this request (and the work it queues)."""
        if token == self._default.token and workspace == TOKEN_WORKSPACE:
            team = self._default
        else:
            with self._guard:
                found = self._teams.get(token)
            if found is None or found.workspace != workspace:
                found = self._team(workspace, token)
                with self._guard:
                    self._teams[token] = found
            team = found
        _TEAM.set((self, team))
        serve_request(workspace)
        return team

    def forget(self, workspace: Workspace) -> None:
        """Drop a workspace's clients and its users' zones (it removed the app)."""
        with self._guard:
            for token in [t for t, team in self._teams.items() if team.workspace == workspace]:
                del self._teams[token]

    @property
    def team(self) -> Team:
        """The team being served (the bot token's outside a request)."""
        current = _TEAM.get()
        return current[1] if current is not None and current[0] is self else self._default

    @property
    def default_team(self) -> Team:
        """SLACK_BOT_TOKEN's team (with OAuth: no token, for calls that need none)."""
        return self._default

    @property
    def client(self) -> WebClient:
        """The Web API client of the workspace being served."""
        return self.team.client

    @property
    def trigger_client(self) -> WebClient:
        """The client that opens views (a 429 waited out briefly at most)."""
        return self.team.trigger_client

    @property
    def zones(self) -> UserZones:
        """The timezones of the workspace's users."""
        return self.team.zones

    def later(self, job: Callable[..., Any], *args: Any, urgent: bool = False) -> bool:
        """Run `job(*args)` on the background executor (with the current request's workspace
        and token); a failure is logged. Urgent jobs (a view to open) go first and are dropped
        when they could not start within the trigger's life. False when the queue is full,
        or closed for the exit (the job is dropped, and logged)."""
        deadline = time.monotonic() + TRIGGER_SECONDS if urgent else None
        try:
            future = self.background.submit(job, *args, urgent=urgent, deadline=deadline)
        except RuntimeError as refused:  # Busy, or closed
            log.warning("Slack work dropped (%s): %s", _name(job), refused)
            return False
        future.add_done_callback(log_failure)
        return True

    def response_url(self, url: str) -> Post:
        """What posts to a request's response_url, within SCO_SLACK_TIMEOUT."""
        return ResponseUrl(self.settings, url)


def new_request() -> None:
    """A request begins: nothing of the previous one on this thread (its team, its workspace)
    is served until its own authorization says whose it is."""
    _TEAM.set(None)
    serve_request(TOKEN_WORKSPACE)


def log_failure(done: Future[Any]) -> None:
    """Log a background job's exception (a Future swallows it otherwise)."""
    error = done.exception()
    if error is not None and not isinstance(error, Expired):  # Expired is logged where found
        log.error("a background reply failed", exc_info=error)


def _name(job: Callable[..., Any]) -> str:
    return getattr(job, "__name__", "job")
