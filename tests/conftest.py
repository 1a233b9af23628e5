"""Shared fixtures: the project's digest, a briefer, settings pointing at a fake Slack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.briefer import Briefer
from bot.knowledge import Digest, load_digest
from bot.render import Renderer
from bot.settings import DEFAULT_KNOWLEDGE_DIR, DEFAULT_TEMPLATES_DIR, Settings
from tests.fakeslack import FakeSlack
from tests.slack_requests import sign
from tests.slack_requests import slash_body as slash_body  # re-exported to the tests

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


def signed_headers(
    body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Slack's headers for `body`, signed with our test signing secret unless told otherwise."""
    return sign(body, secret, timestamp)


PROJECT = Path(__file__).resolve().parent.parent
