"""Slack listeners by surface, each module registering its own, as Slack's starter template does.

A new surface is a module here with `register(app, pipeline, clock, work)`, added to SURFACES.
A listener acks and returns: whatever calls Slack goes to `work` (bot/slack/work.py)."""

from __future__ import annotations

from slack_bolt import App

from bot.clock import Clock
from bot.pipeline import Pipeline
from bot.slack.listeners import actions, commands, events, messages, reminders, views
from bot.slack.work import SlackWork

SURFACES = (commands, events, actions, views, messages, reminders)


def register_listeners(app: App, pipeline: Pipeline, clock: Clock, work: SlackWork) -> None:
    """Attach every surface's listeners to the app."""
    for surface in SURFACES:
        surface.register(app, pipeline, clock, work)
