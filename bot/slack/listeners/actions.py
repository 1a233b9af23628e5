"""Buttons and menus: Share in channel, another meeting or actor, the Home tab's buttons, the
reminder and follow forms' openers. Each acks at once; what it answers is rendered through the same
pipeline and sent on the background executor (bot/slack/work.py)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

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
from bot.slack.work import SlackWork

NOTICE_TEMPLATE = "not_delivered.j2"
FOLLOW_FORM_TEMPLATE = "follow_form.j2"
log = logging.getLogger("sco_bot")
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

        press = Press(caller_of(body), url, text)
        if not work.later(_share, work, pipeline, clock, press, lambda: shared.forget(key)):
            shared.forget(key)

    def choose(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        text, url = menu_command(body), response_url(body)
        if text is None or not url:
            return
        # On a message others see too (an answer in a thread), the choice answers privately.
        replace = on_private_message(body)
        press = Press(caller_of(body), url, text)
        work.later(_choose, work, pipeline, clock, press, replace)

    def open_reply(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        text, trigger = safe_command(button_value(body)), str(body.get("trigger_id") or "")
        if text is None or not trigger or not opened.first(trigger):
            return
        press = Press(caller_of(body), response_url(body), text)
        work.later(_open_reply, work, pipeline, clock, trigger, press, urgent=True)

    app.action("share")(share)
    app.options(re.compile(r"^(brief_meeting|positions_actor|positions_earlier)$"))(
        _options_loader(pipeline, clock)
    )
    for action_id in MENUS:
        app.action(action_id)(choose)
    app.action(re.compile(r"^open_(brief|positions|compare)$"))(open_reply)
    _register_forms(app, pipeline, work, opened)


def _options_loader(pipeline: Pipeline, clock: Clock) -> Callable[[Ack, dict[str, Any]], None]:
    """The listener that answers a menu past Slack's 100 options as the user types (the
    options go in the ack itself)."""

    def load_options(ack: Ack, body: dict[str, Any]) -> None:
        menu, block = str(body.get("action_id") or ""), str(body.get("block_id") or "")
        typed = str(body.get("value") or "")[:100]
        ack(options=pipeline.menu_options(menu, typed, block, clock.now()))

    return load_options


@dataclass(frozen=True)
class Press:
    """Who pressed what, where: what a notice of a failure needs to reach them."""

    caller: Caller
    response_url: str  # "" outside a message (the Home tab)
    command: str


def _share(
    work: SlackWork, pipeline: Pipeline, clock: Clock, press: Press, forget: Callable[[], None]
) -> None:
    reply = pipeline.respond(
        f"{press.command} public", clock.now(), press.caller, surface=Surface.SHARE
    )
    if not reply.public:
        forget()  # a reply that stays private (a name not found) is never shared
    elif not share_in_channel(work.response_url(press.response_url), reply.messages):
        forget()
        tell_not_delivered(work, pipeline, clock, replace_url(press, ""), "post", None)


def _choose(work: SlackWork, pipeline: Pipeline, clock: Clock, press: Press, replace: bool) -> None:
    reply = pipeline.respond(press.command, clock.now(), press.caller)
    if not replace_reply(work.response_url(press.response_url), reply.messages, replace):
        tell_not_delivered(work, pipeline, clock, replace_url(press, ""), "post", None)


def _register_forms(app: App, pipeline: Pipeline, work: SlackWork, opened: Once) -> None:
    """The reminder and follow forms' openers (each trigger opens one view)."""

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

    def open_follow_form(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        caller, trigger = caller_of(body), str(body.get("trigger_id") or "")
        if not trigger or not opened.first(trigger):
            return
        view = pipeline.view(FOLLOW_FORM_TEMPLATE, channel=caller.channel_id)
        work.later(_open_view, work, trigger, view, urgent=True)

    app.action("remind_form")(open_form)
    app.action("follow_form")(open_follow_form)


def _open_view(work: SlackWork, trigger: str, view: dict[str, Any]) -> None:
    work.trigger_client.views_open(trigger_id=trigger, view=view)


def _open_reply(
    work: SlackWork, pipeline: Pipeline, clock: Clock, trigger: str, press: Press
) -> None:
    # The whole reply, with nothing to press: a modal has no channel to share to.
    reply = pipeline.respond(press.command, clock.now(), press.caller, surface=Surface.VIEW)
    blocks = [b for m in reply.messages for b in m.blocks]
    view = pipeline.view("reply_modal.j2", blocks, kind=parse(press.command).name)
    try:
        work.trigger_client.views_open(trigger_id=trigger, view=view)
    except SlackApiError as refused:
        error = str(refused.response.get("error", ""))
        tell_not_delivered(work, pipeline, clock, press, "open", error)
        raise


def replace_url(press: Press, url: str) -> Press:
    """The same press, answered elsewhere than its response_url."""
    return Press(press.caller, url, press.command)


def tell_not_delivered(
    work: SlackWork, pipeline: Pipeline, clock: Clock, press: Press, kind: str, error: str | None
) -> None:
    """Tell the presser, once, that what they pressed could not be shown: in place on the
    message through its response_url, else privately in its channel, else (the Home tab) as a
    notice on their Home tab."""
    notice = pipeline.render(NOTICE_TEMPLATE, kind=kind, error=error, command=press.command)[0]
    caller = press.caller
    try:
        if press.response_url:
            post = work.response_url(press.response_url)
            post(**notice.payload(), response_type="ephemeral", replace_original=False)
        elif caller.channel_id and caller.user_id:
            work.client.chat_postEphemeral(
                channel=caller.channel_id, user=caller.user_id, **notice.payload()
            )
        elif caller.user_id:
            view = pipeline.home(clock.now(), caller, notice=notice.text)
            work.client.views_publish(user_id=caller.user_id, view=view)
    except Exception:
        log.exception("could not tell %s that a %s failed", caller.user_id, kind)


def menu_command(body: dict[str, Any]) -> str | None:
    """A menu's choice as a command (`brief <meeting>`, `positions <actor>`), or None."""
    action = first_action(body)
    command = MENUS.get(str(action.get("action_id")))
    option = action.get("selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    if command is None or not isinstance(value, str) or not _OPTION.match(value):
        return None
    return f"{command} {value}"
