"""Thin Bolt listeners: ack → parse → domain → render → reply. Registered by surface."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse, Respond
from slack_bolt.middleware import Middleware
from slack_sdk.signature import SignatureVerifier

from bot.briefer import Briefer
from bot.clock import Clock
from bot.commands import Caller
from bot.render import Message

log = logging.getLogger("sco_bot")
INVALID_REQUEST = '{"error": "invalid request"}'
JSON_TYPE = "application/json;charset=utf-8"


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
        if req.mode != "socket_mode":  # Socket Mode frames come over Slack's own connection
            headers = req.headers
            timestamp = (headers.get("x-slack-request-timestamp") or [""])[0]
            signature = (headers.get("x-slack-signature") or [""])[0]
            try:
                valid = self.verifier.is_valid(req.raw_body, timestamp, signature)
            except (ValueError, TypeError):
                valid = False
            if not valid:
                return BoltResponse(status=401, body=INVALID_REQUEST)
        body = req.body
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


def register_listeners(app: App, briefer: Briefer, clock: Clock) -> None:
    """Attach the `/sco` command and the error handler."""
    follow_ups = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sco-follow-up")

    def answer_sco(command: dict[str, Any], respond: Respond) -> BoltResponse:
        caller = Caller(str(command.get("channel_id") or ""), command.get("user_id"))
        reply = briefer.answer(command.get("text") or "", clock.now(), caller)
        if len(reply.messages) > 1:
            # A reply longer than one message (50 blocks) continues through response_url.
            follow_ups.submit(_respond_all, respond, reply.messages[1:], reply.public)
        # The acknowledgement is the reply itself, serialised once per cached answer.
        return BoltResponse(status=200, body=reply.ack_body, headers={"content-type": JSON_TYPE})

    app.command("/sco")(answer_sco)

    def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
        # Answer the command with an apology (HTTP 200, ephemeral) instead of Bolt's bare 500.
        reference = uuid.uuid4().hex[:8]
        log.error("error %s handling %s", reference, body.get("command"), exc_info=error)
        page = briefer.render("error.j2", reference=reference)[0]
        reply = {**page.payload(), "response_type": "ephemeral"}
        return BoltResponse(status=200, body=json.dumps(reply), headers={"content-type": JSON_TYPE})

    app.error(on_error)


def _respond_all(respond: Respond, pages: list[Message], public: bool) -> None:
    try:
        for page in pages:
            respond(
                **page.payload(),
                response_type="in_channel" if public else "ephemeral",
                replace_original=False,
            )
    except Exception:
        log.exception("could not post the rest of a %d-page reply", len(pages) + 1)
