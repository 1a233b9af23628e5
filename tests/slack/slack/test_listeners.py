"""The Slack surfaces end to end: signed app_home_opened, block_actions and view_submission
requests through the real Bolt app behind the real HTTP server, answered by Web API calls on
the fake Slack (views.publish, views.open, response_url posts, chat.scheduleMessage)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from slack_bolt.request import BoltRequest

from bench.gen_digest import generate
from bot.clock import Clock
from bot.knowledge.digest import Digest
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.pipeline import Pipeline
from bot.rendering.renderer import Renderer
from bot.rendering.terminal import to_terminal
from bot.services import Services
from bot.settings import DEFAULT_TEMPLATES_DIR, Settings
from bot.slack.app import create_app
from bot.slack.http import create_wsgi_app
from testkit.fakeslack import Call, FakeSlack, block_kit_problems, view_problems
from testkit.servers import serve_wsgi
from testkit.slack_requests import HttpReply
from tests.conftest import (
    BOT_TOKEN,
    PROJECT,
    SIGNING_SECRET,
    TEST_DIGEST,
    TWO_MEETINGS,
    ServedApp,
    signed_headers,
    slash_body,
)
from tests.slack_payloads import (
    CHANNEL,
    USER,
    block_actions,
    button,
    choice,
    home_opened,
    interaction_body,
    view_submission,
)

TIMEOUT = 10.0
NOW = datetime(2021, 7, 29, 9, 0, tzinfo=UTC)
FUTURE = datetime(2033, 1, 1, 9, 0, tzinfo=UTC)  # after both fictional meetings


@dataclass
class Bot(ServedApp):
    """The app served over HTTP, the fake Slack it calls, the digest holder it answers from."""

    holder: DigestHolder

    def command(self, text: str, respond: str = "cmd") -> dict[str, Any]:
        reply = self.post(slash_body(text, self.fake.response_url(respond)))
        assert reply.status == 200, reply.body
        data: dict[str, Any] = reply.json()
        return data

    def act(self, payload: dict[str, Any]) -> HttpReply:
        return self.post(interaction_body(payload))

    def event(self, body: str) -> HttpReply:
        return self.post(body, json_body=True)

    def wait(self, prefix: str, count: int = 1) -> list[Call]:
        self.fake.wait_for(
            lambda calls: len([c for c in calls if c.method.startswith(prefix)]) >= count, TIMEOUT
        )
        return self.fake.calls_to(prefix)


def serve_bot(
    fake: FakeSlack, digest: Digest, now: datetime, tmp: Path, admins: frozenset[str] = frozenset()
) -> Iterator[Bot]:
    settings = Settings(
        admins=admins,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.api_url,
        slack_app_id="A1",
        knowledge_dir=TEST_DIGEST,
        database_url=f"sqlite:///{tmp / 'ledger.sqlite3'}",
    )
    holder = DigestHolder(digest)
    services = Services(settings, Clock(start=now), holder, Renderer(settings.templates_dir))
    app = create_app(services=services)
    with serve_wsgi(create_wsgi_app(app, lambda: holder().version), timeout=TIMEOUT) as url:
        yield Bot(url, fake, holder)


@pytest.fixture
def bot(fake_slack: FakeSlack, digest: Digest, tmp_path: Path) -> Iterator[Bot]:
    fake_slack.now = NOW.timestamp()
    yield from serve_bot(fake_slack, digest, NOW, tmp_path)


@pytest.fixture
def two_bot(fake_slack: FakeSlack, tmp_path: Path) -> Iterator[Bot]:
    fake_slack.now = FUTURE.timestamp()
    yield from serve_bot(fake_slack, load_digest(TWO_MEETINGS), FUTURE, tmp_path)


def actions_of(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


# --- App Home ------------------------------------------------------------------------------------


def test_opening_the_home_tab_publishes_it_for_that_user(bot: Bot) -> None:
    assert bot.event(home_opened(user="U777")).status == 200

    [call] = bot.wait("views.publish")
    assert call.body["user_id"] == "U777"
    view = call.body["view"]
    assert view["type"] == "home" and view_problems(view) == []
    shown = texts(view["blocks"])
    assert bot.holder().version in shown
    assert "Fanfares of Peace" in shown  # an event ahead, from tests/digests
    assert "as of <!date^1627549200^{date_short} {time}|29 July 2021 09:00 UTC>" in shown
    buttons = actions_of(view["blocks"])
    assert buttons["open_brief"]["value"] == "brief sco-defmin-2021-dushanbe"
    assert {"open_brief", "open_positions", "open_compare"} <= set(buttons)


def test_the_messages_tab_and_other_apps_publish_nothing(bot: Bot) -> None:
    assert bot.event(home_opened(tab="messages")).status == 200
    assert bot.event(home_opened(app_id="A2")).status == 401
    bot.command("help")  # a later call: the events above have been handled by now
    assert bot.fake.calls_to("views.") == []


def test_the_home_tab_shows_a_reloaded_digest_on_the_next_open(bot: Bot) -> None:
    bot.event(home_opened(event_id="Ev1"))
    first = bot.wait("views.publish")[0].body["view"]
    bot.holder.swap(load_digest(TWO_MEETINGS))
    bot.event(home_opened(event_id="Ev2"))
    second = bot.wait("views.publish", 2)[1].body["view"]
    assert bot.holder().version in texts(second["blocks"])
    assert bot.holder().version not in texts(first["blocks"])
    # No document of the fictional digest is published by 2021: it knows no meeting yet, and
    # offers no briefing of one.
    assert "open_brief" not in actions_of(second["blocks"])
    assert "The digest knows no event yet" in texts(second["blocks"])


def test_the_home_tab_lists_the_users_reminder_subscriptions(bot: Bot) -> None:
    bot.command("remind on 7d at 08:30 tz Europe/Berlin")
    bot.event(home_opened())
    view = bot.wait("views.publish")[0].body["view"]
    assert f"<#{CHANNEL}>" in texts(view["blocks"])
    assert "7 days before, at 08:30 Europe/Berlin" in texts(view["blocks"])


def test_a_home_button_opens_the_reply_in_a_modal(bot: Bot) -> None:
    payload = block_actions(button("open_brief", "brief sco-defmin-2021-dushanbe"), channel=None)
    reply = bot.act(payload)
    assert reply.status == 200
    assert bot.act(payload).status == 200  # retried: its trigger_id opens one view only
    bot.command("help")
    [call] = bot.wait("views.open")
    assert call.body["trigger_id"] == "111.222.abc"
    view = call.body["view"]
    assert view["type"] == "modal" and view_problems(view) == []
    assert view["blocks"][0]["text"]["text"].startswith("18th meeting")
    assert "share" not in actions_of(view["blocks"])  # no channel to share to from a modal


# --- Share in channel ----------------------------------------------------------------------------


def test_share_posts_the_reply_visibly_once_and_deletes_the_private_copy(bot: Bot) -> None:
    private = bot.command("brief")
    assert private["response_type"] == "ephemeral"
    share = actions_of(private["blocks"])["share"]
    respond = bot.fake.response_url("shared")
    press = block_actions(button("share", share["value"]), response_url=respond)

    assert bot.act(press).status == 200
    assert bot.act(press).status == 200  # pressed twice (or retried)

    posts = bot.wait("/respond/shared", 2)
    public, delete = posts[0].body, posts[1].body
    assert public["response_type"] == "in_channel" and public["replace_original"] is False
    assert public["unfurl_links"] is False
    assert block_kit_problems(public) == []
    assert public["blocks"][0] == private["blocks"][0]  # the same message
    assert "share" not in actions_of(public["blocks"])  # no buttons left in the channel
    assert delete["delete_original"] is True and not delete.get("blocks")
    bot.command("help")  # another round trip: a second share would have been posted by now
    assert len(bot.fake.calls_to("/respond/shared")) == 2


def test_share_never_runs_a_reminder_change_again(bot: Bot) -> None:
    private = bot.command("remind on 1d")
    value = actions_of(private["blocks"])["share"]["value"]
    assert value == "remind status"
    respond = bot.fake.response_url("s2")
    bot.act(block_actions(button("share", "remind off"), response_url=respond, message_ts="1.1"))
    bot.act(block_actions(button("share", value), response_url=respond, message_ts="1.2"))
    posts = bot.wait("/respond/s2", 2)
    assert len(posts) == 2 and "1 day before" in texts(posts[0].body["blocks"])


def test_unsigned_or_other_app_actions_are_refused(bot: Bot) -> None:
    press = block_actions(button("share", "brief"), response_url=bot.fake.response_url("x"))
    assert bot.post(interaction_body(press), secret="not-the-secret").status == 401
    assert bot.act(block_actions(button("share", "brief"), app_id="A2")).status == 401
    submit = view_submission({"leads": "1d"}, app_id="A2")
    assert bot.act(submit).status == 401
    bot.command("help")
    assert bot.fake.calls_to("/respond/x") == [] and bot.fake.calls_to("chat.") == []


# --- menus ---------------------------------------------------------------------------------------


def test_the_brief_meeting_menu_replaces_the_private_reply(two_bot: Bot) -> None:
    private = two_bot.command("brief council-2031-poseidonis")
    menu = actions_of(private["blocks"])["brief_meeting"]
    assert menu["initial_option"]["value"] == "council-2031-poseidonis"
    assert {o["value"] for o in menu["options"]} == {
        "council-2031-poseidonis",
        "council-2032-lemuria-city",
    }
    respond = two_bot.fake.response_url("menu")
    two_bot.act(
        block_actions(choice("brief_meeting", "council-2032-lemuria-city"), response_url=respond)
    )
    [post] = two_bot.wait("/respond/menu")
    assert post.body["replace_original"] is True and post.body["response_type"] == "ephemeral"
    again = actions_of(post.body["blocks"])["brief_meeting"]
    assert again["initial_option"]["value"] == "council-2032-lemuria-city"


def test_the_positions_actor_menu_shows_another_actor(two_bot: Bot) -> None:
    private = two_bot.command("positions atlantis")
    menu = actions_of(private["blocks"])["positions_actor"]
    assert "lemuria" in {o["value"] for o in menu["options"]}
    respond = two_bot.fake.response_url("actor")
    two_bot.act(block_actions(choice("positions_actor", "lemuria"), response_url=respond))
    [post] = two_bot.wait("/respond/actor")
    assert post.body["blocks"][0]["text"]["text"].startswith("Positions: ")
    assert (
        actions_of(post.body["blocks"])["positions_actor"]["initial_option"]["value"] == "lemuria"
    )


def test_public_replies_carry_no_menus_and_only_a_button_to_the_whole_reply(
    two_bot: Bot,
) -> None:
    # A menu on a post would replace it for everyone; a button opening the full reply in a
    # window opens it for whoever presses it.
    expected = {
        "brief public": {"open_brief"},
        "positions atlantis public": {"open_positions"},
        "upcoming public": set(),
    }
    for text, buttons in expected.items():
        assert set(actions_of(two_bot.command(text)["blocks"])) == buttons


# --- the reminder form ---------------------------------------------------------------------------


def opened_form(bot: Bot) -> dict[str, Any]:
    """The reminder form as the user ends up seeing it: opened at once when their zone was
    known, else a placeholder opened within the trigger's life, then updated to the form."""
    [opened] = bot.wait("views.open")
    view: dict[str, Any] = opened.body["view"]
    assert view_problems(view) == []
    if view["callback_id"] == "remind_form_loading":
        [update] = bot.wait("views.update")
        assert update.body["view_id"].startswith("V")  # the id Slack gave the opened view
        view = update.body["view"]
    return view


