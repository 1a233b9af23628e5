"""Signed slash commands dispatched through the real Bolt app (`bot.app.create_app`).

The Web API and response_url are a FakeSlack over real loopback HTTP; nothing of ours is mocked.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from bot.clock import Clock
from bot.commands.registry import SUBCOMMANDS
from bot.knowledge.digest import Digest
from bot.knowledge.holder import DigestHolder
from bot.pipeline import Pipeline
from bot.rendering.renderer import Renderer
from bot.rendering.terminal import slack_dates
from bot.services import Services
from bot.settings import DEFAULT_TEMPLATES_DIR, Settings
from bot.slack.app import create_app
from testkit.fakeslack import FakeSlack, block_kit_problems
from testkit.waiting import wait_until
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, send, signed_headers, slash_body
from tests.slack_payloads import without_dates

MEETING_TIME = datetime(2021, 7, 29, 9, 0, tzinfo=UTC)
BEFORE_FESTIVAL = datetime(2021, 10, 10, 0, 0, tzinfo=UTC)
LONG_AFTER = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def make_app(settings: Settings, pipeline: Pipeline) -> Callable[..., App]:
    """The production app, on the fake Slack, with the clock started at `at`."""

    def make(at: datetime = MEETING_TIME) -> App:
        return create_app(
            services=Services(settings, Clock(start=at), pipeline.digest, pipeline.renderer)
        )

    return make


def payload(response: BoltResponse) -> dict[str, Any]:
    assert response.status == 200, (response.status, response.body)
    assert response.headers["content-type"][0].startswith("application/json")
    data: dict[str, Any] = json.loads(response.body)
    problems = block_kit_problems(data)
    assert not problems, problems
    return data


def texts(data: dict[str, Any]) -> list[str]:
    """Every text a reader sees, block by block (header, sections, context elements)."""
    out = []
    for block in data["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", ()):
            # A context's mrkdwn text, or a button's or menu's plain_text label.
            label = element.get("text") or element.get("placeholder") or {}
            out.append(label if isinstance(label, str) else label.get("text", ""))
    return out


def all_text(data: dict[str, Any]) -> str:
    # Slack's date tokens as their fallback: what a reader in the server's zone reads.
    return slack_dates("\n".join(texts(data)))


# --- answers -----------------------------------------------------------------------------------


def test_brief_is_ephemeral_with_a_header_naming_the_18th_meeting(
    make_app: Callable[..., App],
) -> None:
    data = payload(send(make_app(), "brief"))

    assert data["response_type"] == "ephemeral"
    headers = [b["text"]["text"] for b in data["blocks"] if b["type"] == "header"]
    assert headers == ["18th meeting of the SCO Council of Defence Ministers"]
    assert "18th meeting" in data["text"]  # the notification fallback
    assert "Dushanbe" in all_text(data)


def test_brief_public_posts_in_the_channel(make_app: Callable[..., App]) -> None:
    data = payload(send(make_app(), "brief public"))

    assert data["response_type"] == "in_channel"
    assert data["blocks"][0]["text"]["text"].startswith("18th meeting")


def test_positions_china_attributes_statements_to_wei_fenghe(make_app: Callable[..., App]) -> None:
    data = payload(send(make_app(), "positions china"))

    assert data["response_type"] == "ephemeral"
    assert data["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Positions: China"},
    }
    statements = [
        line
        for b in data["blocks"]
        if b["type"] == "section"
        for line in b["text"]["text"].split("\n")
        if line.startswith("• _")
    ]
    # China's seven statements are one run in one voice: it is said once, at its start, and
    # every quote names the document; then what else concerns China, each line attributed.
    assert statements[0].startswith("• _China Military Online, 29 Jul 2021 reports, citing Wei")
    assert sum("citing Wei Fenghe" in s for s in statements) == 1
    quotes = [
        line
        for b in data["blocks"]
        if b["type"] == "section"
        for line in b["text"]["text"].split("\n")
        if line.startswith("> “")
    ]
    assert len(quotes) >= 7
    assert all(q.endswith("— _China Military Online, 29 Jul 2021_") for q in quotes[:7])
    assert all(re.match(r"• _.*(SCO Secretariat|China Military Online)", s) for s in statements)


def test_upcoming_before_the_festival_counts_down_the_days(make_app: Callable[..., App]) -> None:
    data = payload(send(make_app(BEFORE_FESTIVAL), "upcoming"))

    lines = [line for t in texts(data) for line in t.splitlines()]
    festival = [line for line in lines if "Fanfares of Peace" in line]
    assert len(festival) == 1, lines
    assert "in 8 days" in festival[0]
    assert "18\u201323 October 2021" in festival[0]


def test_upcoming_after_everything_says_so_and_shows_recent_events(
    make_app: Callable[..., App],
) -> None:
    data = payload(send(make_app(LONG_AFTER), "upcoming"))

    text = all_text(data)
    assert "Nothing in the digest lies ahead of 1 January 2026" in text
    assert "Fanfares of Peace" in text
    assert "date passed; the sources do not say it took place" in text
    assert "in 8 days" not in text


def test_upcoming_reads_now_from_a_frozen_wall_clock(
    settings: Settings, pipeline: Pipeline
) -> None:
    # The production clock (no SCO_CLOCK) reads the wall clock; freezegun moves it, and the
    # request signature is made and checked at the same frozen instant.
    with freeze_time("2021-10-10T00:00:00Z"):
        app = create_app(
            services=Services(settings, settings.clock(), pipeline.digest, pipeline.renderer)
        )
        data = payload(send(app, "upcoming"))
    assert "As of 10 October 2021 00:00 UTC" in all_text(data)
    assert "in 8 days" in all_text(data)


@pytest.mark.parametrize("text", ["", "   ", "frobnicate", "help", "?"])
def test_empty_or_unknown_text_lists_every_subcommand(
    make_app: Callable[..., App], text: str
) -> None:
    data = payload(send(make_app(), text))

    body = all_text(data)
    for name in SUBCOMMANDS:
        assert f"`/sco {name}" in body, name
    assert data["response_type"] == "ephemeral"
    if text == "frobnicate":
        assert "`frobnicate` is not a `/sco` command" in body


@pytest.mark.parametrize(
    ("text", "live", "escaped"),
    [
        ("positions <!channel>", "<!channel>", "&lt;!channel&gt;"),
        ("positions <@U999>", "<@U999>", "&lt;@U999&gt;"),
        ("positions <!here>", "<!here>", "&lt;!here&gt;"),
        ("brief <!here|here>", "<!here", "&lt;!here|here&gt;"),
        ("<!channel> public", "<!channel>", "&lt;!channel&gt;"),
        ("positions <https://evil.example|china>", "<https://evil", "&lt;https://evil"),
    ],
)
def test_mentions_typed_by_the_user_never_come_back_live(
    make_app: Callable[..., App], text: str, live: str, escaped: str
) -> None:
    response = send(make_app(), text)
    data = payload(response)

    assert live not in response.body
    assert escaped in response.body
    # Nothing anywhere in the reply opens a mention, broadcast or user link.
    assert not re.search(r"<[!@#]", without_dates(response.body)), response.body
    assert live not in data["text"]


# --- request verification ----------------------------------------------------------------------


def _recording(app: App) -> list[str]:
    """Record every request that got past Bolt's verification and authorization."""
    seen: list[str] = []

    def record(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:
        seen.append(body.get("text", ""))
        return next()

    app.use(record)
    return seen


def test_a_bad_signature_is_refused_before_any_listener_runs(
    make_app: Callable[..., App], fake_slack: FakeSlack
) -> None:
    app = make_app()
    seen = _recording(app)

    response = send(app, "brief", secret="not-the-signing-secret")

    assert response.status == 401
    assert json.loads(response.body) == {"error": "invalid request"}
    assert seen == []
    assert fake_slack.snapshot() == []  # not even auth.test

    assert send(app, "brief").status == 200  # the same app answers a good signature
    assert seen == ["brief"]


def test_a_tampered_body_is_refused(make_app: Callable[..., App]) -> None:
    app = make_app()
    body = slash_body("brief")
    headers = signed_headers(body)
    response = app.dispatch(BoltRequest(body=body.replace("brief", "sources"), headers=headers))
    assert response.status == 401


@pytest.mark.parametrize("age_seconds", [6 * 60, -6 * 60])
def test_a_stale_or_future_timestamp_is_refused(
    make_app: Callable[..., App], fake_slack: FakeSlack, age_seconds: int
) -> None:
    app = make_app()
    seen = _recording(app)

    response = send(app, "brief", timestamp=int(time.time()) - age_seconds)

    assert response.status == 401
    assert seen == []
    assert fake_slack.snapshot() == []


def test_serving_checks_the_token_with_auth_test_once_without_making_a_request_wait(
    settings: Settings, pipeline: Pipeline, fake_slack: FakeSlack
) -> None:
    """Issue 25, item 1: Bolt called auth.test before the first ack (and before every ack until
    it succeeded): with Slack silent at start, each `/sco help` waited SCO_SLACK_TIMEOUT."""
    services = Services(
        replace(settings, slack_timeout_seconds=300),
        Clock(start=MEETING_TIME),
        pipeline.digest,
        pipeline.renderer,
        background=True,
    )
    app = create_app(services=services)
    assert fake_slack.snapshot() == []  # nothing at construction
    fake_slack.hold()  # Slack silent: the ack must not wait for it

    payload(send(app, "brief"))
    payload(send(app, "sources"))
    [auth] = fake_slack.wait_for(lambda calls: len(calls) >= 1)
    assert auth.method == "auth.test"
    assert auth.headers.get("Authorization") == f"Bearer {BOT_TOKEN}"
    fake_slack.release()
    assert wait_until(lambda: services.background.pending() == 0, 10)
    payload(send(app, "help"))
    assert services.close(10)
    assert len(fake_slack.calls_to("auth.test")) == 1  # asked once, in the background


# --- Block Kit limits on every answer ----------------------------------------------------------

EVERY_COMMAND = [
    "brief",
    "brief public",
    "brief sco-defmin-2021-dushanbe",
    "brief no-such-meeting",
    "summary",
    "positions",
    "positions china",
    "positions russia",
    "positions nato",
    "positions tajikistan",
    "positions india",
    "positions sco-defence-ministers",
    "positions atlantis",
    "upcoming",
    "events public",
    "sources",
    "docs",
    "help",
    "",
    "x" * 3000,
    " ".join(["positions"] + ["china"] * 400),
]


@pytest.mark.parametrize("at", [MEETING_TIME, BEFORE_FESTIVAL, LONG_AFTER], ids=str)
def test_every_answer_stays_within_block_kit_limits(
    make_app: Callable[..., App], at: datetime
) -> None:
    app = make_app(at)
    for text in EVERY_COMMAND:
        response = send(app, text)
        assert response.status == 200, text
        data = json.loads(response.body)
        assert block_kit_problems(data) == [], text
        assert data["response_type"] in ("ephemeral", "in_channel")


# --- the error handler -------------------------------------------------------------------------


def _broken_app(settings: Settings, digest: Digest, tmp_path: Path) -> App:
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, templates)
    (templates / "brief.j2").write_text("::section\n{{ no_such_variable.title }}\n")
    broken = Pipeline(DigestHolder(digest), Renderer(templates), ZoneInfo("UTC"))
    return create_app(
        services=Services(settings, Clock(start=MEETING_TIME), broken.digest, broken.renderer)
    )


