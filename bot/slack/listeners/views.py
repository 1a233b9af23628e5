"""The reminder and follow forms' submissions: checked like `remind on` (or `follow`) typed,
errors shown in the form; once valid, the very same command runs in the chosen channel and
its reply comes to the user privately."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from bot.commands.remind import ReminderForm, form_command, form_problems
from bot.commands.situation import Caller
from bot.slack.deps import Deps, bind
from bot.slack.payloads import CHANNEL, USER, obj
from bot.slack.work import SlackWork

FORM = "remind_form"
FOLLOW_FORM = "follow_form"
ERROR_TEMPLATE = "remind_form_error.j2"
MAX_FIELD = 200  # as a typed word is cut (commands/parsing.py)
NO_CHANNEL = "choose the channel the reminders go to"
NO_FOLLOW_CHANNEL = "choose the channel the messages go to"


def register(app: App, deps: Deps) -> None:
    """Attach the view-submission listeners."""
    app.view(FORM)(bind(submit, deps))
    app.view(FOLLOW_FORM)(bind(submit_follow, deps))


def submit(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    """The reminder form: its problems shown in it, else `remind on` run (after the ack)."""
    pipeline = deps.pipeline
    view = obj(body, "view")
    form, caller = read_form(view), form_caller(body, view)
    if caller is None:
        ack()  # not a person's submission: nothing to do
        return
    if not caller.channel_id:
        error = pipeline.renderer.text(ERROR_TEMPLATE, {"error": NO_CHANNEL, "refused": None})
        ack(response_action="errors", errors={"channel": error})
        return
    problems = form_problems(form, pipeline.situation(deps.clock.now(), caller))
    if problems:
        errors = {f: pipeline.renderer.text(ERROR_TEMPLATE, p) for f, p in problems.items()}
        ack(response_action="errors", errors=errors)
        return
    ack()  # closes the form; subscribing (and scheduling) happens after the answer
    deps.work.later(_subscribe, deps, form, caller.channel_id, caller.user_id or "")


def submit_follow(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    """The follow form: `follow <what>` run in the chosen channel (after the ack)."""
    view = obj(body, "view")
    caller = form_caller(body, view)
    if caller is None:
        ack()
        return
    if not caller.channel_id:
        error = deps.pipeline.renderer.text(
            ERROR_TEMPLATE, {"error": NO_FOLLOW_CHANNEL, "refused": None}
        )
        ack(response_action="errors", errors={"channel": error})
        return
    ack()  # the follow command answers (privately) whether it was allowed
    what = " ".join(_field(obj(obj(view, "state"), "values"), "what", "value").split())
    command = f"follow {what}".strip()
    deps.work.later(_run, deps, command, caller.channel_id, caller.user_id or "")


def _subscribe(deps: Deps, form: ReminderForm, channel: str, user: str) -> None:
    # An empty timezone field means the user's own, as `remind on` without `tz`.
    zone = None if form.timezone.strip() else deps.work.zones.zone(user)
    reply = deps.pipeline.respond(form_command(form), deps.clock.now(), Caller(channel, user, zone))
    _tell(deps.work, channel, user, reply.messages[0].payload())


def _run(deps: Deps, command: str, channel: str, user: str) -> None:
    reply = deps.pipeline.respond(command, deps.clock.now(), Caller(channel, user))
    _tell(deps.work, channel, user, reply.messages[0].payload())


def _tell(work: SlackWork, channel: str, user: str, page: dict[str, Any]) -> None:
    """The command's reply to the user who submitted, privately in the channel (else a DM)."""
    try:
        work.client.chat_postEphemeral(channel=channel, user=user, **page)
    except SlackApiError:  # a channel chosen in the picker that the bot is not in: a DM
        work.client.chat_postMessage(channel=user, **page)


def _field(values: dict[str, Any], block: str, kind: str) -> str:
    """One field's submitted value as text ('' when absent or not text)."""
    value = obj(obj(values, block), block).get(kind)
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def read_form(view: dict[str, Any]) -> ReminderForm:
    """The form's fields from `view.state.values` (block id = action id = field)."""
    values = obj(obj(view, "state"), "values")
    return ReminderForm(
        leads=_field(values, "leads", "value"),
        at=_field(values, "at", "selected_time"),
        timezone=_field(values, "tz", "value"),
    )


def form_caller(body: dict[str, Any], view: dict[str, Any]) -> Caller | None:
    """Who submitted, for which channel (the form's channel picker, else the conversation it
    was opened from, its private_metadata), or None. The channel is "" when none was chosen
    (a form opened from the Home tab)."""
    values = obj(obj(view, "state"), "values")
    chosen = obj(obj(values, "channel"), "channel").get("selected_conversation")
    channel = chosen if isinstance(chosen, str) else str(view.get("private_metadata") or "")
    user_id = str(obj(body, "user").get("id") or "")
    if not USER.match(user_id):
        return None
    return Caller(channel if CHANNEL.match(channel) else "", user_id)