def test_remind_this_channel_opens_the_form_in_the_users_zone(bot: Bot) -> None:
    bot.fake.users[USER] = {"tz": "Asia/Tokyo"}
    upcoming = bot.command("upcoming")
    opener = actions_of(upcoming["blocks"])["remind_form"]
    bot.act(block_actions(button("remind_form", opener["value"])))
    view = opened_form(bot)
    assert view_problems(view) == []
    assert view["callback_id"] == "remind_form" and view["private_metadata"] == CHANNEL
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["tz"]["initial_value"] == "Asia/Tokyo"
    assert inputs["at"]["type"] == "timepicker" and inputs["at"]["initial_time"] == "09:00"


def test_a_valid_form_subscribes_like_remind_on_and_schedules(bot: Bot) -> None:
    submit = view_submission({"leads": "7d 1d", "at": "08:30", "tz": "Asia/Karachi"})
    reply = bot.act(submit)
    assert reply.status == 200 and reply.body in (b"", b"{}")  # the form closes
    [note] = bot.wait("chat.postEphemeral")
    assert note.body["channel"] == CHANNEL and note.body["user"] == USER
    assert "08:30 Asia/Karachi" in texts(note.body["blocks"])
    scheduled = bot.wait("chat.scheduleMessage")
    # Fanfares of Peace (18 October 2021, Asia/Karachi) 7 days before, 08:30 Karachi time.
    assert int(datetime(2021, 10, 11, 3, 30, tzinfo=UTC).timestamp()) in {
        int(c.body["post_at"]) for c in scheduled
    }


