"""Events API listeners: the App Home tab, published for the user on each visit."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.clock import Clock
from bot.commands.situation import Caller
from bot.pipeline import Pipeline
from bot.slack.payloads import USER
from bot.slack.work import SlackWork


def register(app: App, pipeline: Pipeline, clock: Clock, work: SlackWork) -> None:
    """Attach the event listeners (Bolt acknowledges events when they return)."""

    def home_opened(event: dict[str, Any]) -> None:
        user = str(event.get("user") or "")
        if event.get("tab") != "home" or not USER.match(user):
            return  # the Messages tab, or not a user
        work.later(_publish_home, pipeline, clock, work, user)

    app.event("app_home_opened")(home_opened)


def _publish_home(pipeline: Pipeline, clock: Clock, work: SlackWork, user: str) -> None:
    # Published whole on every visit (a retried event publishes the same tab again), so a
    # reloaded digest shows on the next open.
    work.client.views_publish(user_id=user, view=pipeline.home(clock.now(), Caller("", user)))
