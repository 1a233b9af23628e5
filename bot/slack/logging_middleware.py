"""Bolt middleware that names the request being logged: its team, channel and command."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.logs import current_request


class NoteRequest(Middleware):
    """Fill the current request's log fields from what Bolt parsed, then carry on. A Middleware
    subclass, so Bolt injects no arguments per request."""

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        """Name the request in the log fields; let it through."""
        fields = current_request()
        if fields is not None:
            fields.team = req.context.team_id
            fields.channel = req.context.channel_id
            body = req.body
            fields.command = body.get("command") or body.get("type")
        return next()
