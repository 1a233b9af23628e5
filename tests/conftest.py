"""Shared fixtures: the project's digest, a briefer, settings pointing at a fake Slack."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from bot.briefer import Briefer
from bot.knowledge import Digest, load_digest
from bot.render import Renderer
from bot.settings import DEFAULT_KNOWLEDGE_DIR, DEFAULT_TEMPLATES_DIR, Settings
from tests.fakeslack import FakeSlack

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token-0123456789"


@pytest.fixture(scope="session")
def digest() -> Digest:
    return load_digest(DEFAULT_KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    return Renderer(DEFAULT_TEMPLATES_DIR)


@pytest.fixture(scope="session")
def briefer(digest: Digest, renderer: Renderer) -> Briefer:
    return Briefer(digest, renderer, ZoneInfo("UTC"))


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack().serve_quickly() as fake:
        yield fake


@pytest.fixture
def settings(fake_slack: FakeSlack) -> Settings:
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
    )


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


def signed_headers(
    body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Headers Slack sends: v0= HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }


PROJECT = Path(__file__).resolve().parent.parent
