"""The issue's "done when": a fictional meeting appended to the digest of a running `sco-bot
serve` makes exactly one "What's new" post in each following channel and none in the others,
even when `serve` is killed right after Slack took the post (before it recorded it) and is
started again."""

from __future__ import annotations

import os
import shutil
import signal
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.reminders.following import ACTOR, ALL, TOPIC, FollowBook, Told
from bot.reminders.ledger import Ledger
from testkit.fakeslack import FakeSlack
from testkit.questions import append_meeting
from testkit.servers import clean_env, sco_bot_serve
from testkit.waiting import wait_until
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, THIRD_MEETING, TWO_MEETINGS

NOW = datetime(2033, 6, 1, 9, 0, tzinfo=UTC)
NEWS = "What's new"


def news_calls(fake: FakeSlack) -> Counter[str]:
    """The "What's new" posts Slack was asked to hold, by channel."""
    return Counter(
        str(call.body["channel"])
        for call in fake.calls_to("chat.scheduleMessage")
        if str(call.body.get("text", "")).startswith(NEWS)
    )


def test_killed_right_after_posting_and_restarted_one_post_per_following_channel(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(TWO_MEETINGS, knowledge)
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    fake_slack.now = NOW.timestamp()
    ledger = Ledger(url)
    book = FollowBook(ledger)
    book.follow("C0ALL", ALL, ALL, "U0ADMIN")
    book.follow("C0HYP", ACTOR, "hyperborea", "U0ADMIN")
    book.follow("C0SUB", TOPIC, "submarines", "U0ADMIN")
    env = clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
        SCO_KNOWLEDGE_DIR=str(knowledge),
        SCO_DATABASE_URL=url,
        SCO_CLOCK=NOW.isoformat(),
        SCO_RELOAD_SECONDS="0.2",
    )
    channels = ("C0ALL", "C0HYP", "C0SUB")
    with sco_bot_serve(env) as (proc, _, _):
        # It starts each following channel from the digest it serves: no history.
        assert wait_until(lambda: all(book.told(c) for c in channels), timeout=20)
        assert news_calls(fake_slack) == Counter()

        def kill_after_the_first_post(method: str, body: dict[str, Any]) -> None:
            # Slack has held the post; the process dies before its answer arrives.
            if method == "chat.scheduleMessage" and str(body.get("text", "")).startswith(NEWS):
                fake_slack.after_call = None
                os.kill(proc.pid, signal.SIGKILL)

        fake_slack.after_call = kill_after_the_first_post
        append_meeting(knowledge, THIRD_MEETING)  # the curator's new meeting; serve reloads
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    assert news_calls(fake_slack) == Counter({"C0ALL": 1})
    (pending, _) = book.told("C0ALL")
    assert pending.state is Told.PENDING  # taken by Slack, never recorded

    with sco_bot_serve(env):

        def settled() -> bool:
            newest = [book.told(c)[0] for c in channels]
            return len({r.view_id for r in newest}) == 1 and all(
                r.state in (Told.POSTED, Told.QUIET) for r in newest
            )

        assert wait_until(settled, timeout=30)
    assert news_calls(fake_slack) == Counter({"C0ALL": 1, "C0HYP": 1})
    assert Counter(m["channel"] for m in fake_slack.scheduled.values()) == Counter(
        {"C0ALL": 1, "C0HYP": 1}
    )
    assert book.told("C0SUB")[0].state is Told.QUIET
    ledger.close()