def test_a_failing_template_answers_with_an_apology_and_no_traceback(
    settings: Settings,
    digest: Digest,
    fake_slack: FakeSlack,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = _broken_app(settings, digest, tmp_path)

    with caplog.at_level(logging.ERROR, logger="sco_bot"):
        response = send(app, "brief", response_url=fake_slack.response_url("err"))

    for leak in ("Traceback", "UndefinedError", "no_such_variable", "brief.j2", 'File "'):
        assert leak not in response.body
    assert response.status == 200
    body = json.loads(response.body)
    assert body["response_type"] == "ephemeral"
    assert body["text"].startswith("Sorry, something went wrong answering that.")
    # The fallback is one plain line (no backticks); the blocks quote the reference as code.
    reference = re.search(r"reference `([0-9a-f]{8})`", json.dumps(body["blocks"]))
    assert reference is not None
    assert block_kit_problems(body) == []
    # Logged once, with the same reference; nothing posted to response_url.
    logged = [r for r in caplog.records if r.name == "sco_bot" and "handling" in r.message]
    assert len(logged) == 1 and reference.group(1) in logged[0].getMessage()
    assert fake_slack.calls_to("/respond") == []

    # Other commands of the same app still answer.
    assert payload(send(app, "sources"))["blocks"][0]["text"]["text"] == "Source documents"


# --- timing (printed, never asserted) ----------------------------------------------------------


def test_measure_dispatch_time_against_a_bare_bolt_app(
    make_app: Callable[..., App], fake_slack: FakeSlack
) -> None:
    ours = make_app()
    bare = App(
        signing_secret=SIGNING_SECRET,
        token_verification_enabled=False,
        process_before_response=True,
        client=WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url),
    )

    @bare.command("/sco")
    def only_ack(ack: Callable[..., None]) -> None:
        ack()

    def one(app: App) -> float:
        body = slash_body("brief")
        request = BoltRequest(body=body, headers=signed_headers(body))
        started = time.perf_counter()
        response = app.dispatch(request)
        elapsed = time.perf_counter() - started
        assert response.status == 200
        return elapsed

    for app in (ours, bare):  # warm up: auth.test, template compilation
        one(app)
    timings: dict[str, list[float]] = {"sco-bot /sco brief": [], "bare Bolt ack()": []}
    for _ in range(200):
        timings["sco-bot /sco brief"].append(one(ours))
        timings["bare Bolt ack()"].append(one(bare))

    print()
    for name, values in timings.items():
        values.sort()
        print(
            f"dispatch {name}: median {statistics.median(values) * 1e3:.3f} ms, "
            f"p90 {values[int(len(values) * 0.9)] * 1e3:.3f} ms over {len(values)} requests"
        )
    ratio = statistics.median(timings["sco-bot /sco brief"]) / statistics.median(
        timings["bare Bolt ack()"]
    )
    print(f"dispatch ratio sco-bot/bare: {ratio:.1f}x")
