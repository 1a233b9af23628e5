"""Operating promises: reload while serving, who may subscribe, app id, health, no leaks."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot.clock import Clock
from bot.knowledge.digest import Digest
from bot.knowledge.errors import DigestError
from bot.knowledge.holder import DigestHolder
from bot.knowledge.reload import DigestReloader
from bot.pipeline import Pipeline
from bot.rendering.renderer import Renderer
from bot.services import Services, build_services
from bot.settings import DEFAULT_TEMPLATES_DIR, Settings, load_settings
from bot.slack.app import create_app
from testkit.fakeslack import FakeSlack
from testkit.servers import clean_env, sco_bot_serve
from testkit.waiting import wait_until
from tests.conftest import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEST_DIGEST,
    edit,
    send,
    signed_headers,
    slash_body,
)

REHEARSAL = datetime(2021, 10, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(TEST_DIGEST, target)
    return target


# --- reload ------------------------------------------------------------------------------------


def test_reload_swaps_a_valid_digest_and_keeps_the_last_good_one(knowledge: Path) -> None:
    from bot.knowledge.loader import load_digest

    holder = DigestHolder(load_digest(knowledge))
    pipeline = Pipeline(holder, Renderer(DEFAULT_TEMPLATES_DIR), ZoneInfo("UTC"))
    swapped: list[Digest] = []
    refused: list[DigestError] = []
    reloader = DigestReloader(holder, knowledge, 60, swapped.append, refused.append)
    first = pipeline.digest().version
    assert reloader.check() is False  # nothing changed

    meetings = knowledge / "meetings.yaml"
    edit(meetings, "place: Belarus and Russia", "place: Belarus and Russia (both)")
    assert reloader.check() is False  # changed: wait one interval for the writer to finish
    assert reloader.check() is True
    assert pipeline.digest().version != first and swapped == [pipeline.digest()]
    assert "Belarus and Russia (both)" in json.dumps(
        pipeline.respond("upcoming", REHEARSAL).messages[0].payload()
    )

    good = pipeline.digest().version
    edit(meetings, "chair: tajikistan", "chair: atlantis")
    assert reloader.check() is False and reloader.check() is False
    assert pipeline.digest().version == good  # still serving the last good digest
    assert len(refused) == 1 and "unknown actor 'atlantis'" in str(refused[0])
    os.utime(meetings)  # touched, same problems: not reported again
    assert reloader.check(force=True) is False and len(refused) == 1

    edit(meetings, "chair: atlantis", "chair: tajikistan")  # back to the good content
    reloader.check()
    reloader.check()
    assert pipeline.digest().version == good and len(refused) == 1


def health(port: int) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def env(fake_slack: FakeSlack, tmp_path: Path, knowledge: Path) -> dict[str, str]:
    values = clean_env()
    values.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
        SCO_KNOWLEDGE_DIR=str(knowledge),
        SCO_DATABASE_URL=f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        SCO_ADMIN_CHANNEL="C0ADMIN",
        SCO_RELOAD_SECONDS="0.2",
    )
    return values


def test_serve_reloads_on_change_and_sighup_and_tells_admins_once(
    env: dict[str, str], knowledge: Path, fake_slack: FakeSlack
) -> None:
    with sco_bot_serve(env) as (proc, _, port):
        status, body = health(port)
        assert status == 200 and body["database"] == "ok"
        first = body["digest"]
        meetings = knowledge / "meetings.yaml"

        edit(meetings, "chair: tajikistan", "chair: atlantis")
        assert wait_until(lambda: bool(fake_slack.calls_to("chat.postMessage")))
        (notice,) = fake_slack.calls_to("chat.postMessage")
        assert notice.body["channel"] == "C0ADMIN"
        assert "atlantis" in json.dumps(notice.body) and first in json.dumps(notice.body)
        os.kill(proc.pid, signal.SIGHUP)  # same problems again: no second notice
        assert health(port)[1]["digest"] == first

        edit(meetings, "chair: atlantis", "chair: tajikistan")
        edit(meetings, "place: Belarus and Russia", "place: Belarus and Russia (both)")
        os.kill(proc.pid, signal.SIGHUP)
        assert wait_until(lambda: health(port)[1]["digest"] != first)
        assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_healthz_is_503_when_the_database_is_unreachable(env: dict[str, str]) -> None:
    env["SCO_DATABASE_URL"] = "postgresql+psycopg://postgres@127.0.0.1:9/none?connect_timeout=1"
    with sco_bot_serve(env) as (_, _, port):
        status, body = health(port)
        assert status == 503
        assert body["database"] == "unreachable" and body["digest"]


# --- who may do what --------------------------------------------------------------------------


@pytest.fixture
def admin_app(settings: Settings, tmp_path: Path, fake_slack: FakeSlack) -> Iterator[App]:
    configured = replace(
        settings,
        database_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        admins=frozenset({"UADMIN1", "UADMIN2"}),
        slack_app_id="A1",
    )
    clock = Clock(start=REHEARSAL)
    fake_slack.now = REHEARSAL.timestamp()
    yield create_app(services=build_services(configured, clock, serving=True))


def status_and_body(app: App, text: str, **fields: str) -> tuple[int, str]:
    response = send(app, text, **fields)
    return response.status, response.body


def test_only_admins_change_subscriptions(admin_app: App, fake_slack: FakeSlack) -> None:
    status, body = status_and_body(admin_app, "remind on")
    assert status == 200 and "only <@UADMIN1>, <@UADMIN2> can turn reminders" in body
    assert fake_slack.calls_to("chat.scheduleMessage") == []
    status, body = status_and_body(admin_app, "remind status")
    assert "not subscribed" in body  # reading stays open to everyone
    status, body = status_and_body(admin_app, "remind on", user_id="UADMIN2")
    assert "Subscribed." in body
    assert "only <@UADMIN1>" in status_and_body(admin_app, "remind off")[1]
    assert status_and_body(admin_app, "brief")[0] == 200


def test_a_request_for_another_app_is_refused(admin_app: App) -> None:
    status, body = status_and_body(admin_app, "brief", api_app_id="A999")
    assert status == 401 and "Defence Ministers" not in body
    assert status_and_body(admin_app, "brief", api_app_id="A1")[0] == 200


# --- secrets ------------------------------------------------------------------------------------


def test_tokens_and_secrets_never_appear_in_logs_errors_or_replies(
    settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    fake_slack: FakeSlack,
    digest: Digest,
) -> None:
    secrets = [BOT_TOKEN, SIGNING_SECRET, "xapp-secret-app-token-123"]
    configured = replace(
        settings,
        slack_app_token=secrets[2],
        database_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
    )
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, templates)
    (templates / "sources.j2").write_text("{{ undefined_thing.boom }}")
    broken = Pipeline(DigestHolder(digest), Renderer(templates), ZoneInfo("UTC"))
    fake_slack.channel_errors["CGONE"] = "not_in_channel"
    outputs = [repr(configured), str(configured)]
    with caplog.at_level(logging.DEBUG):
        app = create_app(
            services=Services(configured, Clock(start=REHEARSAL), broken.digest, broken.renderer)
        )
        for text in ["brief", "sources", "positions <!channel>", "remind on", "nonsense"]:
            outputs.append(status_and_body(app, text)[1])
        real = create_app(configured, clock=Clock(start=REHEARSAL))
        fake_slack.now = REHEARSAL.timestamp()
        outputs.append(status_and_body(real, "remind on", channel_id="CGONE")[1])
        assert wait_until(lambda: bool(fake_slack.calls_to("chat.postMessage"))), [
            (r.getMessage(), r.exc_info) for r in caplog.records if r.levelno >= logging.ERROR
        ]
        bad = status_and_body(app, "brief")  # and a bad signature:
        body = slash_body("brief")
        outputs.append(
            app.dispatch(BoltRequest(body=body, headers=signed_headers(body, secret="wrong"))).body
        )
    outputs += [r.getMessage() for r in caplog.records]
    outputs += [str(r.exc_info) for r in caplog.records if r.exc_info]
    try:
        load_settings({"SLACK_BOT_TOKEN": "xoxq-" + BOT_TOKEN, "SCO_TIMEZONE": "Mars/Base"})
    except ValueError as error:
        outputs.append(str(error))
    text = "\n".join(outputs)
    assert bad[0] == 200 and "Sorry" in text
    for secret in secrets:
        assert secret not in text
