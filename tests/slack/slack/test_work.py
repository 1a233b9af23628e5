"""Issue 25: never wait on Slack while Slack waits on us.

Signed requests through the real Bolt app behind the real waitress server (or `sco-bot serve`),
answered by the fake Slack over real HTTP. Slack goes silent (`FakeSlack.hold`) or answers 429;
every surface must still be acknowledged, and its Slack work done afterwards, on the
background executor. Nothing here depends on how fast the machine is: a request either is
answered while Slack is silent, or waits for Slack forever (until the client gives up)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import threading
import tracemalloc
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.request import BoltRequest
from slack_sdk.errors import SlackApiError

from bot.background import Background
from bot.clock import Clock
from bot.knowledge.digest import Digest
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.knowledge.reload import DigestReloader, fingerprint
from bot.knowledge.versioning import content_version
from bot.logs import FIELD_CHARS, MESSAGE_CHARS, JsonFormatter, TextFormatter
from bot.rendering.renderer import Renderer
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.client import create_web_client
from bot.slack.http import create_wsgi_app
from bot.slack.responses import Once
from bot.slack.work import ResponseUrl, SlackWork
from testkit.fakeslack import STALL, FakeSlack
from testkit.servers import clean_env, sco_bot_serve, serve_wsgi, start_serve
from testkit.slack_requests import HttpReply, action_body, event_body, fetch, mention_body
from testkit.waiting import wait_until
from tests.conftest import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEST_DIGEST,
    ServedApp,
    signed_headers,
    slash_body,
)
from tests.slack_payloads import (
    block_actions,
    button,
    choice,
    home_opened,
    interaction_body,
    view_submission,
)

TIMEOUT = 20.0
NOW = datetime(2021, 7, 29, 9, 0, tzinfo=UTC)


@dataclass
class Bot(ServedApp):
    """The app behind waitress, its services, and the fake Slack it calls."""

    services: Services
    timeout = TIMEOUT

    def health(self) -> int:
        return fetch(self.url + "/healthz", timeout=TIMEOUT).status

    def idle(self) -> None:
        """Wait until every job queued after the acks is done."""
        assert wait_until(lambda: self.services.background.pending() == 0, TIMEOUT)


@pytest.fixture
def bot(fake_slack: FakeSlack, digest: Digest, settings: Settings) -> Iterator[Bot]:
    # Longer than any client here waits: an ack that waits on Slack never comes in time.
    settings = replace(settings, slack_timeout_seconds=300)
    services = Services(settings, Clock(start=NOW), digest, Renderer(settings.templates_dir))
    app = create_app(services=services)
    try:
        with serve_wsgi(create_wsgi_app(app, lambda: digest.version), timeout=TIMEOUT) as url:
            try:
                yield Bot(url, fake_slack, services)
            finally:
                fake_slack.release()
    finally:
        services.close(TIMEOUT)


def every_surface(bot: Bot) -> dict[str, HttpReply]:
    """One request of each kind that calls Slack, and the two that never should."""
    url = bot.fake.response_url
    dm = {"type": "message", "channel_type": "im", "user": "U123", "text": "who hosted?",
          "channel": "D123", "ts": "1.2"}  # fmt: skip
    menu = block_actions(choice("brief_meeting", "sco-defmin-2021-dushanbe"), response_url=url("m"))
    return {
        "mention": bot.post(mention_body("who hosted the meeting?", "EvM"), json_body=True),
        "dm": bot.post(event_body(dm, "EvD"), json_body=True),
        "home": bot.post(home_opened(event_id="EvH"), json_body=True),
        "open_brief": bot.post(
            interaction_body(block_actions(button("open_brief", "brief"), channel=None))
        ),
        "remind_form": bot.post(
            interaction_body(block_actions(button("remind_form", "x"), trigger_id="t.form"))
        ),
        "ask_brief": bot.post(action_body("ask_brief", "brief", url("ask"))),
        "share": bot.post(
            interaction_body(block_actions(button("share", "brief"), response_url=url("share")))
        ),
        "menu": bot.post(interaction_body(menu)),
        "form": bot.post(interaction_body(view_submission({"leads": "1d", "tz": "UTC"}))),
        "help": bot.post(slash_body("help")),
    }


# --- item 1: acknowledge first, always ---------------------------------------------------------


def test_every_surface_is_acknowledged_while_slack_is_silent_and_its_work_done_after(
    bot: Bot,
) -> None:
    """Before: each surface called Slack before Bolt answered; with Slack silent every ack
    waited SCO_SLACK_TIMEOUT (here 300 s: the client gave up first), /healthz behind them."""
    bot.fake.hold()
    replies = every_surface(bot)
    health = bot.health()
    held = bot.fake.held()  # Slack was asked meanwhile, and has answered nothing

    assert {k: r.status for k, r in replies.items()} == dict.fromkeys(replies, 200)
    assert health == 200 and held >= 1
    bot.fake.release()
    bot.idle()
    methods = [c.method for c in bot.fake.snapshot()]
    posted = {c.body["channel"] for c in bot.fake.calls_to("chat.postMessage")}
    assert posted == {"C123", "D123"}  # the mention's answer, the DM's (and its welcome)
    assert "views.publish" in methods and methods.count("views.open") == 2
    assert "chat.postEphemeral" in methods  # the form's subscription, confirmed
    for path in ("/respond/ask", "/respond/share", "/respond/m"):
        assert path in methods, (path, methods)


def test_a_429_on_background_work_is_waited_out_and_the_answer_posted_once(bot: Bot) -> None:
    bot.fake.fail("chat.postMessage", 429, retry_after=1)
    assert bot.post(mention_body("who hosted?", "Ev429"), json_body=True).status == 200
    bot.idle()
    posts = bot.fake.calls_to("chat.postMessage")
    assert len(posts) == 2 and bot.fake.faults_injected == 1  # the 429, then the answer


def test_a_429_asking_for_longer_than_the_budget_is_not_waited_out(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    """A Retry-After of 20 s held one request 41 s (two waits); now a call never waits longer
    than its budget in all, and views.open (its trigger lives 3 s) waits a second at most."""
    fake_slack.fail("chat.postMessage", 429, retry_after=20)
    with pytest.raises(SlackApiError) as refused:
        create_web_client(settings, rate_limit_wait=5).chat_postMessage(channel="C1", text="x")
    assert refused.value.response.status_code == 429
    assert len(fake_slack.calls_to("chat.postMessage")) == 1  # given up at once, not retried
    fake_slack.fail("views.open", 429, retry_after=2)
    with pytest.raises(SlackApiError):
        SlackWork(settings, Background("t", 1, 1), Background("a", 1, 1)).trigger_client.views_open(
            trigger_id="t", view={}
        )
    assert len(fake_slack.calls_to("views.open")) == 1


def test_a_response_url_post_is_bounded_by_the_slack_timeout(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    """Bolt's respond() waits 30 s whatever SCO_SLACK_TIMEOUT says; ours gives up with it."""
    fake_slack.fail("/respond/slow", STALL)
    post = ResponseUrl(replace(settings, slack_timeout_seconds=1), fake_slack.response_url("slow"))
    with pytest.raises(TimeoutError):  # the fake stalls 30 s, then would hang up instead
        post(text="x")


