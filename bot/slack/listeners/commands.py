"""The `/sco` slash command: ack with the reply itself; long replies continue via response_url."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse, Respond
from slack_sdk import WebClient

from bot.clock import Clock
from bot.commands.situation import Caller
from bot.pipeline import Pipeline
from bot.slack.people import zones_of
from bot.slack.responses import (
    JSON_TYPE,
    log_failure,
    open_reminder_form,
    opens_form,
    respond_all,
)

COMMAND = "/sco"


def register(app: App, pipeline: Pipeline, clock: Clock) -> None:
    """Attach the `/sco` command."""
    follow_ups = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sco-follow-up")
    zones = zones_of(app)

    def answer_sco(command: dict[str, Any], respond: Respond, client: WebClient) -> BoltResponse:
        text, user = command.get("text") or "", command.get("user_id")
        # `remind on` without `tz` defaults to the caller's own Slack timezone.
        caller = Caller(str(command.get("channel_id") or ""), user, zones.for_command(text, user))
        reply = pipeline.respond(text, clock.now(), caller)
        trigger = str(command.get("trigger_id") or "")
        if trigger and caller.channel_id and opens_form(text):
            # A bare `/sco remind` opens the form too (the status answers the command itself).
            form = (client, pipeline, trigger, caller.channel_id, caller.timezone)
            follow_ups.submit(open_reminder_form, *form).add_done_callback(log_failure)
        if len(reply.messages) > 1:
            # A reply longer than one message (50 blocks) continues through response_url.
            follow_ups.submit(respond_all, respond, reply.messages[1:], reply.public)
        # The acknowledgement is the reply itself, serialised once per cached answer.
        return BoltResponse(status=200, body=reply.ack_body, headers={"content-type": JSON_TYPE})

    app.command(COMMAND)(answer_sco)
