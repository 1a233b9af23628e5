"""Events API listeners: the App Home tab, published for the user on each visit."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.clock import Clock
from bot.commands.situation import Caller
from bot.pipeline import Pipeline

_USER = re.compile(r"^[UW][A-Z0-9]{2,30}$")


def register(app: App, pipeline: Pipeline, clock: Clock) -> None:
    """Attach the event listeners (Bolt acknowledges events itself)."""

    def home_opened(event: dict[str, Any], client: WebClient) -> None:
        user = str(event.get("user") or "")
        if event.get("tab") != "home" or not _USER.match(user):
            return  # the Messages tab, or not a user
        # Published whole on every visit (a retried event publishes the same tab again), so a
        # reloaded digest shows on the next open.
        client.views_publish(user_id=user, view=pipeline.home(clock.now(), Caller("", user)))

    app.event("app_home_opened")(home_opened)