def test_the_reminder_form_opens_before_the_users_zone_is_known_then_fills_in(
    bot: Bot,
) -> None:
    """views.open must come within the trigger's 3 s: it no longer waits for users.info."""
    bot.fake.users["U123"] = {"tz": "Asia/Tokyo"}
    answer_zone = threading.Event()
    bot.fake.after_call = lambda method, _body: (
        answer_zone.wait(TIMEOUT) if method == "users.info" else None
    )
    assert bot.post(interaction_body(block_actions(button("remind_form", "x")))).status == 200

    [opened] = bot.fake.wait_for(lambda calls: any(c.method == "views.open" for c in calls))[-1:]
    assert opened.body["view"]["callback_id"] == "remind_form_loading"
    assert not bot.fake.calls_to("views.update")  # users.info has not answered yet
    answer_zone.set()
    [update] = bot.fake.wait_for(lambda c: any(x.method == "views.update" for x in c))[-1:]
    form = update.body["view"]
    assert form["callback_id"] == "remind_form"
    assert "Asia/Tokyo" in json.dumps(form["blocks"])


def test_a_view_whose_trigger_expired_in_the_queue_is_not_opened(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.slack.work.TRIGGER_SECONDS", -1.0)  # as if it queued 3 s
    bot.post(interaction_body(block_actions(button("open_brief", "brief"), channel=None)))
    bot.post(slash_body("help"))
    bot.idle()
    assert bot.fake.calls_to("views.") == []


# --- item 3: SIGTERM within 10 s while Slack is slow ------------------------------------------


def serve_env(fake_slack: FakeSlack, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a `sco-bot serve` calling the fake Slack."""
    return clean_env(
        SCO_DATABASE_URL=f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
        SCO_CLOCK="2021-07-29T09:00",
        **extra,
    )


def test_sigterm_exits_within_its_bound_while_a_response_url_never_answers(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """Before: 31 s (the action pool was joined; Bolt's response_url waits 30 s)."""
    fake_slack.fail("/respond/stuck", STALL)
    env = serve_env(fake_slack, tmp_path, SCO_SLACK_TIMEOUT="300")
    with sco_bot_serve(env, TIMEOUT) as (proc, url, _port):
        body = interaction_body(
            block_actions(button("share", "brief"), response_url=fake_slack.response_url("stuck"))
        )
        req = urllib.request.Request(url, body.encode(), signed_headers(body))
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            assert resp.status == 200
        fake_slack.wait_for(lambda calls: any(c.method == "/respond/stuck" for c in calls))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(TIMEOUT) == 0  # the README promises 10 s; before, 31 s


# --- item 4: buttons run only read-only commands ----------------------------------------------


@pytest.mark.parametrize("value", ["remind on 1d", "remind off", "remind on 1d public"])
def test_an_answer_button_never_changes_reminders(bot: Bot, value: str) -> None:
    assert bot.post(action_body("ask_brief", value, bot.fake.response_url("ask"))).status == 200
    assert bot.post(action_body("ask_brief", "brief", bot.fake.response_url("ok"))).status == 200
    bot.idle()
    assert bot.fake.calls_to("/respond/ask") == []  # nothing ran
    assert bot.fake.calls_to("/respond/ok")  # a read-only command still does
    assert bot.fake.calls_to("chat.scheduleMessage") == []


def test_an_answer_button_answers_for_the_channel_slack_names(bot: Bot) -> None:
    body = action_body("ask_brief", "remind status", bot.fake.response_url("s"), "C123\nX")
    assert bot.post(body).status == 200
    bot.idle()
    [reply] = bot.fake.calls_to("/respond/s")
    assert "C123\nX" not in json.dumps(reply.body)


# --- item 5: a signed but unusable body is 400 ------------------------------------------------

UNUSABLE = [
    {"type": "block_actions", "actions": []},
    {"type": "block_actions", "actions": [5]},
    {"type": "block_actions", "actions": "x"},
    {"type": "interactive_message", "actions": [], "callback_id": "c"},
    {"type": "view_submission", "view": "x"},
    {"type": "event_callback", "event": "type"},
]


@pytest.mark.parametrize("payload", UNUSABLE, ids=[json.dumps(p) for p in UNUSABLE])
def test_a_signed_but_unusable_body_is_400_not_500(
    bot: Bot, payload: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    payload = {"api_app_id": "A1", "team": {"id": "T1"}, **payload}
    form = bot.post(interaction_body(payload))
    as_json = bot.post(json.dumps(payload), json_body=True)
    assert (form.status, as_json.status) == (400, 400)
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


def test_a_signed_but_unusable_body_is_400_through_dispatch_too(bot: Bot) -> None:
    app = create_app(services=bot.services)
    body = interaction_body({"type": "block_actions", "actions": []})
    assert app.dispatch(BoltRequest(body=body, headers=signed_headers(body))).status == 400


# --- item 6: the de-duplication stores --------------------------------------------------------


def test_the_once_store_is_bounded_by_count() -> None:
    store = Once(limit=1000)
    assert all(store.first(f"{i}.trigger") for i in range(5000))
    assert len(store) == 1000
    assert not store.first("4999.trigger")  # the most recent are kept


def test_forged_100_kb_trigger_ids_cost_a_hash_each_not_their_size() -> None:
    """Before: 2,000 forged 100 KB trigger ids held 200 MB for 30 minutes."""
    store = Once()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for i in range(2000):
            assert store.first(f"{i:06d}" + "x" * 100_000)
        held = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert held < 5_000_000, held
    assert not store.first("000007" + "x" * 100_000)  # still remembered


def test_a_key_is_forgotten_after_its_half_hour() -> None:
    now = [0.0]
    store = Once(clock=lambda: now[0])
    assert store.first("k") and not store.first("k")
    now[0] = 30 * 60 + 1
    assert store.first("k")


# --- item 7: menus on public answers answer privately -----------------------------------------


def test_a_menu_on_a_public_thread_answer_answers_privately(bot: Bot) -> None:
    url = bot.fake.response_url("public")
    body = action_body("brief_meeting", "", url, selected="sco-defmin-2021-dushanbe")
    assert bot.post(body).status == 200  # a button on a message everyone sees
    bot.idle()
    [post] = bot.fake.calls_to("/respond/public")
    assert post.body["response_type"] == "ephemeral"
    assert post.body["replace_original"] is False  # the public answer stays as it was


def test_a_menu_on_a_private_reply_still_replaces_it(bot: Bot) -> None:
    url = bot.fake.response_url("private")
    body = action_body(
        "brief_meeting", "", url, selected="sco-defmin-2021-dushanbe", ephemeral=True
    )
    bot.post(body)
    bot.idle()
    [post] = bot.fake.calls_to("/respond/private")
    assert post.body["replace_original"] is True


# --- item 8: log lines cannot be forged or blown up -------------------------------------------


def record(message: str = "slack request handled", **fields: str) -> logging.LogRecord:
    made = logging.LogRecord("sco_bot", logging.INFO, __file__, 1, message, (), None)
    for name, value in fields.items():
        setattr(made, name, value)
    return made


@pytest.mark.parametrize("field", ["channel", "command", "team", "request_id"])
def test_a_newline_in_a_payload_field_forges_no_log_line(field: str) -> None:
    forged = "x\n2021-07-29 09:00:00,000 ERROR sco_bot forged\r\u2028more"
    for formatter in (TextFormatter([]), JsonFormatter([])):
        line = formatter.format(record(f"event {forged}", **{field: forged}))
        assert "\n" not in line and "\r" not in line and "\u2028" not in line, line


def test_a_100_kb_field_is_cut() -> None:
    huge = "a" * 100_000
    for formatter in (TextFormatter([]), JsonFormatter([])):
        line = formatter.format(record(huge, command=huge, channel=huge))
        assert len(line) < MESSAGE_CHARS + 3 * FIELD_CHARS + 500, len(line)


def test_a_traceback_keeps_its_lines_but_none_passes_for_a_record() -> None:
    try:
        raise ValueError("user text\n2021-07-29 09:00:00,000 ERROR sco_bot forged")
    except ValueError:
        info = sys.exc_info()
        failed = logging.LogRecord("sco_bot", logging.ERROR, __file__, 1, "boom", (), info)
    lines = TextFormatter([]).format(failed).splitlines()
    assert lines[0].endswith("boom") and len(lines) > 2
    assert all(line.startswith("  | ") for line in lines[1:])


def test_served_text_logs_forge_no_line(fake_slack: FakeSlack, tmp_path: Path) -> None:
    """The red team's run: 6 forged lines and a 200 KB line, through `sco-bot serve`."""
    env = serve_env(fake_slack, tmp_path)
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        proc = start_serve(env, stderr=stderr.fileno())
    try:
        assert wait_until(lambda: "serving Slack requests" in log.read_text(), TIMEOUT)
        url = log.read_text().split("serving Slack requests at ")[1].split()[0]
        forged = "FORGED sco_bot INFO forged"
        for body in (
            slash_body("help", channel_id=f"C1\n{forged}"),
            slash_body("help", command=f"/sco\n{forged}"),
            slash_body("help", response_url=f"http://127.0.0.1:9/r\n{forged}"),
            action_body("x" * 100_000, "brief", fake_slack.response_url("x")),
            action_body(f"share\n{forged}", "brief", fake_slack.response_url("y")),
        ):
            request = urllib.request.Request(url, body.encode(), signed_headers(body))
            with contextlib.suppress(urllib.error.HTTPError):  # an unknown action is a 404
                urllib.request.urlopen(request, timeout=TIMEOUT).close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(TIMEOUT)
    lines = log.read_text().splitlines()
    assert sum("slack request handled" in line for line in lines) >= 5
    assert not [line for line in lines if line.startswith("FORGED")]
    assert max(len(line) for line in lines) < 10_000


# --- items 2 and 9: the watcher sees every edit -----------------------------------------------


def reloader_of(directory: Path) -> tuple[DigestHolder, DigestReloader]:
    holder = DigestHolder(load_digest(directory))
    return holder, DigestReloader(holder, directory, 0.01, lambda _d: None, lambda _e: None)


def settle(reloader: DigestReloader) -> bool:
    """Check as the watcher does, until the files have stayed the same for one look."""
    return any(reloader.check() for _ in range(3))


def test_a_same_size_edit_that_keeps_the_mtime_is_reloaded(tmp_path: Path) -> None:
    digest = tmp_path / "digest"
    shutil.copytree(TEST_DIGEST, digest)
    holder, reloader = reloader_of(digest)
    before = holder.current.version
    actors = digest / "actors.yaml"
    text, info = actors.read_text(), actors.stat()
    edited = text.replace("Kazakhstan", "Kazakhstam", 1)
    assert edited != text and len(edited) == len(text)
    actors.write_text(edited)
    os.utime(actors, ns=(info.st_atime_ns, info.st_mtime_ns))  # as cp -p or touch -r leave it

    assert settle(reloader)
    assert holder.current.version != before


def shared_sources(tmp_path: Path) -> tuple[Path, Path]:
    """A digest whose sources/ is a symlink to a folder outside it."""
    digest, shared = tmp_path / "digest", tmp_path / "shared-sources"
    shutil.copytree(TEST_DIGEST, digest)
    shutil.move(digest / "sources", shared)
    (digest / "sources").symlink_to(shared, target_is_directory=True)
    return digest, shared


def test_a_symlinked_sources_folder_is_part_of_the_version_and_watched(tmp_path: Path) -> None:
    """Before: the link was served but left out of the version and the watcher, so edits made
    through it were never served, even after SIGHUP or a restart (the digest cache)."""
    digest, shared = shared_sources(tmp_path)
    holder, reloader = reloader_of(digest)
    before = content_version(digest)
    assert holder.current.version == before == load_digest(TEST_DIGEST).version
    index = shared / "index.yaml"
    index.write_text(index.read_text().replace("title: ", "title: Edited ", 1))

    assert content_version(digest) != before
    assert settle(reloader)
    assert holder.current.version == content_version(digest)
    cached = tmp_path / "cache"
    assert load_digest(digest, cached).version == load_digest(digest, cached).version != before


def test_a_symlink_loop_in_the_digest_ends(tmp_path: Path) -> None:
    digest, shared = shared_sources(tmp_path)
    (shared / "again").symlink_to(digest, target_is_directory=True)  # a link back up
    (digest / "itself").symlink_to(digest, target_is_directory=True)
    version = content_version(digest)
    assert version == load_digest(digest).version
    _holder, reloader = reloader_of(digest)
    assert not settle(reloader)  # nothing changed, and the walk ended


def test_hidden_folders_are_not_read_but_hidden_files_are_watched(tmp_path: Path) -> None:
    digest = tmp_path / "digest"
    shutil.copytree(TEST_DIGEST, digest)
    version = content_version(digest)
    (digest / ".git").mkdir()
    (digest / ".git" / "pack").write_bytes(b"x" * 1000)
    (digest / ".meetings.yaml.swp").write_bytes(b"an editor at work")
    seen = [entry[0] for entry in fingerprint(digest)]
    assert ".meetings.yaml.swp" in seen and not any(e.startswith(".git/") for e in seen)
    assert content_version(digest) == version
