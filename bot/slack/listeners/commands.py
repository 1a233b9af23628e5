"""The `/sco` slash command: ack with the reply itself; long replies continue via response_url.

A command that needs the reminder ledger (or the caller's Slack timezone) is answered in the
ack when the ledger and Slack answer within ACK_SECONDS; otherwise (another process holds
SQLite's lock, a slow database) the ack goes out empty and the reply follows through
response_url: Slack gives up after 3 s."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from slack_bolt import App, BoltResponse, Respond
from slack_sdk import WebClient

from bot.clock import Clock
from bot.commands.situation import Caller
from bot.pipeline import Pipeline, Rendered
from bot.slack.errors import apology
from bot.slack.people import UserZones, zones_of
from bot.slack.responses import (
    JSON_TYPE,
    log_failure,
    open_reminder_form,
    opens_form,
    respond_all,
)

COMMAND = "/sco"
ACK_SECONDS = 1.5  # of the 3 s Slack waits for the acknowledgement; the rest is for the network


def register(app: App, pipeline: Pipeline, clock: Clock) -> None:
    """Attach the `/sco` command."""
    follow_ups = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sco-follow-up")
    ledger_work = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sco-ledger")
    zones = zones_of(app)

    def answer_sco(command: dict[str, Any], respond: Respond, client: WebClient) -> BoltResponse:
        text, user = command.get("text") or "", command.get("user_id")
        channel = str(command.get("channel_id") or "")
        trigger = str(command.get("trigger_id") or "")
        if trigger and channel and opens_form(text):
            # A bare `/sco remind` opens the form too (the status answers the command itself).
            form = follow_ups.submit(
                _open_form, client, pipeline, zones, trigger, channel, text, user
            )
            form.add_done_callback(log_failure)
        if pipeline.needs_ledger(text):
            work = ledger_work.submit(_answer, pipeline, zones, clock, text, channel, user)
            try:
                reply = work.result(timeout=ACK_SECONDS)
            except FutureTimeout:
                work.add_done_callback(
                    lambda done: follow_ups.submit(_follow_up, done, respond, pipeline, command)
                )
                return BoltResponse(status=200, body="")
        else:
            reply = pipeline.respond(text, clock.now(), Caller(channel, user))
        if len(reply.pages) > 1:
            # A reply longer than one message (50 blocks) continues through response_url.
            follow_ups.submit(respond_all, respond, reply.messages[1:], reply.public)
        # The acknowledgement is the reply itself, serialised once per cached answer.
        return BoltResponse(status=200, body=reply.ack_body, headers={"content-type": JSON_TYPE})

    app.command(COMMAND)(answer_sco)


def _answer(
    pipeline: Pipeline, zones: UserZones, clock: Clock, text: str, channel: str, user: str | None
) -> Rendered:
    # `remind on` without `tz` defaults to the caller's own Slack timezone (users.info).
    caller = Caller(channel, user, zones.for_command(text, user))
    return pipeline.respond(text, clock.now(), caller)


def _open_form(
    client: WebClient,
    pipeline: Pipeline,
    zones: UserZones,
    trigger: str,
    channel: str,
    text: str,
    user: str | None,
) -> None:
    open_reminder_form(client, pipeline, trigger, channel, zones.for_command(text, user))


def _follow_up(
    done: Future[Rendered], respond: Respond, pipeline: Pipeline, command: dict[str, Any]
) -> None:
    """Post a reply that was ready only after the ack (or the apology, if it failed)."""
    error = done.exception()
    if error is None:
        reply = done.result()
        respond_all(respond, reply.messages, reply.public)
    else:
        respond(**apology(pipeline, error, command.get("command")), replace_original=False)
