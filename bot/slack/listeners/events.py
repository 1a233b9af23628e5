"""Events API listeners (App Home, mentions, direct messages) register here."""

from __future__ import annotations

from slack_bolt import App

from bot.clock import Clock
from bot.pipeline import Pipeline


def register(app: App, pipeline: Pipeline, clock: Clock) -> None:
    """Attach the event listeners (none yet: the Home tab and questions come next)."""
