"""Slack Web API clients at SLACK_API_URL."""

from __future__ import annotations

import random
import ssl
import threading
import time
from functools import cache
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.settings import Settings


@cache
def tls_context() -> ssl.SSLContext:
    """The process's one TLS context (system CAs, or SSL_CERT_FILE / SSL_CERT_DIR).

    Without it slack-sdk lets urllib build a context, loading every CA certificate again, for
    each connection: about 21 ms of CPU a call on Python 3.11. urllib opens a connection per
    call (slack-sdk's WebClient keeps none alive), so the context is what can be shared."""
    return ssl.create_default_context()


def _timeout(settings: Settings) -> int:
    # slack-sdk types its timeout as whole seconds.
    return int(max(1, settings.slack_timeout_seconds))


class RevokedToken(SlackClientError):
    """The workspace left (app_uninstalled, tokens_revoked): its token is never used again."""


class WorkspaceClient(WebClient):
    """A Web API client of one workspace's token that makes no call once `revoked` is set."""

    def __init__(self, *, revoked: threading.Event | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.revoked = revoked or threading.Event()

    def api_call(self, api_method: str, **kwargs: Any) -> Any:  # every method goes through it
        """Call Slack, unless the workspace's token was revoked (raises RevokedToken)."""
        if self.revoked.is_set():
            raise RevokedToken(f"{api_method} not called: the workspace removed the app")
        return super().api_call(api_method, **kwargs)


def create_web_client(
    settings: Settings,
    *,
    retry_connection_errors: bool = True,
    rate_limit_wait: float | None = None,
    with_token: bool = True,
    token: str | None = None,
    revoked: threading.Event | None = None,
) -> WebClient:
    """A Web API client at SLACK_API_URL, each request bounded by SCO_SLACK_TIMEOUT, that waits
    out HTTP 429 (Retry-After) and retries: up to five times (reminder delivery, paced), or
    with `rate_limit_wait` as long as one call's waits stay within that many seconds in all.

    Delivery passes retry_connection_errors=False: a chat.scheduleMessage whose connection
    broke may have been scheduled, so it is checked against Slack's list, never blindly resent.
    `token`: a workspace's own (else SLACK_BOT_TOKEN's, unless `with_token` is False); the
    client makes no call once `revoked` is set (the workspace removed the app).
    """
    handlers: list[RetryHandler] = [
        RateLimitErrorRetryHandler(max_retry_count=5)
        if rate_limit_wait is None
        else RateLimitWait(rate_limit_wait)
    ]
    if retry_connection_errors:
        handlers.insert(0, ConnectionErrorRetryHandler())
    return WorkspaceClient(
        revoked=revoked,
        token=token or (settings.slack_bot_token if with_token else None),
        base_url=settings.slack_api_url,
        timeout=_timeout(settings),
        retry_handlers=handlers,
        ssl=tls_context(),
    )


def create_webhook_client(settings: Settings, url: str, rate_limit_wait: float) -> WebhookClient:
    """A client posting to one response_url, bounded by SCO_SLACK_TIMEOUT like every other
    Slack call (Bolt's own `respond` waits 30 s whatever the setting), 429s waited out within
    `rate_limit_wait` seconds in all."""
    return WebhookClient(
        url=url,
        timeout=_timeout(settings),
        ssl=tls_context(),
        retry_handlers=[ConnectionErrorRetryHandler(), RateLimitWait(rate_limit_wait)],
    )


class RateLimitWait(RateLimitErrorRetryHandler):
    """Waits out an HTTP 429's Retry-After (plus up to a second, so that waiters spread) and
    retries, as long as one call's waits stay within `budget` seconds in all; then the 429
    stands. A budget of 0 never waits (a view's trigger_id lives 3 s)."""

    def __init__(self, budget: float, max_retry_count: int = 20) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.budget = budget

    def _can_retry(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        return _waited(state) + _retry_after(response) <= self.budget

    def prepare_for_next_attempt(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> None:
        wait = min(_retry_after(response) + random.random(), self.budget - _waited(state))
        state.custom_values = {**(state.custom_values or {}), "waited": _waited(state) + wait}
        state.next_attempt_requested = True
        time.sleep(max(0.0, wait))
        state.increment_current_attempt()


def _waited(state: Any) -> float:
    return float((state.custom_values or {}).get("waited", 0.0))


def _retry_after(response: Any) -> float:
    """Seconds a 429 asks to wait (1 when it does not say)."""
    for name, values in response.headers.items():
        if name.lower() == "retry-after":
            value = values[0] if isinstance(values, list) else values
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return 1.0
    return 1.0
