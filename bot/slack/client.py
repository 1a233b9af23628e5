"""Slack Web API clients at SLACK_API_URL."""

from __future__ import annotations

import ssl
from functools import cache

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.settings import Settings


@cache
def tls_context() -> ssl.SSLContext:
    """The process's one TLS context (system CAs, or SSL_CERT_FILE / SSL_CERT_DIR).

    Without it slack-sdk lets urllib build a context, loading every CA certificate again, for
    each connection: about 21 ms of CPU a call on Python 3.11. urllib opens a connection per
    call (slack-sdk's WebClient keeps none alive), so the context is what can be shared."""
    return ssl.create_default_context()


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
        ssl=tls_context(),
    )
