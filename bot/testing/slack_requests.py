"""Slash-command requests as Slack sends them, for the tests and the benchmarks alike."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode


def slash_body(text: str, response_url: str = "http://127.0.0.1:9/respond", **extra: str) -> str:
    """A form-encoded /sco slash command body, as Slack sends it."""
    fields = {
        "token": "legacy-verification-token",
        "team_id": "T1",
        "team_domain": "analysts",
        "channel_id": "C123",
        "channel_name": "briefings",
        "user_id": "U123",
        "user_name": "analyst",
        "command": "/sco",
        "text": text,
        "api_app_id": "A1",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1.2.3",
        **extra,
    }
    return urlencode(fields)


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack sends: v0= HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={mac}",
    }
