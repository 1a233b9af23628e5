"""The buttons of a posted reminder: "Stop reminders here" runs `/sco remind off` for the channel
the reminder is in, as whoever pressed it (so SCO_ADMINS applies: anyone else is told, privately,
who may). The "Full brief" button is `open_brief`'s (bot/slack/listeners/actions.py)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.commands.parsing import parse
from bot.commands.situation import Caller
from bot.slack.deps import Deps, bind
from bot.slack.payloads import caller_of, response_url
from bot.slack.work import Post

STOP = "stop_reminders"
STOP_COMMAND = "remind off"  # whatever the button's value says: it is not trusted


def register(app: App, deps: Deps) -> None:
    """Attach the reminder buttons' listeners."""
    app.action(STOP)(bind(stop, deps))


def stop(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    """Stop the channel's reminders, as whoever pressed (after the ack)."""
    ack()
    caller, url = caller_of(body), response_url(body)
    if caller.channel_id and caller.user_id and url:
        deps.work.later(_stop, deps, deps.work.response_url(url), caller)


def _stop(deps: Deps, respond: Post, caller: Caller) -> None:
    reply = deps.pipeline.answer(parse(STOP_COMMAND), deps.clock.now(), caller)
    for page in reply.messages[:1]:
        respond(**page.payload(), response_type="ephemeral", replace_original=False)
