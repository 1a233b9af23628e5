"""Interactive payloads and Events API envelopes as Slack sends them (block_actions,
view_submission, app_home_opened), for tests/slack/ and the hostile-input suite."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

USER = "U123"
CHANNEL = "C123"


def block_actions(
    action: dict[str, Any],
    *,
    response_url: str | None = None,
    message_ts: str = "1627549200.000100",
    app_id: str = "A1",
    channel: str | None = CHANNEL,
    user: str = USER,
    trigger_id: str = "111.222.abc",
) -> dict[str, Any]:
    """A block_actions payload for one action on an ephemeral message (or the Home tab when
    `channel` is None)."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": "analyst", "team_id": "T1"},
        "api_app_id": app_id,
        "token": "legacy-verification-token",
        "team": {"id": "T1", "domain": "analysts"},
        "trigger_id": trigger_id,
        "actions": [{"block_id": "b1", "action_ts": "1627549201.1", **action}],
    }
    if channel is None:
        payload["container"] = {"type": "view", "view_id": "VHOME"}
        payload["view"] = {"id": "VHOME", "type": "home"}
    else:
        payload["container"] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": True,
        }
        payload["channel"] = {"id": channel, "name": "briefings"}
        payload["response_url"] = response_url or "http://127.0.0.1:9/respond"
    return payload


def button(action_id: str, value: str) -> dict[str, Any]:
    """A pressed button."""
    return {"type": "button", "action_id": action_id, "value": value}


def choice(action_id: str, value: Any) -> dict[str, Any]:
    """A static_select's chosen option (`value` None: a cleared select)."""
    option = (
        None if value is None else {"text": {"type": "plain_text", "text": "x"}, "value": value}
    )
    return {"type": "static_select", "action_id": action_id, "selected_option": option}


def view_submission(
    fields: dict[str, Any],
    *,
    channel: str = CHANNEL,
    app_id: str = "A1",
    user: str = USER,
    form: str = "remind_form",
) -> dict[str, Any]:
    """A form (the reminder form unless told) submitted with `fields` (leads, at, tz, what,
    channel: the picker's choice; None leaves one empty); `channel` is the conversation it
    was opened from."""
    kinds = {
        "leads": ("plain_text_input", "value"),
        "at": ("timepicker", "selected_time"),
        "channel": ("conversations_select", "selected_conversation"),
    }
    values: dict[str, Any] = {}
    for field, value in fields.items():
        kind, key = kinds.get(field, ("plain_text_input", "value"))
        values[field] = {field: {"type": kind, key: value}}
    return {
        "type": "view_submission",
        "user": {"id": user, "username": "analyst", "team_id": "T1"},
        "api_app_id": app_id,
        "team": {"id": "T1", "domain": "analysts"},
        "trigger_id": "111.222.def",
        "view": {
            "id": "VFORM",
            "type": "modal",
            "callback_id": form,
            "private_metadata": channel,
            "state": {"values": values},
        },
    }


def interaction_body(payload: dict[str, Any]) -> str:
    """The form-encoded body Slack posts for an interaction: `payload=<json>`."""
    return urlencode({"payload": json.dumps(payload)})


def home_opened(
    user: str = USER,
    tab: str = "home",
    app_id: str = "A1",
    event_id: str = "Ev1",
    team_id: str = "T1",
) -> str:
    """An Events API envelope of app_home_opened, as JSON."""
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "api_app_id": app_id,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1627549200,
            "event": {
                "type": "app_home_opened",
                "user": user,
                "channel": "D1",
                "tab": tab,
                "event_ts": "1627549200.1",
            },
        }
    )


# The one live syntax the bot writes itself: an instant as Slack's date token, exactly in the
# form bot/rendering/labels.py `slack_time` writes (user text can never make one: `<` is
# always escaped). Checks for live syntax remove these first.
OUR_DATE = re.compile(r"<!date\^\d{9,10}\^\{date_short\} \{time\}\|[0-9A-Za-z :+\-]+>")


def without_dates(text: str) -> str:
    """`text` with the bot's own date tokens removed."""
    return OUR_DATE.sub("", text)
