"""Modal submissions (the reminder form) register here."""

from __future__ import annotations

from slack_bolt import App

from bot.clock import Clock
from bot.pipeline import Pipeline


def register(app: App, pipeline: Pipeline, clock: Clock) -> None:
    """Attach the view-submission listeners (none yet: the reminder form comes next)."""
