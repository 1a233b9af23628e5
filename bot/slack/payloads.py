"""What an interactive payload says (untrusted JSON, signed by Slack): the button pressed and
the command it may run, who pressed it where, the message it is on, where to answer."""

from __future__ import annotations

import re
from typing import Any

from bot.commands.parsing import parse
from bot.commands.registry import SUBCOMMANDS
from bot.commands.situation import Caller

CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,30}$")
USER = re.compile(r"^[UW][A-Z0-9]{2,30}$")
SHARED_STATUS = "remind status"


def obj(container: dict[str, Any], key: str) -> dict[str, Any]:
    """`container[key]` when it is an object, else {} (a payload is untrusted JSON)."""
    value = container.get(key)
    return value if isinstance(value, dict) else {}


def first_action(body: dict[str, Any]) -> dict[str, Any]:
    """The action the payload carries ({} when it carries none)."""
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    return first if isinstance(first, dict) else {}


def button_value(body: dict[str, Any]) -> str:
    """The pressed button's value (untrusted text)."""
    value = first_action(body).get("value")
    if not isinstance(value, str):
        return ""
    # Values are written mrkdwn-escaped (templates/share.j2): undo the three entities.
    return value.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def safe_command(value: str) -> str | None:
    """The command a button may run: a known, read-only subcommand (`remind` only as
    `remind status`), without `public`; None for anything else."""
    request = parse(value)
    if request.unknown is not None or not value.strip():
        return None
    text = " ".join((request.name, *request.args))
    if SUBCOMMANDS[request.name].personal and text != SHARED_STATUS:
        return None
    return text


def caller_of(body: dict[str, Any]) -> Caller:
    """Who pressed, in which channel (empty outside a channel: the Home tab, a modal)."""
    channel_id = str(obj(body, "channel").get("id") or "")
    user_id = str(obj(body, "user").get("id") or "")
    return Caller(
        channel_id if CHANNEL.match(channel_id) else "",
        user_id if USER.match(user_id) else None,
    )


def message_key(body: dict[str, Any]) -> str | None:
    """What identifies the message a button is on (its ts, else its response_url)."""
    ts = obj(body, "container").get("message_ts")
    return str(ts or body.get("response_url") or "") or None


def response_url(body: dict[str, Any]) -> str:
    """Where to answer the press ('' when the payload has no response_url)."""
    url = body.get("response_url")
    return url if isinstance(url, str) else ""


def on_private_message(body: dict[str, Any]) -> bool:
    """Whether the button is on a message only the presser sees (a `/sco` reply)."""
    return obj(body, "container").get("is_ephemeral") is True
