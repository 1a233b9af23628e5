"""Slack messages rendered readably for a terminal."""

from __future__ import annotations

import re

from bot.rendering.blocks import Message

_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>")
_BARE_LINK = re.compile(r"<(https?://[^<>|]+)>")
_SLACK_DATE = re.compile(r"<!date\^\d+\^[^|<>]*\|([^<>]*)>")


def slack_dates(mrkdwn: str) -> str:
    """Slack's date tokens → their fallback: the terminal shows times in SCO_TIMEZONE."""
    return _SLACK_DATE.sub(r"\1", mrkdwn)


def _terminal_text(mrkdwn: str) -> str:
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", slack_dates(mrkdwn))
    text = _BARE_LINK.sub(lambda m: m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def to_terminal(messages: list[Message], width: int = 78) -> str:
    """Render messages readably for a terminal: headings underlined, context indented."""
    out: list[str] = []
    for message in messages:
        for block in message.blocks:
            kind = block["type"]
            if kind == "header":
                title = _terminal_text(block["text"]["text"])
                out += ["", title, "=" * min(len(title), width)]
            elif kind == "section":
                out += ["", _terminal_text(block["text"]["text"])]
            elif kind == "context":
                out += ["    " + _terminal_text(e["text"]) for e in block["elements"]]
            elif kind == "divider":
                out += ["", "-" * width]
    return "\n".join(out).strip("\n") + "\n"
