"""Buttons and menus: Share in channel, another meeting or actor, the Home tab's buttons, the
reminder form's opener. Each acks at once; what it answers is rendered through the same
pipeline and sent on the background executor (bot/slack/work.py)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App

from bot.clock import Clock
from bot.commands.parsing import parse
from bot.commands.situation import Caller, Surface
from bot.pipeline import Pipeline
from bot.slack.payloads import (
    button_value,
    caller_of,
    first_action,
    message_key,
    on_private_message,
    response_url,
    safe_command,
)
from bot.slack.responses import Once, open_reminder_form, replace_reply, share_in_channel
from bot.slack.work import Post, SlackWork

MENUS = {"brief_meeting": "brief", "positions_actor": "positions", "positions_earlier": "positions"}
# What a menu option may be: an id (a meeting's or an actor's), or an actor's and a meeting's.
_OPTION = re.compile(r"^[\w.\-]{1,100}( [\w.\-]{1,100})?$")


def register(app: App, pipeline: Pipeline, clock: Clock, work: SlackWork) -> None:
    """Attach the block-action listeners."""
    shared = Once()
    opened = Once()  # a trigger_id opens one view: a retried press is not an error

    def share(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        text, key, url = safe_command(button_value(body)), message_key(body), response_url(body)
        if text is None or not url or not shared.first(key):
            return  # pressed twice (or retried): shared once

        def post() -> None:
            reply = pipeline.respond(
                f"{text} public", clock.now(), caller_of(body), surface=Surface.SHARE
            )
            # A reply that stays private (a name not found) is never shared.
            if not reply.public or not share_in_channel(work.response_url(url), reply.messages):
                shared.forget(key)

        if not work.later(post):
            shared.forget(key)

    def choose(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        text, url = menu_command(body), response_url(body)
        if text is None or not url:
            return
        # On a message others see too (an answer in a thread), the choice answers privately.
        replace = on_private_message(body)
        work.later(_choose, pipeline, clock, work.response_url(url), text, caller_of(body), replace)

    def open_reply(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        text, trigger = safe_command(button_value(body)), str(body.get("trigger_id") or "")
        if text is None or not trigger or not opened.first(trigger):
            return
        work.later(_open_reply, work, pipeline, clock, trigger, text, caller_of(body), urgent=True)

    def open_form(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        caller, trigger = caller_of(body), str(body.get("trigger_id") or "")
        if not trigger or not opened.first(trigger) or not pipeline.may_remind(caller.user_id):
            return  # from the Home tab too: the form's picker chooses the channel
        work.later(
            open_reminder_form,
            work,
            pipeline,
            trigger,
            caller.channel_id,
            caller.user_id,
            urgent=True,
        )

    app.action("share")(share)
    for action_id in MENUS:
        app.action(action_id)(choose)
    app.action(re.compile(r"^open_(brief|positions|compare)$"))(open_reply)
    app.action("remind_form")(open_form)


def _choose(
    pipeline: Pipeline, clock: Clock, respond: Post, text: str, caller: Caller, replace: bool
) -> None:
    reply = pipeline.respond(text, clock.now(), caller)
    replace_reply(respond, reply.messages, replace)


def _open_reply(
    work: SlackWork, pipeline: Pipeline, clock: Clock, trigger: str, text: str, caller: Caller
) -> None:
    # The whole reply, with nothing to press: a modal has no channel to share to.
    reply = pipeline.respond(text, clock.now(), caller, surface=Surface.VIEW)
    blocks = [b for m in reply.messages for b in m.blocks]
    view = pipeline.view("reply_modal.j2", blocks, kind=parse(text).name)
    work.trigger_client.views_open(trigger_id=trigger, view=view)


def menu_command(body: dict[str, Any]) -> str | None:
    """A menu's choice as a command (`brief <meeting>`, `positions <actor>`), or None."""
    action = first_action(body)
    command = MENUS.get(str(action.get("action_id")))
    option = action.get("selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    if command is None or not isinstance(value, str) or not _OPTION.match(value):
        return None
    return f"{command} {value}"
