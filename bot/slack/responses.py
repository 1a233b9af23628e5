"""Replies to Slack: the acknowledgement body, and the pages that follow through response_url."""

from __future__ import annotations

import logging

from slack_bolt import Respond

from bot.rendering.blocks import Message

log = logging.getLogger("sco_bot")
JSON_TYPE = "application/json;charset=utf-8"


def respond_all(respond: Respond, pages: list[Message], public: bool) -> None:
    """Post the pages after the first through response_url (which Slack accepts five times)."""
    try:
        for page in pages:
            respond(
                **page.payload(),
                response_type="in_channel" if public else "ephemeral",
                replace_original=False,
            )
    except Exception:
        log.exception("could not post the rest of a %d-page reply", len(pages) + 1)
