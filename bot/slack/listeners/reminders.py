"""The buttons of a posted reminder: "Stop reminders here" runs `/sco remind off` for the channel
the reminder is in, as whoever pressed it (so SCO_ADMINS applies: anyone else is told, privately,
who may). The "Full brief" button is `open_brief`'s (bot/slack/listeners/actions.py)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.clock import Clock
from bot.commands.situation import Caller
from bot.pipeline import Pipeline
from bot.slack.payloads import caller_of, response_url
from bot.slack.work import Post, SlackWork

STOP = "stop_reminders"
STOP_COMMAND = "remind off"  # whatever the button's value says: it is not trusted


def register(app: App, pipeline: Pipeline, clock: Clock, work: SlackWork) -> None:
    """Attach the reminder buttons' listeners."""

    def stop(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        caller, url = caller_of(body), response_url(body)
        if caller.channel_id and caller.user_id and url:
            work.later(_stop, pipeline, clock, work.response_url(url), caller)

    app.action(STOP)(stop)


def _stop(pipeline: Pipeline, clock: Clock, respond: Post, caller: Caller) -> None:
    reply = pipeline.respond(STOP_COMMAND, clock.now(), caller)
    for page in reply.messages[:1]:
        respond(**page.payload(), response_type="ephemeral", replace_original=False)
