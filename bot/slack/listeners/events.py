"""Events API listeners: the App Home tab, published for the user on each visit."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.commands.situation import Caller
from bot.slack.deps import Deps, bind
from bot.slack.payloads import USER


def register(app: App, deps: Deps) -> None:
    """Attach the event listeners (Bolt acknowledges events when they return)."""
    app.event("app_home_opened")(bind(home_opened, deps))


def home_opened(deps: Deps, event: dict[str, Any]) -> None:
    """Publish the user's Home tab (after the ack)."""
    user = str(event.get("user") or "")
    if event.get("tab") != "home" or not USER.match(user):
        return  # the Messages tab, or not a user
    deps.work.later(_publish_home, deps, user)


def _publish_home(deps: Deps, user: str) -> None:
    # Published whole on every visit (a retried event publishes the same tab again), so a
    # reloaded digest shows on the next open.
    view = deps.views.home(deps.clock.now(), Caller("", user))
    deps.work.client.views_publish(user_id=user, view=view)
