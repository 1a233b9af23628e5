"""Slack listeners by surface, each module registering its own, as Slack's starter template does.

A new surface is a module here with `register(app, pipeline, clock)`, added to SURFACES."""

from __future__ import annotations

from slack_bolt import App

from bot.clock import Clock
from bot.pipeline import Pipeline
from bot.slack.listeners import actions, commands, events, messages, views

SURFACES = (commands, events, actions, views, messages)


def register_listeners(app: App, pipeline: Pipeline, clock: Clock) -> None:
    """Attach every surface's listeners to the app."""
    for surface in SURFACES:
        surface.register(app, pipeline, clock)
