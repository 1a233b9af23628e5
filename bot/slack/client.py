"""Slack Web API clients at SLACK_API_URL."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.settings import Settings


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
