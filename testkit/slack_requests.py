"""Slash-command requests and Events API deliveries as Slack sends them, signed, for the tests and
the benchmarks alike; and what our server answers to a request."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier


def slash_body(text: str, response_url: str = "http://127.0.0.1:9/respond", **extra: str) -> str:
    """A form-encoded /sco slash command body, as Slack sends it."""
    fields = {
        "token": "legacy-verification-token",
        "team_id": "T1",
        "team_domain": "analysts",
        "channel_id": "C123",
        "channel_name": "briefings",
        "user_id": "U123",
        "user_name": "analyst",
        "command": "/sco",
        "text": text,
        "api_app_id": "A1",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1.2.3",
        **extra,
    }
    return urlencode(fields)


def sign(
    body: str | bytes,
    secret: str,
    timestamp: int | str | None = None,
    *,
    json_body: bool = False,
) -> dict[str, str]:
    """The headers Slack sends with `body`: the timestamp (now unless told), the signature
    slack-sdk makes of it with `secret` (v0= HMAC-SHA256 of `v0:{timestamp}:{body}`; bytes are
    read as UTF-8, as Slack sends them), and the content type (JSON for Events API deliveries
    when `json_body`, else a form)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None  # None only without a timestamp
    return {
        "Content-Type": "application/json" if json_body else "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }


def event_body(event: dict[str, Any], event_id: str = "Ev1", team_id: str = "T1") -> str:
    """An Events API delivery (`event_callback`) wrapping `event`, as Slack sends it."""
    envelope = {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "api_app_id": "A1",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team_id, "user_id": "UBOT", "is_bot": True}],
    }
    return json.dumps(envelope)


def event_headers(
    body: str, secret: str, retry_num: int | None = None, retry_reason: str = "http_error"
) -> dict[str, str]:
    """Signed headers of an Events API delivery; a retry carries X-Slack-Retry-Num/-Reason."""
    headers = sign(body, secret, json_body=True)
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason
    return headers


def action_body(
    action_id: str,
    value: str,
    response_url: str,
    channel: str = "C123",
    *,
    trigger_id: str = "1.2.3",
    ephemeral: bool = False,
    selected: str | None = None,
    message_ts: str = "1700000000.000100",
) -> str:
    """A block_actions payload (a button pressed on a message, or with `selected` a menu's
    option chosen), form-encoded as Slack sends it; `ephemeral`: a message only the presser
    sees (a /sco reply), else a public one (an answer in a thread)."""
    action: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "block_id": "b1",
        "value": value,
        "action_ts": "1700000002.000300",
    }
    if selected is not None:
        action = {
            "type": "static_select",
            "action_id": action_id,
            "block_id": "b1",
            "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": selected},
            "action_ts": "1700000002.000300",
        }
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel,
    }
    if ephemeral:
        container["is_ephemeral"] = True
    payload = {
        "type": "block_actions",
        "user": {"id": "U123", "username": "analyst", "team_id": "T1"},
        "api_app_id": "A1",
        "team": {"id": "T1", "domain": "analysts"},
        "container": container,
        "trigger_id": trigger_id,
        "channel": {"id": channel, "name": "briefings"},
        "message": {"ts": message_ts, "text": "answer"},
        "response_url": response_url,
        "actions": [action],
    }
    return urlencode({"payload": json.dumps(payload)})


def mention_body(text: str, event_id: str, channel: str = "C123", user: str = "U123") -> str:
    """An app_mention delivery: `@sco-bot <text>` in a channel, as Slack sends it."""
    event = {
        "type": "app_mention",
        "user": user,
        "text": f"<@UBOT> {text}",
        "channel": channel,
        "ts": "1700000000.000200",
        "event_ts": "1700000000.000200",
    }
    return event_body(event, event_id)


@dataclass
class HttpReply:
    """What our server answered to a request: its status, body and headers."""

    status: int
    body: bytes
    headers: Message = field(default_factory=Message)

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


def fetch(
    url: str,
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> HttpReply:
    """GET `url` (POST `data` when given) on a new connection; its answer, errors included."""
    request = urllib.request.Request(url, data=data, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpReply(response.status, response.read(), response.headers)
    except urllib.error.HTTPError as error:
        with error:
            return HttpReply(error.code, error.read(), error.headers)
