"""Bolt middleware: what every request passes before any listener runs."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk.signature import SignatureVerifier

from bot.slack.work import SlackWork, new_request

log = logging.getLogger("sco_bot")
INVALID_REQUEST = '{"error": "invalid request"}'
# Set in a request's context by our HTTP layer once it verified the raw body itself (a request
# it re-encoded for Bolt's parser no longer matches its signature). No body can set it.
SIGNATURE_CHECKED = "sco_signature_checked"
# Where the request came in (`https://host`, from waitress): the calendar feed's link.
REQUEST_ORIGIN = "sco_request_origin"
NOT_INSTALLED = "sco_not_installed"  # set by the authorization when a team has no installation
JSON = "application/json;charset=utf-8"


SKEW_SECONDS = 300  # Slack's window: a timestamp further from now is refused


def unsigned_because(
    verifier: SignatureVerifier, body: bytes | str, timestamp: str, signature: str
) -> str | None:
    """Why `body` is not signed by Slack (None when it is): a missing header, a timestamp that
    is malformed, stale or ahead of our clock, or a signature that does not match."""
    if not verifier.signing_secret:
        return "no signing secret is configured"
    if not timestamp or not signature:
        missing = "X-Slack-Request-Timestamp" if not timestamp else "X-Slack-Signature"
        return f"missing header {missing}"
    try:
        age = time.time() - int(timestamp)
    except ValueError:
        return "malformed timestamp"
    if age > SKEW_SECONDS:
        return "stale timestamp (more than 5 minutes old: a replay, or our clock is behind)"
    if age < -SKEW_SECONDS:
        return "timestamp ahead of our clock by more than 5 minutes (clock skew)"
    try:
        valid = verifier.is_valid(body, timestamp, signature)
    except (ValueError, TypeError):
        valid = False
    return None if valid else "bad signature (mismatch: another signing secret, or altered)"


class RefusalLog:
    """Logs each refused signature with its reason, at most once a minute per reason (with how
    many more were refused meanwhile): a flood of forged requests is one line a minute."""

    def __init__(self, every: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.clock = clock
        self._last: dict[str, float] = {}
        self._quiet: dict[str, int] = {}
        self._lock = threading.Lock()

    def refused(self, reason: str) -> None:
        """Note one refusal; log it unless its reason was logged within the minute."""
        with self._lock:
            now = self.clock()
            if now - self._last.get(reason, -self.every) < self.every:
                self._quiet[reason] = self._quiet.get(reason, 0) + 1
                return
            self._last[reason] = now
            quiet = self._quiet.pop(reason, 0)
        more = f" ({quiet} more refused for it since the last line)" if quiet else ""
        log.warning("refused a request: signature: %s%s", reason, more)


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
        self.refusals = RefusalLog()

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        """Refuse what Slack did not sign for us; let the rest through."""
        new_request()  # served as nobody's until authorized
        # Socket Mode frames come over Slack's own connection; HTTP ones our server verified.
        if req.mode != "socket_mode" and not req.context.get(SIGNATURE_CHECKED):
            headers = req.headers
            timestamp = (headers.get("x-slack-request-timestamp") or [""])[0]
            signature = (headers.get("x-slack-signature") or [""])[0]
            why = unsigned_because(self.verifier, req.raw_body, timestamp, signature)
            if why is not None:
                self.refusals.refused(why)
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


NOT_INSTALLED_TEXT = (
    "sco-bot is not installed in this workspace any more (it was removed, or its installation "
    "was not saved). Ask an admin to add it again: the app's install link."
)


class ServeWorkspace(Middleware):
    """After authorization: serve the request with its workspace's token (`work.serve`: the
    clients its listeners and their background jobs use), or, when the workspace has no
    installation, answer that at once (Bolt would post to the response_url before the ack,
    and wait on Slack for it)."""

    def __init__(self, work: SlackWork) -> None:
        self.work = work

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        """Set the request's workspace and token; refuse one not installed."""
        context = req.context
        if context.get(NOT_INSTALLED):
            log.warning("a request from %s, which has no installation", context.team_id)
            if context.response_url:  # a command or an action: the user reads the answer
                body = json.dumps({"response_type": "ephemeral", "text": NOT_INSTALLED_TEXT})
                return BoltResponse(status=200, body=body, headers={"content-type": JSON})
            return BoltResponse(status=200, body="")
        workspace = context.get("sco_workspace")
        if workspace is not None and context.bot_token:
            self.work.serve(workspace, context.bot_token)
        return next()
