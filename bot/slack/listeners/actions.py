"""Interactive components (buttons, menus) register here."""

from __future__ import annotations

from slack_bolt import App

from bot.clock import Clock
from bot.pipeline import Pipeline


def register(app: App, pipeline: Pipeline, clock: Clock) -> None:
    """Attach the block-action listeners (none yet: reply buttons come next)."""
