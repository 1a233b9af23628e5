"""What a reply looks like in Slack: the "Share in channel" button on a private reply, the
slash command's acknowledgement, modals, the App Home tab and a long menu's options.

Pipeline answers a request; this is how Slack shows the answer. It sits beside the pipeline
(below the composition root) because the terminal's `--format blocks` prints the very payload
Slack gets, Share button included."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.commands import home
from bot.commands.parsing import Request
from bot.commands.situation import Caller
from bot.pipeline import Pipeline
from bot.queries.menus import menu_choices
from bot.rendering.blocks import Message, option_objects, parse_blocks, parse_view, with_blocks
from bot.rendering.rendered import Rendered
from bot.rendering.renderer import Renderer

SHARE_TEMPLATE = "share.j2"
PRIVATE_TEMPLATES = frozenset({"not_found.j2", "calendar.j2"})  # a secret link stays private


def shareable(request: Request, template: str) -> bool:
    """Whether a private reply offers "Share in channel": not a name that was not found, nor
    the help for a mistyped command (those stay with the typist, as with `public`)."""
    return request.unknown is None and template not in PRIVATE_TEMPLATES


def share_command(request: Request) -> str:
    """What "Share in channel" runs again, publicly: the request itself; for reminders only
    `remind status` (sharing must never subscribe or unsubscribe again)."""
    if request.name == "remind":
        return "remind status"
    return " ".join((request.name, *request.args))


class ShareButton:
    """Adds "Share in channel" under a shareable private reply (the pipeline's `finish`)."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer

    def __call__(self, request: Request, template: str, messages: list[Message]) -> list[Message]:
        """The reply's messages, the button under the last when the reply may be shared."""
        if not shareable(request, template):
            return messages
        button = self.renderer.source(SHARE_TEMPLATE, {"command": share_command(request)})
        return with_blocks(messages, parse_blocks(button))


# What the acknowledgement adds to a reply's first page: a channel message shows no link
# previews (under the sources list either); a private one is ephemeral.
ACK_FIELDS = {
    True: {"response_type": "in_channel", "unfurl_links": False, "unfurl_media": False},
    False: {"response_type": "ephemeral"},
}
_ACK_JSON = {public: json.dumps(fields) for public, fields in ACK_FIELDS.items()}


def ack_body(reply: Rendered) -> str:
    """The reply's first page as Slack's slash-command response JSON: the page's fields, then
    ACK_FIELDS. The page is JSON already (written once per cached answer): the two objects are
    joined, not parsed and written again (that cost 30-180 us an acknowledgement)."""
    return join_objects(reply.pages[0], _ACK_JSON[reply.public])


def join_objects(first: str, second: str) -> str:
    """Two JSON objects' text as one object's, as json.dumps writes it (`{"a": 1}` and
    `{"b": 2}` → `{"a": 1, "b": 2}`); a key of both would appear twice: callers keep them apart."""
    if not (first.startswith("{") and first.endswith("}") and second.startswith("{")):
        raise ValueError("not two JSON objects")
    if first == "{}" or second == "{}":
        return second if first == "{}" else first
    return f"{first[:-1]}, {second[1:]}"


class SlackViews:
    """Modals, the App Home tab and long menus' options, from the pipeline's digest; one per
    app (it remembers when each digest version was first served, for the Home tab)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._loaded: dict[str, datetime] = {}  # digest version -> when first served
        self._lock = threading.Lock()

    def home(self, now: datetime, caller: Caller, notice: str | None = None) -> dict[str, Any]:
        """The caller's App Home tab (a `home` view), from the current digest, with a `notice`
        on top (what could not be shown to them)."""
        situation = self.pipeline.situation(now, caller)
        with self._lock:
            loaded = self._loaded.setdefault(situation.digest.version, now)
        reply = home.handle(situation, loaded, notice)
        return parse_view(self.pipeline.renderer.source(reply.template, reply.context))

    def view(self, template: str, blocks: Sequence[Mapping[str, Any]] = (), **context: Any) -> Any:
        """A modal from a view template, with a reply's `blocks` after the template's own."""
        pipeline = self.pipeline
        context = {
            "version": pipeline.digest().version,
            "timezone": pipeline.timezone_name,
            **context,
        }
        return parse_view(pipeline.renderer.source(template, context), blocks)

    def menu_options(
        self, menu: str, typed: str, block_id: str, now: datetime
    ) -> list[dict[str, Any]]:
        """The options a menu offers for what the user typed (a menu past 100 choices)."""
        actor = block_id.removeprefix("earlier ") if block_id.startswith("earlier ") else ""
        digest = self.pipeline.digest().as_of(now)
        return option_objects(menu_choices(digest, menu, typed, actor))
