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

from bot.clock import Clock
from bot.commands.situation import Caller
from bot.pipeline import Pipeline, Rendered
from bot.slack.errors import apology
from bot.slack.middleware import REQUEST_ORIGIN
from bot.slack.people import UserZones
from bot.slack.responses import JSON_TYPE, open_reminder_form, opens_form, respond_all
from bot.slack.work import SlackWork

COMMAND = "/sco"
ACK_SECONDS = 1.5  # of the 3 s Slack waits for the acknowledgement; the rest is for the network


def register(app: App, pipeline: Pipeline, clock: Clock, work: SlackWork) -> None:
    """Attach the `/sco` command."""
    # Answers that read or write the ledger run on their own threads, the ack waiting for them.
    answers = work.answers

    def answer_sco(command: dict[str, Any], context: BoltContext) -> BoltResponse:
        text, user = command.get("text") or "", command.get("user_id")
        origin = context.get(REQUEST_ORIGIN)
        channel = str(command.get("channel_id") or "")
        trigger = str(command.get("trigger_id") or "")
        url = str(command.get("response_url") or "")
        if trigger and channel and opens_form(text) and pipeline.may_remind(user):
            # A bare `/sco remind` opens the form too (the status answers the command itself).
            work.later(open_reminder_form, work, pipeline, trigger, channel, user, urgent=True)
        if pipeline.needs_ledger(text):
            pending = answers.submit(
                _answer, pipeline, work.zones, clock, text, Caller(channel, user, origin=origin)
            )
            try:
                reply = pending.result(timeout=ACK_SECONDS)
            except FutureTimeout:
                pending.add_done_callback(
                    lambda done: work.later(_follow_up, done, work, url, pipeline, command)
                )
                return BoltResponse(status=200, body="")
        else:
            reply = pipeline.respond(text, clock.now(), Caller(channel, user))
        if len(reply.pages) > 1:
            # A reply longer than one message (50 blocks) continues through response_url.
            work.later(respond_all, work.response_url(url), reply.messages[1:], reply.public)
        # The acknowledgement is the reply itself, serialised once per cached answer.
        return BoltResponse(status=200, body=reply.ack_body, headers={"content-type": JSON_TYPE})

    app.command(COMMAND)(answer_sco)


def _answer(
    pipeline: Pipeline, zones: UserZones, clock: Clock, text: str, caller: Caller
) -> Rendered:
    # `remind on` without `tz` defaults to the caller's own Slack timezone (users.info).
    zone = zones.for_command(text, caller.user_id)
    return pipeline.respond(text, clock.now(), replace(caller, timezone=zone))


def _follow_up(
    done: Future[Rendered], work: SlackWork, url: str, pipeline: Pipeline, command: dict[str, Any]
) -> None:
    """Post a reply that was ready only after the ack (or the apology, if it failed)."""
    respond = work.response_url(url)
    error = done.exception()
    if error is None:
        reply = done.result()
        respond_all(respond, reply.messages, reply.public)
    else:
        respond(**apology(pipeline, error, command.get("command")), replace_original=False)