def test_a_typed_remind_on_defaults_to_the_callers_slack_zone(bot: Bot) -> None:
    bot.fake.users[USER] = {"tz": "America/Lima"}
    first = bot.command("remind on 1d")
    second = bot.command("remind status")
    assert "09:00 America/Lima" in texts(first["blocks"])
    assert "09:00 America/Lima" in texts(second["blocks"])
    assert len(bot.fake.calls_to("users.info")) == 1  # cached per user


def test_remind_on_without_a_slack_zone_keeps_the_server_zone(bot: Bot) -> None:
    reply = bot.command("remind on 1d")  # users.info answers user_not_found
    assert "09:00 UTC" in texts(reply["blocks"])


@pytest.mark.parametrize(
    ("fields", "wrong"),
    [
        ({"leads": "7x", "at": "09:00", "tz": "UTC"}, {"leads": "'7x' is not a lead time"}),
        ({"leads": "1d", "at": "25:00", "tz": "UTC"}, {"at": "'25:00' is not a time of day"}),
        ({"leads": "1d", "at": "09:00", "tz": "Mars/Olympus"}, {"tz": "not an IANA timezone"}),
        (
            {"leads": "999d at", "at": "9", "tz": "Europe/Nowhere"},
            {"leads": "more than 365 days", "at": "not a time", "tz": "not an IANA"},
        ),
    ],
)
def test_an_invalid_form_shows_the_typed_commands_errors_in_the_form(
    bot: Bot, fields: dict[str, str], wrong: dict[str, str]
) -> None:
    reply = bot.act(view_submission(fields))
    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == set(wrong)
    for field, words in wrong.items():
        assert words in answer["errors"][field]
    bot.command("help")
    assert bot.fake.calls_to("chat.") == []


