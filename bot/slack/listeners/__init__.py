"""Slack listeners by surface, each module registering its own, as Slack's starter template does.

Each listener is a module-level function whose first argument is the app's one `Deps`
(bot/slack/deps.py), bound where the module's `register(app, deps)` attaches it. A new surface
is a module here with `register`, added to SURFACES. A listener acks and returns: whatever
calls Slack goes to `deps.work` (bot/slack/work.py)."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import Deps
from bot.slack.listeners import actions, commands, events, lifecycle, messages, reminders, views

SURFACES = (commands, events, actions, views, messages, reminders, lifecycle)


def register_listeners(app: App, deps: Deps) -> None:
    """Attach every surface's listeners to the app."""
    for surface in SURFACES:
        surface.register(app, deps)
