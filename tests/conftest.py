"""Shared fixtures and helpers: the test digest and the shipped one, a pipeline, settings pointing
at a fake Slack, signed requests through the Bolt app or over HTTP, digest files edited; the
tiers (tests/unit, tests/slack, tests/system), and the `system` marker on the last."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest

from bot.knowledge.digest import Digest
from bot.knowledge.errors import DigestError
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.pipeline import Pipeline
from bot.rendering.renderer import Renderer
from bot.settings import DEFAULT_KNOWLEDGE_DIR, DEFAULT_TEMPLATES_DIR, Settings
from bot.slack.http import EVENTS_PATH
from testkit import questions
from testkit.fakeslack import FakeSlack
from testkit.slack_requests import HttpReply, fetch, sign
from testkit.slack_requests import slash_body as slash_body  # re-exported to the tests

PROJECT = Path(__file__).resolve().parent.parent
# The digest the behaviour tests run on: written for the tests (a frozen copy of the 2021 digest
# in the v1 schema), so that a curator who edits knowledge/ never breaks them. Tests of the
# shipped digest's own content read knowledge/ and carry the `shipped_digest` marker.
TEST_DIGEST = PROJECT / "tests" / "digests" / "sco-2021-v1"
TWO_MEETINGS = PROJECT / "tests" / "digests" / "two-meetings"
SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token-0123456789"
# The tiers, each a folder of tests/ that mirrors bot/ (tests/unit/test_layout.py checks it).
TIERS = ("unit", "slack", "system")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/system `system`, so that `-m 'not system'` leaves them out;
    and run them first: their files take up to a minute each, and handed out first (xdist gives
    a worker a whole file at a time) they run beside the short tests instead of after them."""
    system = Path(__file__).resolve().parent / "system"
    for item in items:
        if item.path.is_relative_to(system):
            item.add_marker(pytest.mark.system)
    items.sort(key=lambda item: not item.path.is_relative_to(system))  # stable: else as found


@pytest.fixture(scope="session", autouse=True)
def own_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test session (each xdist worker) its own XDG_CACHE_HOME, which the `sco-bot`
    processes the tests start inherit: digest and answer caches are neither shared between
    workers nor read from, or left in, the developer's ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache-home")))
        yield


@pytest.fixture(scope="session")
def digest() -> Digest:
    return load_digest(TEST_DIGEST)


@pytest.fixture(scope="session")
def shipped() -> Digest:
    """The digest the project ships (knowledge/): for the tests marked `shipped_digest`."""
    return load_digest(DEFAULT_KNOWLEDGE_DIR)


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


def post_command(
    url: str,
    text: str,
    response_url: str = "http://127.0.0.1:9/respond",
    *,
    secret: str = SIGNING_SECRET,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> HttpReply:
    """POST a signed `/sco <text>` to a server's events `url`, as Slack would; `headers` are
    added to Slack's (or replace them)."""
    body = slash_body(text, response_url)
    headers = {**signed_headers(body, secret), **(headers or {})}
    return fetch(url, body.encode(), headers, timeout)


@dataclass
class ServedApp:
    """An app behind the real HTTP server (testkit.servers.serve_wsgi) at `url`, and the fake
    Slack it calls."""

    url: str
    fake: FakeSlack
    timeout: ClassVar[float] = 10.0

    def post(
        self, body: str, *, json_body: bool = False, secret: str = SIGNING_SECRET
    ) -> HttpReply:
        """POST `body` to the events path, signed as Slack signs it (JSON when `json_body`)."""
        headers = signed_headers(body, secret, json_body=json_body)
        return fetch(self.url + EVENTS_PATH, body.encode(), headers, self.timeout)


def edit(path: Path, old: str, new: str) -> int:
    """Replace the first `old` in a file (it must be there) with `new`; the line `old` began on."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def problems(directory: Path) -> list[str]:
    """The problems loading the digest in `directory` reports (it must refuse it)."""
    with pytest.raises(DigestError) as caught:
        load_digest(directory)
    return [str(p) for p in caught.value.problems]


THIRD_MEETING = PROJECT / "tests" / "digests" / "third-meeting"
# The two-meeting digest with a third meeting appended (shared with the question benchmark).
three_meetings = questions.three_meetings