def test_a_name_not_found_offers_no_share_and_is_never_shared(bot: Bot) -> None:
    private = bot.command("brief no-such-meeting")
    assert "share" not in actions_of(private["blocks"])
    respond = bot.fake.response_url("nf")
    bot.act(block_actions(button("share", "brief no-such-meeting"), response_url=respond))
    bot.act(block_actions(button("share", "help"), response_url=respond, message_ts="2.2"))
    posts = bot.wait("/respond/nf", 2)  # only the help's post and deletion
    assert posts[0].body["blocks"][0]["text"]["text"].startswith("/sco")
    assert len(posts) == 2


def test_a_bare_remind_answers_the_status_and_opens_the_form(bot: Bot) -> None:
    bot.fake.users[USER] = {"tz": "Europe/Berlin"}
    status = bot.command("remind")
    assert status["blocks"][0]["text"]["text"] == "Reminders for this channel"
    view = opened_form(bot)
    assert bot.fake.calls_to("views.open")[0].body["trigger_id"] == "1.2.3"  # the command's
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if "element" in b}
    assert inputs["tz"]["initial_value"] == "Europe/Berlin"
    bot.command("remind status")
    assert len(bot.fake.calls_to("views.open")) == 1  # only the bare command opens it


# --- message hygiene -----------------------------------------------------------------------------


