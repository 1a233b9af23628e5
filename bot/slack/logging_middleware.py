"""Bolt middleware that names the request being logged: its team, channel and command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext

from bot.logs import current_request


def note_request(context: BoltContext, body: dict[str, Any], next: Callable[[], None]) -> None:
    """Fill the current request's log fields from what Bolt parsed, then carry on."""
    fields = current_request()
    if fields is not None:
        fields.team = context.team_id
        fields.channel = context.channel_id
        fields.command = body.get("command") or body.get("type")
    next()
