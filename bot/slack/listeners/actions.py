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

from bot.commands.parsing import parse
from bot.commands.situation import Caller, Surface
from bot.slack.deps import Deps, bind
from bot.slack.payloads import (
    button_value,
    caller_of,
    first_action,
    message_key,
    on_private_message,
    response_url,
    safe_command,
)
from bot.slack.responses import open_reminder_form, replace_reply, share_in_channel
from bot.slack.work import SlackWork

NOTICE_TEMPLATE = "not_delivered.j2"
FOLLOW_FORM_TEMPLATE = "follow_form.j2"
log = logging.getLogger("sco_bot")
MENUS = {"brief_meeting": "brief", "positions_actor": "positions", "positions_earlier": "positions"}
# What a menu option may be: an id (a meeting's or an actor's), or an actor's and a meeting's.
_OPTION = re.compile(r"^[\w.\-]{1,100}( [\w.\-]{1,100})?$")


def register(app: App, deps: Deps) -> None:
    """Attach the block-action listeners."""
    app.action("share")(bind(share, deps))
    app.options(re.compile(r"^(brief_meeting|positions_actor|positions_earlier)$"))(
        bind(load_options, deps)
    )
    for action_id in MENUS:
        app.action(action_id)(bind(choose, deps))
    app.action(re.compile(r"^open_(brief|positions|compare)$"))(bind(open_reply, deps))
    app.action("remind_form")(bind(open_form, deps))
    app.action("follow_form")(bind(open_follow_form, deps))


def share(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    """ "Share in channel": the reply posted publicly, once (after the ack)."""
    ack()
    text, key, url = safe_command(button_value(body)), message_key(body), response_url(body)
    if text is None or not url or not deps.shared.first(key):
        return  # pressed twice (or retried): shared once
    press = Press(caller_of(body), url, text)
    if not deps.work.later(_share, deps, press, lambda: deps.shared.forget(key)):
        deps.shared.forget(key)


def choose(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    """A menu's choice: the reply it asks for, in place of the private one (after the ack)."""
    ack()
    text, url = menu_command(body), response_url(body)
    if text is None or not url:
        return
    # On a message others see too (an answer in a thread), the choice answers privately.
    replace = on_private_message(body)
    deps.work.later(_choose, deps, Press(caller_of(body), url, text), replace)


def open_reply(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    """A button that opens a whole reply in a modal (after the ack, urgently)."""
    ack()
    text, trigger = safe_command(button_value(body)), str(body.get("trigger_id") or "")
    if text is None or not trigger or not deps.opened.first(trigger):
        return
    press = Press(caller_of(body), response_url(body), text)
    deps.work.later(_open_reply, deps, trigger, press, urgent=True)


def load_options(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    """A menu past Slack's 100 options, as the user types: the options go in the ack."""
    menu, block = str(body.get("action_id") or ""), str(body.get("block_id") or "")
    typed = str(body.get("value") or "")[:100]
    ack(options=deps.views.menu_options(menu, typed, block, deps.clock.now()))


def open_form(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    """The reminder form's opener (each trigger opens one view)."""
    ack()
    caller, trigger = caller_of(body), str(body.get("trigger_id") or "")
    if not trigger or not deps.opened.first(trigger):
        return
    if not deps.pipeline.may_remind(caller.user_id):
        return  # from the Home tab too: the form's picker chooses the channel
    work = deps.work
    work.later(
        open_reminder_form,
        work,
        deps.views,
        trigger,
        caller.channel_id,
        caller.user_id,
        urgent=True,
    )


def open_follow_form(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    """The follow form's opener (each trigger opens one view)."""
    ack()
    caller, trigger = caller_of(body), str(body.get("trigger_id") or "")
    if not trigger or not deps.opened.first(trigger):
        return
    view = deps.views.view(FOLLOW_FORM_TEMPLATE, channel=caller.channel_id)
    deps.work.later(_open_view, deps.work, trigger, view, urgent=True)


@dataclass(frozen=True)
class Press:
    """Who pressed what, where: what a notice of a failure needs to reach them."""

    caller: Caller
    response_url: str  # "" outside a message (the Home tab)
    command: str


def _share(deps: Deps, press: Press, forget: Callable[[], None]) -> None:
    request = parse(f"{press.command} public")
    reply = deps.pipeline.answer(request, deps.clock.now(), press.caller, surface=Surface.SHARE)
    if not reply.public:
        forget()  # a reply that stays private (a name not found) is never shared
    elif not share_in_channel(deps.work.response_url(press.response_url), reply.messages):
        forget()
        tell_not_delivered(deps, replace_url(press, ""), "post", None)


def _choose(deps: Deps, press: Press, replace: bool) -> None:
    reply = deps.pipeline.respond(press.command, deps.clock.now(), press.caller)
    if not replace_reply(deps.work.response_url(press.response_url), reply.messages, replace):
        tell_not_delivered(deps, replace_url(press, ""), "post", None)


def _open_view(work: SlackWork, trigger: str, view: dict[str, Any]) -> None:
    work.trigger_client.views_open(trigger_id=trigger, view=view)


def _open_reply(deps: Deps, trigger: str, press: Press) -> None:
    # The whole reply, with nothing to press: a modal has no channel to share to.
    request = parse(press.command)
    reply = deps.pipeline.answer(request, deps.clock.now(), press.caller, surface=Surface.VIEW)
    blocks = [b for m in reply.messages for b in m.blocks]
    view = deps.views.view("reply_modal.j2", blocks, kind=request.name)
    try:
        deps.work.trigger_client.views_open(trigger_id=trigger, view=view)
    except SlackApiError as refused:
        error = str(refused.response.get("error", ""))
        tell_not_delivered(deps, press, "open", error)
        raise


def replace_url(press: Press, url: str) -> Press:
    """The same press, answered elsewhere than its response_url."""
    return Press(press.caller, url, press.command)


def tell_not_delivered(deps: Deps, press: Press, kind: str, error: str | None) -> None:
    """Tell the presser, once, that what they pressed could not be shown: in place on the
    message through its response_url, else privately in its channel, else (the Home tab) as a
    notice on their Home tab."""
    work = deps.work
    notice = deps.pipeline.render(NOTICE_TEMPLATE, kind=kind, error=error, command=press.command)
    page, caller = notice[0], press.caller
    try:
        if press.response_url:
            post = work.response_url(press.response_url)
            post(**page.payload(), response_type="ephemeral", replace_original=False)
        elif caller.channel_id and caller.user_id:
            work.client.chat_postEphemeral(
                channel=caller.channel_id, user=caller.user_id, **page.payload()
            )
        elif caller.user_id:
            view = deps.views.home(deps.clock.now(), caller, notice=page.text)
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
