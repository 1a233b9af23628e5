"""Buttons and menus: Share in channel, another meeting or actor, the Home tab's buttons, the
reminder form's opener. Each acks at once; what it posts goes through the same pipeline."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.clock import Clock
from bot.commands.parsing import parse
from bot.commands.registry import SUBCOMMANDS
from bot.commands.situation import Caller, Surface
from bot.pipeline import Pipeline
from bot.slack.people import zones_of
from bot.slack.responses import Once, open_reminder_form, replace_reply, share_in_channel

MENUS = {"brief_meeting": "brief", "positions_actor": "positions", "positions_earlier": "positions"}
# What a menu option may be: an id (a meeting's or an actor's), or an actor's and a meeting's.
_OPTION = re.compile(r"^[\w.\-]{1,100}( [\w.\-]{1,100})?$")
_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,30}$")
_USER = re.compile(r"^[UW][A-Z0-9]{2,30}$")
SHARED_STATUS = "remind status"


def register(app: App, pipeline: Pipeline, clock: Clock) -> None:
    """Attach the block-action listeners."""
    posts = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sco-actions")
    shared = Once()
    opened = Once()  # a trigger_id opens one view: a retried press is not an error
    zones = zones_of(app)

    def share(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        text, key = safe_command(button_value(body)), message_key(body)
        if text is None or not shared.first(key):
            return  # pressed twice (or retried): shared once
        reply = pipeline.respond(
            f"{text} public", clock.now(), caller_of(body), surface=Surface.SHARE
        )
        if not reply.public:
            shared.forget(key)
            return  # a reply that stays private (a name not found): nothing to share

        def post() -> None:
            if not share_in_channel(respond, reply.messages):
                shared.forget(key)

        posts.submit(post)

    def choose(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        text = menu_command(body)
        if text is None or not body.get("response_url"):
            return
        reply = pipeline.respond(text, clock.now(), caller_of(body))
        posts.submit(replace_reply, respond, reply.messages)

    def open_reply(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        text, trigger = safe_command(button_value(body)), str(body.get("trigger_id") or "")
        if text is None or not trigger or not opened.first(trigger):
            return
        # The whole reply, with nothing to press: a modal has no channel to share to.
        reply = pipeline.respond(text, clock.now(), caller_of(body), surface=Surface.VIEW)
        blocks = [b for m in reply.messages for b in m.blocks]
        view = pipeline.view("reply_modal.j2", blocks, kind=parse(text).name)
        client.views_open(trigger_id=trigger, view=view)

    def open_form(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        caller, trigger = caller_of(body), str(body.get("trigger_id") or "")
        if not caller.channel_id or not trigger or not opened.first(trigger):
            return  # the form subscribes a channel: none here (the Home tab)
        zone = zones.zone(caller.user_id)
        open_reminder_form(client, pipeline, trigger, caller.channel_id, zone)

    app.action("share")(share)
    for action_id in MENUS:
        app.action(action_id)(choose)
    app.action(re.compile(r"^open_(brief|positions|compare)$"))(open_reply)
    app.action("remind_form")(open_form)


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    return first if isinstance(first, dict) else {}


def button_value(body: dict[str, Any]) -> str:
    """The pressed button's value (untrusted text)."""
    value = _action(body).get("value")
    if not isinstance(value, str):
        return ""
    # Values are written mrkdwn-escaped (templates/share.j2): undo the three entities.
    return value.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def safe_command(value: str) -> str | None:
    """The command a button may run again: a known, read-only subcommand (`remind` only as
    `remind status`), without `public`; None for anything else."""
    request = parse(value)
    if request.unknown is not None or not value.strip():
        return None
    text = " ".join((request.name, *request.args))
    if SUBCOMMANDS[request.name].personal and text != SHARED_STATUS:
        return None
    return text


def menu_command(body: dict[str, Any]) -> str | None:
    """A menu's choice as a command (`brief <meeting>`, `positions <actor>`), or None."""
    action = _action(body)
    command = MENUS.get(str(action.get("action_id")))
    option = action.get("selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    if command is None or not isinstance(value, str) or not _OPTION.match(value):
        return None
    return f"{command} {value}"


def message_key(body: dict[str, Any]) -> str | None:
    """What identifies the message a button is on (its ts, else its response_url)."""
    container = _obj(body, "container")
    ts = container.get("message_ts")
    url = body.get("response_url")
    return str(ts or url or "") or None


def caller_of(body: dict[str, Any]) -> Caller:
    """Who pressed, in which channel (empty outside a channel: the Home tab, a modal)."""
    channel = _obj(body, "channel")
    user = _obj(body, "user")
    channel_id = str(channel.get("id") or "")
    user_id = str(user.get("id") or "")
    return Caller(
        channel_id if _CHANNEL.match(channel_id) else "",
        user_id if _USER.match(user_id) else None,
    )


def _obj(container: dict[str, Any], key: str) -> dict[str, Any]:
    """`container[key]` when it is an object, else {} (a payload is untrusted JSON)."""
    value = container.get(key)
    return value if isinstance(value, dict) else {}
