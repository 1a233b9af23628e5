"""The reminder form's submission: checked like `remind on` typed, errors shown in the form;
once valid, the very same `remind on` command runs and its reply comes to the user privately."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.clock import Clock
from bot.commands.remind import ReminderForm, form_command, form_problems
from bot.commands.situation import Caller
from bot.pipeline import Pipeline
from bot.slack.people import zones_of
from bot.slack.responses import log_failure

FORM = "remind_form"
ERROR_TEMPLATE = "remind_form_error.j2"
MAX_FIELD = 200  # as a typed word is cut (commands/parsing.py)
_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,30}$")
_USER = re.compile(r"^[UW][A-Z0-9]{2,30}$")


def register(app: App, pipeline: Pipeline, clock: Clock) -> None:
    """Attach the view-submission listeners."""
    later = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sco-forms")
    zones = zones_of(app)

    def submit(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = _obj(body, "view")
        form, caller = read_form(view), form_caller(body, view)
        if caller is None:
            ack()  # nothing to subscribe: the form was not opened from a channel
            return
        now = clock.now()
        problems = form_problems(form, pipeline.situation(now, caller))
        if problems:
            errors = {f: pipeline.renderer.text(ERROR_TEMPLATE, p) for f, p in problems.items()}
            ack(response_action="errors", errors=errors)
            return
        ack()  # closes the form; subscribing (and scheduling) happens after the answer
        channel, user = caller.channel_id, caller.user_id or ""

        def subscribe() -> None:
            # An empty timezone field means the user's own, as `remind on` without `tz`.
            zone = None if form.timezone.strip() else zones.zone(user)
            caller = Caller(channel, user, zone)
            reply = pipeline.respond(form_command(form), clock.now(), caller)
            page = reply.messages[0].payload()
            client.chat_postEphemeral(channel=channel, user=user, **page)

        later.submit(subscribe).add_done_callback(log_failure)

    app.view(FORM)(submit)


def _field(values: dict[str, Any], block: str, kind: str) -> str:
    """One field's submitted value as text ('' when absent or not text)."""
    value = _obj(_obj(values, block), block).get(kind)
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def read_form(view: dict[str, Any]) -> ReminderForm:
    """The form's fields from `view.state.values` (block id = action id = field)."""
    state = _obj(view, "state")
    values = _obj(state, "values")
    return ReminderForm(
        leads=_field(values, "leads", "value"),
        at=_field(values, "at", "selected_time"),
        timezone=_field(values, "tz", "value"),
    )


def form_caller(body: dict[str, Any], view: dict[str, Any]) -> Caller | None:
    """Who submitted, for which channel (the form's private_metadata), or None."""
    channel = str(view.get("private_metadata") or "")
    user = _obj(body, "user")
    user_id = str(user.get("id") or "")
    if not _CHANNEL.match(channel) or not _USER.match(user_id):
        return None
    return Caller(channel, user_id)


def _obj(container: dict[str, Any], key: str) -> dict[str, Any]:
    """`container[key]` when it is an object, else {} (a payload is untrusted JSON)."""
    value = container.get(key)
    return value if isinstance(value, dict) else {}
