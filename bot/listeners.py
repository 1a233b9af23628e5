"""Thin Bolt listeners: ack → parse → domain → render → reply. Registered by surface."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, BoltResponse, Respond

from bot.briefer import Briefer
from bot.clock import Clock
from bot.render import Message

log = logging.getLogger("sco_bot")


def _response_type(public: bool) -> str:
    return "in_channel" if public else "ephemeral"


def register_listeners(app: App, briefer: Briefer, clock: Clock) -> None:
    """Attach the `/sco` command, the error handler and the request-logging middleware."""

    follow_ups = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sco-follow-up")

    def answer_sco(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        reply = briefer.answer(command.get("text") or "", clock.now())
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

    app.middleware(log_request)

    def on_error(error: Exception, body: dict[str, Any], respond: Respond) -> None:
        reference = uuid.uuid4().hex[:8]
        log.error("error %s handling %s", reference, body.get("command"), exc_info=error)
        if body.get("response_url"):
            for page in briefer.render("error.j2", reference=reference):
                _respond(respond, page, public=False)

    app.error(on_error)


def _respond_all(respond: Respond, pages: list[Message], public: bool) -> None:
    for page in pages:
        _respond(respond, page, public)


def _respond(respond: Respond, page: Message, public: bool) -> None:
    respond(**page.payload(), response_type=_response_type(public), replace_original=False)
