"""Thin Bolt listeners: ack → parse → domain → render → reply. Registered by surface."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, BoltResponse, Respond

from bot.briefer import Briefer
from bot.clock import Clock
from bot.commands import Caller
from bot.render import Message

log = logging.getLogger("sco_bot")


def _response_type(public: bool) -> str:
    return "in_channel" if public else "ephemeral"


def register_listeners(app: App, briefer: Briefer, clock: Clock, app_id: str | None = None) -> None:
    """Attach the `/sco` command, the error handler and the middleware (app check, logging)."""

    follow_ups = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sco-follow-up")

    def answer_sco(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        caller = Caller(str(command.get("channel_id") or ""), command.get("user_id"))
        reply = briefer.answer(command.get("text") or "", clock.now(), caller)
        first, *more = reply.messages
        ack(**first.payload(), response_type=_response_type(reply.public))
        if more:
            # A reply longer than one message (50 blocks) continues through response_url.
            follow_ups.submit(_respond_all, respond, more, reply.public)

    app.command("/sco")(answer_sco)

    def log_request(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:
        started = time.perf_counter()
        response = next()
        log.debug(
            "%s %r from %s in %s: %.1f ms",
            body.get("command", body.get("type")),
            (body.get("text") or "")[:80],
            body.get("user_id"),
            body.get("channel_id"),
            (time.perf_counter() - started) * 1000,
        )
        return response

    def only_our_app(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:
        # A correctly signed request meant for another app of the same workspace: refuse it.
        if app_id and body.get("api_app_id") != app_id:
            log.warning("refused a request for app %r", str(body.get("api_app_id"))[:20])
            return BoltResponse(status=401, body='{"error": "invalid request"}')
        return next()

    app.middleware(only_our_app)
    app.middleware(log_request)

    def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
        # Answer the command with an apology (HTTP 200, ephemeral) instead of Bolt's bare 500.
        reference = uuid.uuid4().hex[:8]
        log.error("error %s handling %s", reference, body.get("command"), exc_info=error)
        page = briefer.render("error.j2", reference=reference)[0]
        reply = {**page.payload(), "response_type": "ephemeral"}
        return BoltResponse(
            status=200, body=json.dumps(reply), headers={"content-type": "application/json"}
        )

    app.error(on_error)


def _respond_all(respond: Respond, pages: list[Message], public: bool) -> None:
    try:
        for page in pages:
            _respond(respond, page, public)
    except Exception:
        log.exception("could not post the rest of a %d-page reply", len(pages) + 1)


def _respond(respond: Respond, page: Message, public: bool) -> None:
    respond(**page.payload(), response_type=_response_type(public), replace_original=False)
