"""Replies to Slack: the acknowledgement body, and the pages that follow through response_url."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.commands.parsing import parse
from bot.pipeline import Pipeline
from bot.reminders.plan import DEFAULT_LEADS, DEFAULT_TIME
from bot.rendering.blocks import Message

log = logging.getLogger("sco_bot")
JSON_TYPE = "application/json;charset=utf-8"


def respond_all(respond: Respond, pages: list[Message], public: bool) -> None:
    """Post the pages after the first through response_url (which Slack accepts five times)."""
    try:
        for page in pages:
            respond(
                **page.payload(),
                response_type="in_channel" if public else "ephemeral",
                replace_original=False,
                unfurl_links=False,
                unfurl_media=False,
            )
    except Exception:
        log.exception("could not post the rest of a %d-page reply", len(pages) + 1)


# response_url takes five posts: at most four pages of a shared reply, then the deletion.
SHARE_PAGES = 4
ONCE_SECONDS = 30 * 60  # as long as a response_url lives


class Once:
    """Keys seen in the last half hour (what was already done for one message): a Share
    pressed twice, or a retried request, is done once. In memory: per process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first(self, key: str | None) -> bool:
        """True the first time `key` is seen (and always for no key)."""
        if not key:
            return True
        now = self.clock()
        with self._lock:
            for old in [k for k, t in self._seen.items() if now - t > ONCE_SECONDS]:
                del self._seen[old]
            if key in self._seen:
                return False
            self._seen[key] = now
            return True

    def forget(self, key: str | None) -> None:
        """Let `key` be done again (what was tried for it failed)."""
        with self._lock:
            self._seen.pop(key or "", None)


def share_in_channel(respond: Respond, pages: list[Message]) -> bool:
    """Post a reply visibly in the channel, then delete the private copy it came from; False
    when Slack refused (the private copy then stays, to share again)."""
    try:
        for page in pages[:SHARE_PAGES]:
            answer = respond(
                **page.payload(),
                response_type="in_channel",
                replace_original=False,
                unfurl_links=False,
                unfurl_media=False,
            )
            if answer.status_code != 200:
                log.warning("sharing a reply failed: HTTP %s", answer.status_code)
                return False
        respond(delete_original=True)
        return True
    except Exception:
        log.exception("could not share a %d-page reply", len(pages))
        return False


def replace_reply(respond: Respond, pages: list[Message]) -> None:
    """Replace a private reply with another (a menu's choice), pages after the first following."""
    try:
        for i, page in enumerate(pages[:SHARE_PAGES]):
            respond(**page.payload(), response_type="ephemeral", replace_original=i == 0)
    except Exception:
        log.exception("could not replace a reply")


FORM_TEMPLATE = "remind_form.j2"
# The form's initial values: `remind on`'s own defaults.
FORM_LEADS = " ".join(f"{days}d" for days in DEFAULT_LEADS)
FORM_AT = DEFAULT_TIME.strftime("%H:%M")


def open_reminder_form(
    client: WebClient, pipeline: Pipeline, trigger_id: str, channel: str, zone: str | None
) -> None:
    """Open the reminder form for a channel, in the user's own timezone when Slack knows it."""
    tz = zone or pipeline.timezone_name
    view = pipeline.view(FORM_TEMPLATE, channel=channel, tz=tz, leads=FORM_LEADS, at=FORM_AT)
    client.views_open(trigger_id=trigger_id, view=view)


def opens_form(text: str) -> bool:
    """A bare `/sco remind`: the status, and the form to change it."""
    request = parse(text)
    return request.name == "remind" and not request.args and not request.public


def log_failure(done: Future[Any]) -> None:
    """Log a background job's exception (a Future swallows it otherwise)."""
    error = done.exception()
    if error is not None:
        log.error("a background reply failed", exc_info=error)