def test_public_replies_turn_link_previews_off(bot: Bot) -> None:
    public = bot.command("brief public")
    assert public["response_type"] == "in_channel"
    assert public["unfurl_links"] is False and public["unfurl_media"] is False


@pytest.mark.parametrize(
    "text", ["brief", "positions china", "upcoming", "compare", "sources", "help", "brief nope"]
)
def test_the_fallback_is_one_plain_line_of_at_most_150_characters(bot: Bot, text: str) -> None:
    reply = bot.command(text)
    fallback = reply["text"]
    assert 0 < len(fallback) <= 150 and "\n" not in fallback
    assert not any(mark in fallback for mark in ("*", "`", "<!date", "<http"))


def _topic_sections(pipeline: Pipeline, actor: str) -> list[list[str]]:
    """The bullet lines of each topic section of `positions <actor>` (a `*topic*` line first)."""
    reply = pipeline.respond(f"positions {actor}", datetime(2033, 1, 1, tzinfo=UTC))
    blocks = [b for m in reply.messages for b in m.blocks if b["type"] == "section"]
    others = ("*Talks*", "*What else")  # the talks and mentions after the topics
    return [
        [line for line in text.split("\n") if line.startswith("• ")]
        for text in (b["text"]["text"] for b in blocks)
        if text.startswith("*") and "\n• " in text and not text.startswith(others)
    ]


def _where_lines(pipeline: Pipeline, actor: str) -> list[str]:
    """The context lines saying where and when statements were made, in reply order."""
    reply = pipeline.respond(f"positions {actor}", datetime(2033, 1, 1, tzinfo=UTC))
    return [
        e["text"]
        for m in reply.messages
        for b in m.blocks
        if b["type"] == "context"
        for e in b["elements"]
        if e["text"].startswith(("At the ", "Not said at the meeting"))
    ]


@pytest.mark.parametrize("path", [TEST_DIGEST, TWO_MEETINGS], ids=["v1", "two-meetings"])
def test_positions_say_whose_words_and_where_once_per_run(path: Path) -> None:
    digest = load_digest(path)
    pipeline = Pipeline(DigestHolder(digest), Renderer(DEFAULT_TEMPLATES_DIR), ZoneInfo("UTC"))
    statements = lines = 0
    for actor in digest.actors_by_id:
        sections = _topic_sections(pipeline, actor)
        if sections:
            assert sections[0][0].startswith("• _"), sections[0][0]  # a run opens attributed
        for bullets in sections:
            statements += len(bullets)
        where = _where_lines(pipeline, actor)
        assert all(a != b for a, b in itertools.pairwise(where)), where
        lines += len(where)
    assert statements > 0 and lines > 0


def test_positions_name_one_meeting_once(pipeline: Pipeline) -> None:
    # China's statements in the v1 digest were all made at its one meeting.
    where = _where_lines(pipeline, "china")
    assert len(where) == 1 and where[0].startswith("At the 18th meeting")


# --- the manifest --------------------------------------------------------------------------------


