"""The `/sco` slash command: ack with the reply itself; long replies continue via response_url.

A command that needs the reminder ledger (or the caller's Slack timezone) is answered in the
ack when the ledger and Slack answer within ACK_SECONDS; otherwise (another process holds
SQLite's lock, a slow database) the ack goes out empty and the reply follows through
response_url: Slack gives up after 3 s. Pages after the first, the follow-up and the bare
`/sco remind`'s form go on the background executor (bot/slack/work.py)."""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse

from bot.commands.parsing import Request, parse
from bot.commands.situation import Caller
from bot.rendering.rendered import Rendered
from bot.slack.deps import Deps, bind
from bot.slack.errors import apology
from bot.slack.middleware import REQUEST_ORIGIN
from bot.slack.replies import ack_body
from bot.slack.responses import JSON_TYPE, open_reminder_form, opens_form, respond_all

COMMAND = "/sco"
ACK_SECONDS = 1.5  # of the 3 s Slack waits for the acknowledgement; the rest is for the network


def register(app: App, deps: Deps) -> None:
    """Attach the `/sco` command."""
    app.command(COMMAND)(bind(answer_sco, deps))


def answer_sco(deps: Deps, command: dict[str, Any], context: BoltContext) -> BoltResponse:
    """Answer `/sco` in its acknowledgement (the first page; the rest follows)."""
    pipeline, work = deps.pipeline, deps.work
    request = parse(command.get("text") or "")  # once: everything below is given the Request
    user, origin = command.get("user_id"), context.get(REQUEST_ORIGIN)
    channel = str(command.get("channel_id") or "")
    trigger = str(command.get("trigger_id") or "")
    url = str(command.get("response_url") or "")
    if trigger and channel and opens_form(request) and pipeline.may_remind(user):
        # A bare `/sco remind` opens the form too (the status answers the command itself).
        work.later(open_reminder_form, work, deps.views, trigger, channel, user, urgent=True)
    if pipeline.needs_ledger(request):
        # Answers that read or write the ledger run on the answers lane, the ack waiting.
        pending = work.answers.submit(_answer, deps, request, Caller(channel, user, origin=origin))
        try:
            reply = pending.result(timeout=ACK_SECONDS)
        except FutureTimeout:
            pending.add_done_callback(lambda done: work.later(_follow_up, done, deps, url, command))
            return BoltResponse(status=200, body="")
    else:
        reply = pipeline.answer(request, deps.clock.now(), Caller(channel, user))
    if len(reply.pages) > 1:
        # A reply longer than one message (50 blocks) continues through response_url.
        work.later(respond_all, work.response_url(url), reply.messages[1:], reply.public)
    # The acknowledgement is the reply itself.
    return BoltResponse(status=200, body=ack_body(reply), headers={"content-type": JSON_TYPE})


def _answer(deps: Deps, request: Request, caller: Caller) -> Rendered:
    # `remind on` without `tz` defaults to the caller's own Slack timezone (users.info).
    zone = deps.work.zones.for_command(request, caller.user_id)
    return deps.pipeline.answer(request, deps.clock.now(), replace(caller, timezone=zone))


def _follow_up(done: Future[Rendered], deps: Deps, url: str, command: dict[str, Any]) -> None:
    """Post a reply that was ready only after the ack (or the apology, if it failed)."""
    respond = deps.work.response_url(url)
    error = done.exception()
    if error is None:
        reply = done.result()
        respond_all(respond, reply.messages, reply.public)
    else:
        respond(**apology(deps.pipeline, error, command.get("command")), replace_original=False)
