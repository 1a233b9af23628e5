"""Shared fixtures: the project's digest, a pipeline, settings pointing at a fake Slack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest

from bot.knowledge.digest import Digest
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.pipeline import Pipeline
from bot.rendering.renderer import Renderer
from bot.settings import DEFAULT_TEMPLATES_DIR, Settings
from testkit import questions
from testkit.fakeslack import FakeSlack
from testkit.slack_requests import sign
from testkit.slack_requests import slash_body as slash_body  # re-exported to the tests

PROJECT = Path(__file__).resolve().parent.parent
# The digest the behaviour tests run on: written for the tests (a frozen copy of the 2021 digest
# in the v1 schema), so that a curator who edits knowledge/ never breaks them. Tests of the
# shipped digest's own content read knowledge/ and carry the `shipped_digest` marker.
TEST_DIGEST = PROJECT / "tests" / "digests" / "sco-2021-v1"
TWO_MEETINGS = PROJECT / "tests" / "digests" / "two-meetings"
SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token-0123456789"


@pytest.fixture(scope="session")
def digest() -> Digest:
    return load_digest(TEST_DIGEST)


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    return Renderer(DEFAULT_TEMPLATES_DIR)


@pytest.fixture(scope="session")
def pipeline(digest: Digest, renderer: Renderer) -> Pipeline:
    return Pipeline(DigestHolder(digest), renderer, ZoneInfo("UTC"))


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack().serve_quickly() as fake:
        yield fake


@pytest.fixture
def settings(fake_slack: FakeSlack, tmp_path: Path) -> Settings:
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        knowledge_dir=TEST_DIGEST,
        # Each test its own ledger: nothing a test records (a welcome) outlives it.
        database_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
    )


def signed_headers(
    body: str | bytes,
    secret: str = SIGNING_SECRET,
    timestamp: int | str | None = None,
    *,
    json_body: bool = False,
) -> dict[str, str]:
    """Slack's headers for `body` (testkit's `sign`), with our test signing secret unless told
    otherwise; JSON for an Events API delivery when `json_body`."""
    return sign(body, secret, timestamp, json_body=json_body)


def send(
    app: App,
    text: str,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    **fields: str,
) -> BoltResponse:
    """Dispatch a signed `/sco <text>` through the real Bolt app, as Slack would send it;
    `fields` override the slash command's form fields (user_id, channel_id, response_url...)."""
    body = slash_body(text, **fields)
    return app.dispatch(BoltRequest(body=body, headers=signed_headers(body, secret, timestamp)))


THIRD_MEETING = PROJECT / "tests" / "digests" / "third-meeting"
# The two-meeting digest with a third meeting appended (shared with the question benchmark).
three_meetings = questions.three_meetings
