"""The composition root: settings → digest → Bolt app with its listeners."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.briefer import Briefer
from bot.clock import Clock
from bot.listeners import SlackGate, register_listeners
from bot.remind import desk_factory
from bot.settings import Settings, load_settings


def create_web_client(settings: Settings, *, retry_connection_errors: bool = True) -> WebClient:
    """A Web API client at SLACK_API_URL that waits out HTTP 429 (Retry-After) and retries.

    Delivery passes retry_connection_errors=False: a chat.scheduleMessage whose connection
    broke may have been scheduled, so it is checked against Slack's list, never blindly resent.
    """
    handlers: list[RetryHandler] = [RateLimitErrorRetryHandler(max_retry_count=5)]
    if retry_connection_errors:
        handlers.insert(0, ConnectionErrorRetryHandler())
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=int(max(1, settings.slack_timeout_seconds)),
        retry_handlers=handlers,
    )


def create_briefer(settings: Settings, clock: Clock) -> Briefer:
    """The briefer with reminders wired in; subscription changes reconcile in the background."""
    briefer = Briefer.from_settings(settings, precompile=True)
    client = create_web_client(settings, retry_connection_errors=False)
    background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sco-reconcile")
    briefer.reminders = desk_factory(settings, briefer, clock.now, client, background.submit)
    return briefer


def create_app(
    settings: Settings | None = None,
    *,
    briefer: Briefer | None = None,
    clock: Clock | None = None,
    socket_mode: bool = False,
) -> App:
    """Build the configured Bolt app (settings from the environment when None)."""
    settings = settings or load_settings()
    settings.require_slack(socket_mode)
    clock = clock or settings.clock()
    client = create_web_client(settings)
    briefer = briefer or create_briefer(settings, clock)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        # Verified by our own middleware, first: Bolt's lets a malformed timestamp raise.
        request_verification_enabled=False,
        before_authorize=SlackGate(settings.slack_signing_secret or "", settings.slack_app_id),
        # The listener runs inline and its ack becomes the HTTP response: no 10 ms ack polling.
        process_before_response=True,
        # No network call at construction; Bolt checks the token on the first request.
        token_verification_enabled=False,
        name="sco-bot",
    )
    register_listeners(app, briefer, clock)
    return app