def test_the_manifest_declares_the_surfaces_and_only_the_scopes_they_need() -> None:
    manifest = yaml.safe_load((PROJECT / "manifest.yaml").read_text())
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert "app_home_opened" in settings["event_subscriptions"]["bot_events"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    urls = {
        settings["interactivity"]["request_url"],
        settings["event_subscriptions"]["request_url"],
    }
    assert urls == {manifest["features"]["slash_commands"][0]["url"]}
    ours = {"commands", "chat:write", "chat:write.public", "users:read"}
    questions = {"app_mentions:read", "im:history"}
    # Least privilege: exactly the scopes the surfaces use, no more.
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == ours | questions
    events = settings["event_subscriptions"]["bot_events"]
    lifecycle = {"app_uninstalled", "tokens_revoked"}  # leaving cleanly (issue 26)
    assert set(events) == {"app_home_opened", "app_mention", "message.im"} | lifecycle


def test_the_manifest_describes_the_app_as_slack_asks() -> None:
    manifest = yaml.safe_load((PROJECT / "manifest.yaml").read_text())
    about = manifest["display_information"]
    assert 174 <= len(about["long_description"]) <= 4000  # Slack's bounds
    assert len(about["description"]) <= 140
    hint = manifest["features"]["slash_commands"][0]["usage_hint"]
    assert len(hint) <= 60  # one autocomplete line
    [back] = manifest["oauth_config"]["redirect_urls"]
    events_url = manifest["settings"]["event_subscriptions"]["request_url"]
    assert back == events_url.replace("/slack/events", "/slack/oauth_redirect")


def test_the_manifest_repeats_no_key() -> None:
    # YAML keeps the last of two equal keys silently: a merged manifest once subscribed to only
    # half of its events that way.
    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[object, object]:
        keys = [loader.construct_object(key) for key, _ in node.value]
        assert len(keys) == len(set(keys)), keys
        return dict(loader.construct_pairs(node))

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    assert yaml.load((PROJECT / "manifest.yaml").read_text(), Strict)


def test_the_terminal_shows_instants_in_the_servers_zone(pipeline: Pipeline) -> None:
    text = to_terminal(pipeline.respond("upcoming", NOW).messages)
    assert "As of 29 July 2021 09:00 UTC, soonest first:" in text
    assert "<!date" not in text and "Share in channel" not in text


def test_more_shows_an_earlier_meetings_statements(fake_slack: FakeSlack, tmp_path: Path) -> None:
    generate(tmp_path / "knowledge", meetings=6, items=600, base=TEST_DIGEST)
    digest = load_digest(tmp_path / "knowledge")
    last = max(m.date.first for m in digest.meetings if m.date.first is not None)
    now = datetime(last.year, last.month, last.day, 12, tzinfo=UTC)
    fake_slack.now = now.timestamp()
    for bot in serve_bot(fake_slack, digest, now, tmp_path):
        private = bot.command("positions china")
        more = actions_of(private["blocks"])["positions_earlier"]
        value, label = more["options"][0]["value"], more["options"][0]["text"]["text"]
        respond = fake_slack.response_url("more")
        bot.act(block_actions(choice("positions_earlier", value), response_url=respond))
        [post] = bot.wait("/respond/more")
        assert post.body["replace_original"] is True
        title = label.rsplit(" (", 1)[0]
        assert f"Statements of *China* at the {title}" in texts(post.body["blocks"])


def test_an_empty_timezone_field_means_the_users_own(bot: Bot) -> None:
    bot.fake.users[USER] = {"tz": "America/Lima"}
    assert bot.act(view_submission({"leads": "1d", "at": "10:00", "tz": ""})).status == 200
    [note] = bot.wait("chat.postEphemeral")
    assert "10:00 America/Lima" in texts(note.body["blocks"])


def test_the_home_tab_is_published_when_the_ledger_does_not_answer(
    fake_slack: FakeSlack, digest: Digest, tmp_path: Path
) -> None:
    settings = Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        database_url="postgresql://postgres@127.0.0.1:9/nothing-listens-here",
    )
    services = Services(settings, Clock(start=NOW), digest, Renderer(settings.templates_dir))
    app = create_app(services=services)
    body = home_opened()
    response = app.dispatch(BoltRequest(body=body, headers=signed_headers(body, json_body=True)))
    assert response.status == 200
    calls = fake_slack.wait_for(lambda calls: any(c.method == "views.publish" for c in calls))
    [call] = [c for c in calls if c.method == "views.publish"]
    assert "cannot be read just now" in texts(call.body["view"]["blocks"])
    assert "Fanfares of Peace" in texts(call.body["view"]["blocks"])


def test_only_admins_may_submit_the_form(
    fake_slack: FakeSlack, digest: Digest, tmp_path: Path
) -> None:
    settings = Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        admins=frozenset({"UADMIN"}),
        database_url=f"sqlite:///{tmp_path / 'l.sqlite3'}",
    )
    services = Services(settings, Clock(start=NOW), digest, Renderer(settings.templates_dir))
    app = create_app(services=services)
    body = interaction_body(view_submission({"leads": "1d"}))
    response = app.dispatch(BoltRequest(body=body, headers=signed_headers(body)))
    answer = json.loads(response.body)
    assert answer["response_action"] == "errors"
    assert "SCO_ADMINS" in answer["errors"]["leads"]


