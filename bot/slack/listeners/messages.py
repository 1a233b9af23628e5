"""Questions where they are asked: an @mention in a channel (answered in its thread) and a direct
message to the bot (answered in the DM). Other bots' messages, edits and other subtypes are
ignored, and an event Slack delivers again (a retry) is answered once. The answer's buttons
(full brief, positions) reply to whoever pressed them, visible to them only."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from bot.clock import Clock
from bot.commands.registry import BY_WORD
from bot.commands.situation import Caller, Surface
from bot.pipeline import Pipeline

# Events remembered to answer a retry once; Slack retries within minutes, three times at most.
REMEMBERED_EVENTS = 10_000
MAX_BUTTON_PAGES = 5  # response_url takes five posts
_LEADING_MENTIONS = re.compile(r"^(?:\s*<@[A-Z0-9]+(?:\|[^>]*)?>)+")


class SeenEvents:
    """The event ids already answered (the most recent ones), checked and added atomically."""

    def __init__(self, limit: int = REMEMBERED_EVENTS) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        """True the first time an event id is seen (an event without one counts as new)."""
        if not event_id:
            return True
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = None
            while len(self._ids) > self._limit:
                self._ids.popitem(last=False)
            return True


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


def register(app: App, pipeline: Pipeline, clock: Clock) -> None:
    """Attach the @mention and direct-message listeners."""
    seen = SeenEvents()

    def reply(
        body: dict[str, Any], event: dict[str, Any], client: WebClient, thread: bool, direct: bool
    ) -> None:
        if not from_a_person(event) or not seen.first_time(str(body.get("event_id") or "")):
            return
        channel = str(event.get("channel") or "")
        caller = Caller(channel, event.get("user"))
        # Posted in the thread or the DM for all there to read: summary first, and no private
        # copy to share from.
        text = command_text(str(event.get("text") or ""))
        surface = Surface.DM if direct else Surface.POST
        rendered = pipeline.respond(text, clock.now(), caller, surface=surface)
        thread_ts = (event.get("thread_ts") or event.get("ts")) if thread else None
        for message in rendered.messages:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message.payload())

    def answer_mention(
        body: dict[str, Any], event: dict[str, Any], client: WebClient, request: BoltRequest
    ) -> None:
        if not answered_elsewhere(request):
            reply(body, event, client, thread=True, direct=False)

    def answer_direct_message(
        body: dict[str, Any], event: dict[str, Any], client: WebClient, request: BoltRequest
    ) -> None:
        if event.get("channel_type") == "im" and not answered_elsewhere(request):
            reply(body, event, client, thread=bool(event.get("thread_ts")), direct=True)

    def run_button(
        ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        user = body.get("user") or {}
        channel = (body.get("channel") or {}).get("id") or ""
        caller = Caller(str(channel), user.get("id"))
        rendered = pipeline.respond(str(action.get("value") or ""), clock.now(), caller)
        for message in rendered.messages[:MAX_BUTTON_PAGES]:
            respond(**message.payload(), response_type="ephemeral", replace_original=False)

    app.event("app_mention")(answer_mention)
    app.event("message")(answer_direct_message)
    app.action(re.compile(r"^ask_(?:brief|positions)$"))(run_button)
