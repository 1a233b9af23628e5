"""Bolt middleware: what every request passes before any listener runs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger("sco_bot")
INVALID_REQUEST = '{"error": "invalid request"}'
# Set in a request's context by our HTTP layer once it verified the raw body itself (a request
# it re-encoded for Bolt's parser no longer matches its signature). No body can set it.
SIGNATURE_CHECKED = "sco_signature_checked"


def is_signed(
    verifier: SignatureVerifier, body: bytes | str, timestamp: str, signature: str
) -> bool:
    """Whether Slack signed `body` (v0, 5-minute window); malformed headers are simply unsigned.

    Without a signing secret nothing is signed: an empty key is no secret."""
    if not verifier.signing_secret:
        return False
    try:
        return verifier.is_valid(body, timestamp, signature)
    except (ValueError, TypeError):
        return False


def usable(body: dict[str, Any]) -> bool:
    """Whether Bolt can read a signed body's parts: it builds every listener argument from
    them (`body["actions"][0]`, `body["view"]`, `body["event"]["type"]`) before any listener
    runs, so an empty or mistyped part raised IndexError or TypeError: a 500."""
    if "actions" in body and body.get("type") in ("block_actions", "interactive_message"):
        actions = body["actions"]
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
            return False
    if "view" in body and not isinstance(body["view"], dict):
        return False
    return "event" not in body or isinstance(body["event"], dict)


class SlackGate(Middleware):
    """Every request, before authorization: Slack's signature (v0, 5-minute window), our app id,
    and a debug log line. Malformed headers are a 401, not an exception; no unsigned request
    costs an API call. A Middleware subclass, so Bolt injects no arguments per request."""

    def __init__(self, signing_secret: str, app_id: str | None = None) -> None:
        self.verifier = SignatureVerifier(signing_secret)
        self.app_id = app_id

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        """Refuse what Slack did not sign for us; let the rest through."""
        # Socket Mode frames come over Slack's own connection; HTTP ones our server verified.
        if req.mode != "socket_mode" and not req.context.get(SIGNATURE_CHECKED):
            headers = req.headers
            timestamp = (headers.get("x-slack-request-timestamp") or [""])[0]
            signature = (headers.get("x-slack-signature") or [""])[0]
            if not is_signed(self.verifier, req.raw_body, timestamp, signature):
                return BoltResponse(status=401, body=INVALID_REQUEST)
        body = req.body
        if not usable(body):
            kind = str(body.get("type"))[:40]
            log.warning("refused a signed %r request Bolt could not use", kind)
            return BoltResponse(status=400, body=INVALID_REQUEST)
        if self.app_id and body.get("api_app_id") != self.app_id:
            # Correctly signed, but meant for another app of the workspace.
            log.warning("refused a request for app %r", str(body.get("api_app_id"))[:20])
            return BoltResponse(status=401, body=INVALID_REQUEST)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %r from %s in %s",
                body.get("command", body.get("type")),
                str(body.get("text") or "")[:80],
                body.get("user_id"),
                body.get("channel_id"),
            )
        # Bolt runs the rest of the chain after this returns: next() only lets it go on.
        return next()
