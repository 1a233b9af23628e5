"""The composition root: settings → digest → Bolt app with its listeners."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.briefer import Briefer
from bot.clock import Clock
from bot.listeners import register_listeners
from bot.remind import desk_factory
from bot.settings import Settings, load_settings


def create_web_client(settings: Settings) -> WebClient:
    """A Web API client at SLACK_API_URL that waits out HTTP 429 (Retry-After) and retries."""
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=5))
    return client


def create_briefer(settings: Settings, clock: Clock, client: WebClient | None) -> Briefer:
    """The briefer with reminders wired in; subscription changes reconcile in the background."""
    briefer = Briefer.from_settings(settings)
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
    briefer = briefer or create_briefer(settings, clock, client)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        # The listener runs inline and its ack becomes the HTTP response: no 10 ms ack polling.
        process_before_response=True,
        # No network call at construction; Bolt checks the token on the first request.
        token_verification_enabled=False,
        name="sco-bot",
    )
    register_listeners(app, briefer, clock)
    return app
