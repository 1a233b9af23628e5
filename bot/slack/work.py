"""Slack work after the ack: what a listener hands on, and the clients it is done with.

Bolt answers Slack's request only when the listener returns (`process_before_response=True`),
so a listener never calls Slack itself: it acks, checks what it must (signature, payload,
duplicates), and queues the rest here. Every call to Slack, response_url posts included, is
bounded by SCO_SLACK_TIMEOUT, and a 429 is waited out on a background thread, never on one
that serves HTTP."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from slack_sdk.webhook import WebhookResponse

from bot.background import Background, Expired
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


class SlackWork:
    """The background executor every listener hands Slack work to, Slack's clients, and the
    threads of answers the ack waits for (`answers`: the ledger's)."""

    def __init__(self, settings: Settings, background: Background, answers: Background) -> None:
        self.settings = settings
        self.background = background
        self.answers = answers
        # Waits out 429s (within RATE_LIMIT_WAIT) on the background thread it runs on.
        self.client = create_web_client(settings, rate_limit_wait=RATE_LIMIT_WAIT)
        # views.open: a 429 waited out briefly at most, the trigger would expire meanwhile.
        self.trigger_client = create_web_client(settings, rate_limit_wait=TRIGGER_RATE_LIMIT_WAIT)
        self.zones = UserZones(self.client)

    def later(self, job: Callable[..., Any], *args: Any, urgent: bool = False) -> bool:
        """Run `job(*args)` on the background executor; a failure is logged. Urgent jobs (a
        view to open) go first and are dropped when they could not start within the trigger's
        life. False when the queue is full, or closed for the exit (the job is dropped, and
        logged)."""
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


def log_failure(done: Future[Any]) -> None:
    """Log a background job's exception (a Future swallows it otherwise)."""
    error = done.exception()
    if error is not None and not isinstance(error, Expired):  # Expired is logged where found
        log.error("a background reply failed", exc_info=error)


def _name(job: Callable[..., Any]) -> str:
    return getattr(job, "__name__", "job")
