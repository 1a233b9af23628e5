"""Questions where they are asked: an @mention in a channel (answered in its thread) and a direct
message to the bot (answered in the DM). Other bots' messages, edits and other subtypes are
ignored, and an event Slack delivers again (a retry) is answered once. The answer's buttons
(full brief, positions) reply to whoever pressed them, visible to them only. Answers are
posted on the background executor: Slack's own 1 message a second per channel never holds
the acknowledgement."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.request import BoltRequest

from bot.commands.parsing import Request, parse
from bot.commands.registry import BY_WORD
from bot.commands.situation import Caller, Surface
from bot.slack.deps import Deps, bind
from bot.slack.payloads import button_value, caller_of, response_url, safe_command
from bot.slack.work import Post

MAX_BUTTON_PAGES = 5  # response_url takes five posts
_LEADING_MENTIONS = re.compile(r"^(?:\s*<@[A-Z0-9]+(?:\|[^>]*)?>)+")


def command_text(text: str) -> str:
    """The `/sco` text a message asks: a command when it starts with one, else a question."""
    text = _LEADING_MENTIONS.sub("", text).strip()
    words = text.split()
    if words and words[0].casefold() in BY_WORD:
        return text
    return f"ask {text}"


def from_a_person(event: dict[str, Any]) -> bool:
    """A plain message a person wrote: no subtype (edits, joins, bot posts), no bot behind it."""
    return not event.get("subtype") and not event.get("bot_id") and bool(event.get("user"))


def answered_elsewhere(request: BoltRequest) -> bool:
    """A retry after a timeout: the first delivery reached a server that is answering it (this
    one or another instance), so answering again would post twice. Retries after errors are
    answered, once (event ids seen here are skipped)."""
    reason = request.headers.get("x-slack-retry-reason") or [""]
    return bool(request.headers.get("x-slack-retry-num")) and reason[0] == "http_timeout"


def register(app: App, deps: Deps) -> None:
    """Attach the @mention and direct-message listeners."""
    app.event("app_mention")(bind(answer_mention, deps))
    app.event("message")(bind(answer_direct_message, deps))
    app.action(re.compile(r"^ask_(?:brief|positions)$"))(bind(run_button, deps))


def answer_mention(
    deps: Deps, body: dict[str, Any], event: dict[str, Any], request: BoltRequest
) -> None:
    """Answer an @mention in its thread (after the ack)."""
    if not answered_elsewhere(request):
        _reply(deps, body, event, thread=True, direct=False)


def answer_direct_message(
    deps: Deps, body: dict[str, Any], event: dict[str, Any], request: BoltRequest
) -> None:
    """Answer a direct message to the bot in its DM (after the ack)."""
    if event.get("channel_type") == "im" and not answered_elsewhere(request):
        _reply(deps, body, event, thread=bool(event.get("thread_ts")), direct=True)


def run_button(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    """An answer's button (full brief, positions): answered privately to whoever pressed."""
    ack()
    # Only known read-only commands, in the channel Slack says the button was pressed in.
    text, url = safe_command(button_value(body)), response_url(body)
    if text is not None and url:
        respond = deps.work.response_url(url)
        deps.work.later(_answer_button, deps, respond, parse(text), caller_of(body))


def _reply(
    deps: Deps, body: dict[str, Any], event: dict[str, Any], thread: bool, direct: bool
) -> None:
    if not from_a_person(event) or not deps.seen.first(str(body.get("event_id") or "")):
        return
    channel = str(event.get("channel") or "")
    caller = Caller(channel, event.get("user"))
    request = parse(command_text(str(event.get("text") or "")))
    # Posted in the thread or the DM for all there to read: summary first, and no private
    # copy to share from.
    surface = Surface.DM if direct else Surface.POST
    thread_ts = (event.get("thread_ts") or event.get("ts")) if thread else None
    deps.work.later(_post_answer, deps, request, caller, surface, thread_ts)


def _post_answer(
    deps: Deps, request: Request, caller: Caller, surface: Surface, thread_ts: str | None
) -> None:
    rendered = deps.pipeline.answer(request, deps.clock.now(), caller, surface=surface)
    for message in rendered.messages:
        deps.work.client.chat_postMessage(
            channel=caller.channel_id, thread_ts=thread_ts, **message.payload()
        )


def _answer_button(deps: Deps, respond: Post, request: Request, caller: Caller) -> None:
    rendered = deps.pipeline.answer(request, deps.clock.now(), caller)
    for message in rendered.messages[:MAX_BUTTON_PAGES]:
        respond(**message.payload(), response_type="ephemeral", replace_original=False)