def test_the_first_home_visit_is_welcomed_once(bot: Bot) -> None:
    bot.event(home_opened(event_id="Ev1"))
    first = bot.wait("views.publish")[0].body["view"]
    bot.event(home_opened(event_id="Ev2"))
    second = bot.wait("views.publish", 2)[1].body["view"]
    assert "Welcome." in texts(first["blocks"]) and "/sco remind on" in texts(first["blocks"])
    assert "Welcome." not in texts(second["blocks"])


# --- what could not be shown is said, once --------------------------------------------------


def test_a_home_button_whose_window_cannot_open_says_so_on_the_home_tab(bot: Bot) -> None:
    bot.fake.fail("views.open", status=200, error="expired_trigger_id")
    press = block_actions(button("open_brief", "brief sco-defmin-2021-dushanbe"), channel=None)
    assert bot.act(press).status == 200
    [published] = bot.wait("views.publish")
    view = published.body["view"]
    assert published.body["user_id"] == "U123" and view["type"] == "home"
    assert "The window could not open: press the button again" in texts(view["blocks"])
    bot.command("help")
    assert len(bot.fake.calls_to("views.publish")) == 1  # once


def test_a_message_button_whose_window_cannot_open_says_so_in_place(bot: Bot) -> None:
    bot.fake.fail("views.open", status=200, error="expired_trigger_id")
    respond = bot.fake.response_url("open")
    press = block_actions(button("open_brief", "brief"), response_url=respond)
    bot.act(press)
    [notice] = bot.wait("/respond/open")
    assert notice.body["response_type"] == "ephemeral"
    assert "expired_trigger_id" in texts(notice.body["blocks"])
    assert "Press the button again, or type `/sco brief`" in texts(notice.body["blocks"])


def test_a_share_slack_refuses_is_said_privately_once(bot: Bot) -> None:
    respond = bot.fake.response_url("gone")
    bot.fake.fail("/respond/gone", status=404, times=5)
    bot.act(block_actions(button("share", "brief"), response_url=respond))
    [notice] = bot.wait("chat.postEphemeral")
    assert notice.body["channel"] == "C123" and notice.body["user"] == "U123"
    assert "Type `/sco brief` again" in texts(notice.body["blocks"])
    bot.command("help")
    assert len(bot.fake.calls_to("chat.postEphemeral")) == 1


# --- menus past 100 choices ------------------------------------------------------------------


@pytest.fixture(scope="module")
def many_meetings(tmp_path_factory: pytest.TempPathFactory) -> Digest:
    from bench.gen_digest import generate

    directory = tmp_path_factory.mktemp("many") / "knowledge"
    generate(directory, meetings=150, items=600, base=TEST_DIGEST)
    return load_digest(directory)


def test_a_menu_of_150_meetings_searches_as_you_type(
    fake_slack: FakeSlack, many_meetings: Digest, tmp_path: Path
) -> None:
    newest = max(many_meetings.meetings, key=lambda m: m.date.first or date.min)
    now = datetime.combine(newest.date.first or date.min, datetime.min.time(), UTC)
    for bot in serve_bot(fake_slack, many_meetings, now + timedelta(days=2), tmp_path):
        menu = actions_of(bot.command("brief")["blocks"])["brief_meeting"]
        # Past Slack's 100 options: loaded as the user types, the meeting on screen chosen.
        assert menu["type"] == "external_select" and "options" not in menu
        assert menu["initial_option"]["value"] == newest.id
        suggestion = {
            "type": "block_suggestion",
            "user": {"id": "U123"},
            "api_app_id": "A1",
            "team": {"id": "T1"},
            "action_id": "brief_meeting",
            "block_id": "b1",
            "value": "meeting 150",
        }
        found = bot.act(suggestion).json()["options"]
        assert [o["value"] for o in found] == [newest.id]
        everything = bot.act({**suggestion, "value": ""}).json()["options"]
        assert len(everything) == 100 and everything[0]["value"] == newest.id  # newest first
