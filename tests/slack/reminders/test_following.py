"""Following: `/sco follow` in a channel, then one "What's new" post in each following channel
per change of the digest, never twice (a lost answer, a digest changing back and forth, two
instances on PostgreSQL), none in the others; the Home tab's "New since your last visit"."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import Clock
from bot.commands.situation import Caller
from bot.knowledge.digest import Digest
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.reminders.following import FollowBook, Told
from bot.reminders.ledger import Ledger
from bot.rendering.renderer import Renderer
from bot.rendering.terminal import plain, to_terminal
from bot.services import Services
from bot.settings import Settings
from bot.slack.replies import SlackViews
from testkit.fakeslack import FakeSlack, view_problems
from testkit.questions import three_meetings
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TWO_MEETINGS
from tests.databases import fresh_postgres, skip_without_postgres

# After every document of the third meeting (11-13 May 2033) is published.
NOW = datetime(2033, 6, 1, 9, 0, tzinfo=UTC)
NEWS = "What's new"


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Digest:
    return load_digest(TWO_MEETINGS)


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Digest:
    return load_digest(three_meetings(tmp_path_factory.mktemp("three") / "knowledge"))


@dataclass
class Bot:
    """One instance: its services over a digest holder, and what it shares with the others."""

    services: Services
    holder: DigestHolder

    def say(self, text: str, channel: str, user: str = "U0ANALYST") -> str:
        reply = self.services.pipeline.respond(text, NOW, Caller(channel, user))
        return plain(to_terminal(reply.messages))

    def book(self) -> FollowBook:
        return FollowBook(self.services.reminders.ledger)


def make_bot(fake: FakeSlack, url: str, digest: Digest, renderer: Renderer, **extra: Any) -> Bot:
    fake.now = NOW.timestamp()  # Slack's clock is the bot's (it holds posts ahead of it)
    settings = Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.api_url,
        knowledge_dir=TWO_MEETINGS,
        database_url=url,
        **extra,
    )
    holder = DigestHolder(digest)
    return Bot(Services(settings, Clock(start=NOW), holder, renderer), holder)


@pytest.fixture
def bot(fake_slack: FakeSlack, tmp_path: Path, two: Digest, renderer: Renderer) -> Iterator[Bot]:
    made = make_bot(fake_slack, f"sqlite:///{tmp_path / 'ledger.sqlite3'}", two, renderer)
    yield made
    made.services.reminders.ledger.close()


def news_posts(fake: FakeSlack) -> Counter[str]:
    """How many "What's new" messages Slack holds or posted, by channel."""
    return Counter(
        m["channel"]
        for m in [*fake.scheduled.values(), *fake.posted]
        if str(m.get("text", "")).startswith(NEWS)
    )


def news_text(fake: FakeSlack, channel: str) -> str:
    (message,) = [
        m
        for m in [*fake.scheduled.values(), *fake.posted]
        if m["channel"] == channel and str(m.get("text", "")).startswith(NEWS)
    ]
    return json.dumps(message, ensure_ascii=False)


def follow_four(bot: Bot) -> None:
    """C0ALL follows everything, C0HYP Hyperborea, C0SUB a topic nothing is on; C0NOT nothing."""
    assert "Now following everything" in bot.say("follow", "C0ALL")
    assert "Now following Hyperborea" in bot.say("follow hyperborea", "C0HYP")
    assert "Now following the topic “submarines”" in bot.say("follow submarines", "C0SUB")


# --- the commands ------------------------------------------------------------------------------


def test_follow_unfollow_and_following_say_what_the_channel_follows(bot: Bot) -> None:
    assert "follows nothing" in bot.say("following", "C1")
    assert "Now following Hyperborea" in bot.say("follow Hyperborea", "C1")
    assert "Already following Hyperborea" in bot.say("watch hyperborea", "C1")
    said = bot.say("follow fisheries monitoring", "C1")
    assert "Now following the topic “fisheries monitoring”" in said
    assert "Hyperborea; “fisheries monitoring”" in bot.say("following", "C1")
    assert "follows nothing" in bot.say("following", "C2")  # another channel's are its own
    assert "No longer following Hyperborea" in bot.say("unfollow hyperborea", "C1")
    assert "was not following that" in bot.say("unfollow atlantis", "C1")
    assert "No longer following anything" in bot.say("unfollow", "C1")
    assert bot.book().following_channels() == []


def test_only_admins_change_what_a_channel_follows(
    fake_slack: FakeSlack, tmp_path: Path, two: Digest, renderer: Renderer
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    bot = make_bot(fake_slack, url, two, renderer, admins=frozenset({"U0ADMIN"}))
    refused = bot.say("follow", "C1", user="U0ANALYST")
    assert "only <@U0ADMIN> can change" in refused
    assert "follows nothing" in bot.say("following", "C1", user="U0ANALYST")  # reading is open
    assert "Now following everything" in bot.say("follow", "C1", user="U0ADMIN")
    assert "only <@U0ADMIN> can change" in bot.say("unfollow", "C1", user="U0ANALYST")
    assert bot.book().following_channels() == ["C1"]


def test_following_needs_a_channel(pipeline: Any) -> None:
    said = plain(to_terminal(pipeline.respond("follow china", NOW).messages))
    assert "needs a channel" in said


# --- what's new, once --------------------------------------------------------------------------


def test_a_new_meeting_is_one_post_in_each_following_channel_and_none_in_the_others(
    bot: Bot, fake_slack: FakeSlack, three: Digest
) -> None:
    follow_four(bot)
    bot.services.tell_news(NOW)
    assert news_posts(fake_slack) == Counter()  # following from now on: no history

    bot.holder.swap(three)  # the curator appended the 2033 meeting; the reload tells
    bot.services.tell_news(NOW)
    assert news_posts(fake_slack) == Counter({"C0ALL": 1, "C0HYP": 1})

    everything = news_text(fake_slack, "C0ALL")
    assert "2033 meeting of the Defence Council in Rinnhaven" in everything
    assert "joint release · Council Secretariat, 11 May 2033" in everything
    # The placeholder became the meeting: the change, with its source.
    assert "*Next meeting of the Defence Council* (2033, Mu) → *2033 meeting" in everything
    hyperborea = news_text(fake_slack, "C0HYP")
    assert "Tor Alvik" in hyperborea and "Hyperborean MoD, 11 May 2033" in hyperborea
    assert "(Hyperborea)" in hyperborea  # what the channel follows, said

    bot.services.tell_news(NOW)
    bot.services.tell_news(NOW + timedelta(hours=1))
    assert news_posts(fake_slack) == Counter({"C0ALL": 1, "C0HYP": 1})
    assert all(r.state is Told.POSTED for r in bot.book().told("C0ALL")[:1])


def test_a_digest_changing_back_and_forth_is_told_once(
    bot: Bot, fake_slack: FakeSlack, two: Digest, three: Digest
) -> None:
    follow_four(bot)
    for digest in (three, two, three, two, three):
        bot.holder.swap(digest)
        bot.services.tell_news(NOW)
    assert news_posts(fake_slack) == Counter({"C0ALL": 1, "C0HYP": 1})


def test_a_channel_that_follows_later_is_not_flooded_with_history(
    bot: Bot, fake_slack: FakeSlack, three: Digest
) -> None:
    bot.holder.swap(three)
    follow_four(bot)
    bot.services.tell_news(NOW)
    assert news_posts(fake_slack) == Counter()


def test_nothing_is_told_before_its_documents_are_published(
    bot: Bot, fake_slack: FakeSlack, three: Digest
) -> None:
    follow_four(bot)
    bot.holder.swap(three)
    early = datetime(2033, 5, 1, tzinfo=UTC)  # the 2033 meeting's documents are still ahead
    bot.services.tell_news(early)
    assert news_posts(fake_slack) == Counter()
    bot.services.tell_news(NOW)  # the documents came out since: now it is news
    assert news_posts(fake_slack) == Counter({"C0ALL": 1, "C0HYP": 1})


def test_an_answer_lost_after_slack_held_the_post_is_settled_not_repeated(
    bot: Bot, fake_slack: FakeSlack, three: Digest
) -> None:
    follow_four(bot)
    bot.holder.swap(three)
    fake_slack.fail("chat.scheduleMessage", after=True, times=2)  # done, but the answer lost
    bot.services.tell_news(NOW)
    assert news_posts(fake_slack) == Counter({"C0ALL": 1, "C0HYP": 1})
    assert {r.state for r in bot.book().told("C0ALL")[:1]} == {Told.PENDING}

    bot.services.tell_news(NOW)  # the next pass finds the posts among what Slack holds
    assert news_posts(fake_slack) == Counter({"C0ALL": 1, "C0HYP": 1})
    (newest, *_) = bot.book().told("C0ALL")
    assert newest.state is Told.POSTED and newest.scheduled_message_id in fake_slack.scheduled


def test_a_reservation_never_sent_is_sent_once(
    bot: Bot, fake_slack: FakeSlack, three: Digest
) -> None:
    follow_four(bot)
    bot.holder.swap(three)
    view = three.as_of(NOW)
    later = int((NOW + timedelta(seconds=30)).timestamp())
    # A run reserved the post and died before asking Slack.
    assert bot.book().reserve("C0ALL", view.view_id, Told.PENDING, later, f"news:{view.view_id}")
    bot.services.tell_news(NOW)
    bot.services.tell_news(NOW)
    assert news_posts(fake_slack) == Counter({"C0ALL": 1, "C0HYP": 1})


def test_two_instances_on_postgres_post_once(
    fake_slack: FakeSlack, two: Digest, three: Digest, renderer: Renderer
) -> None:
    skip_without_postgres()
    with fresh_postgres() as url:
        bots = [make_bot(fake_slack, url, two, renderer) for _ in range(2)]
        try:
            follow_four(bots[0])
            for each in bots:
                each.services.tell_news(NOW)
                each.holder.swap(three)
            for _ in range(3):
                threads = [
                    threading.Thread(target=each.services.tell_news, args=(NOW,)) for each in bots
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(30)
            assert news_posts(fake_slack) == Counter({"C0ALL": 1, "C0HYP": 1})
        finally:
            for each in bots:
                each.services.reminders.ledger.close()


# --- the Home tab ------------------------------------------------------------------------------


def home_text(bot: Bot, user: str) -> str:
    home = SlackViews(bot.services.pipeline).home(NOW, Caller("", user))
    return json.dumps(home, ensure_ascii=False)


def test_home_shows_what_is_new_since_the_users_last_visit(bot: Bot, three: Digest) -> None:
    assert "New since your last visit" not in home_text(bot, "U1")  # a first visit
    assert "New since your last visit" not in home_text(bot, "U1")  # nothing changed
    bot.holder.swap(three)
    shown = home_text(bot, "U1")
    assert "New since your last visit" in shown
    assert "2033 meeting of the Defence Council in Rinnhaven" in shown
    assert "New since your last visit" not in home_text(bot, "U1")  # seen now
    assert "New since your last visit" not in home_text(bot, "U2")  # another user's first


# --- following from the Home tab ---------------------------------------------------------------


def test_the_home_tab_follows_in_the_channel_chosen(
    fake_slack: FakeSlack, digest: Digest, tmp_path: Path
) -> None:
    from tests.slack.slack.test_listeners import NOW as AUTUMN
    from tests.slack.slack.test_listeners import actions_of, serve_bot
    from tests.slack_payloads import block_actions, button, home_opened, view_submission

    fake_slack.now = AUTUMN.timestamp()
    for bot in serve_bot(fake_slack, digest, AUTUMN, tmp_path):
        assert bot.event(home_opened()).status == 200
        [home] = bot.wait("views.publish")
        opener = actions_of(home.body["view"]["blocks"])["follow_form"]
        assert bot.act(block_actions(button("follow_form", opener["value"]), channel=None))
        [opened] = bot.wait("views.open")
        view = opened.body["view"]
        assert view["callback_id"] == "follow_form" and view_problems(view) == []
        kinds = {b["block_id"]: b["element"]["type"] for b in view["blocks"] if "element" in b}
        assert kinds == {"channel": "conversations_select", "what": "plain_text_input"}
        # No channel chosen: said under the picker. One chosen: followed there, said privately.
        empty = view_submission({"what": "china"}, channel="", form="follow_form")
        refused = bot.act(empty).json()
        assert refused["response_action"] == "errors" and "channel" in refused["errors"]
        chosen = {"what": "  China ", "channel": "C777"}
        assert bot.act(view_submission(chosen, channel="", form="follow_form")).status == 200
        [note] = bot.wait("chat.postEphemeral")
        assert note.body["channel"] == "C777" and "Now following China" in json.dumps(note.body)
        ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
        assert FollowBook(ledger).following("C777").actors == frozenset({"china"})
        ledger.close()
