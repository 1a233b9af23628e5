"""Replies to Slack: the acknowledgement body, and what follows after it (response_url posts,
views), run on the background executor (bot/slack/work.py)."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from cachetools import TTLCache

from bot.commands.parsing import Request
from bot.reminders.plan import DEFAULT_LEADS, DEFAULT_TIME
from bot.rendering.blocks import Message
from bot.slack.replies import SlackViews
from bot.slack.work import Post, SlackWork

log = logging.getLogger("sco_bot")
JSON_TYPE = "application/json;charset=utf-8"


def respond_all(respond: Post, pages: list[Message], public: bool) -> None:
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
ONCE_LIMIT = 10_000  # keys remembered at most (the least recently seen go first)
KEY_CHARS = 100  # a longer key is kept as its hash: a forged 100 KB trigger id costs 64 bytes


class Once:
    """Keys seen in the last half hour (what was already done for one message or trigger): a
    Share pressed twice, or a retried request, is done once. Bounded by count (ONCE_LIMIT)
    and size (long keys are hashed); O(1) a press. In memory: per process."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        seconds: float = ONCE_SECONDS,
        limit: int = ONCE_LIMIT,
    ) -> None:
        self._seen: TTLCache[str, bool] = TTLCache(limit, seconds, timer=clock)
        self._lock = threading.Lock()

    def first(self, key: str | None) -> bool:
        """True the first time `key` is seen (and always for no key)."""
        if not key:
            return True
        key = _bounded(key)
        with self._lock:
            if key in self._seen:
                return False
            self._seen[key] = True
            return True

    def forget(self, key: str | None) -> None:
        """Let `key` be done again (what was tried for it failed)."""
        with self._lock:
            self._seen.pop(_bounded(key or ""), None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)


def _bounded(key: str) -> str:
    if len(key) <= KEY_CHARS:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def share_in_channel(respond: Post, pages: list[Message]) -> bool:
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


def replace_reply(respond: Post, pages: list[Message], replace: bool = True) -> bool:
    """Show a menu's choice to whoever chose: in place of their private reply (`replace`), or,
    on a message others see too (an answer in a thread), as a new private one. False when
    Slack did not take it."""
    try:
        for i, page in enumerate(pages[:SHARE_PAGES]):
            answer = respond(
                **page.payload(), response_type="ephemeral", replace_original=replace and i == 0
            )
            if answer.status_code != 200:
                log.warning("replacing a reply failed: HTTP %s", answer.status_code)
                return False
        return True
    except Exception:
        log.exception("could not replace a reply")
        return False


FORM_TEMPLATE = "remind_form.j2"
FORM_LOADING_TEMPLATE = "remind_form_loading.j2"
# The form's initial values: `remind on`'s own defaults.
FORM_LEADS = " ".join(f"{days}d" for days in DEFAULT_LEADS)
FORM_AT = DEFAULT_TIME.strftime("%H:%M")


def open_reminder_form(
    work: SlackWork, views: SlackViews, trigger_id: str, channel: str, user: str | None
) -> None:
    """Open the reminder form for a channel, in the user's own timezone when Slack knows it.

    The trigger lives 3 s: when the user's zone is not cached, a placeholder view opens at
    once and the form replaces it (views.update) once users.info has answered."""

    def form(zone: str | None) -> Any:
        tz = zone or views.pipeline.timezone_name
        return views.view(FORM_TEMPLATE, channel=channel, tz=tz, leads=FORM_LEADS, at=FORM_AT)

    cached, zone = work.zones.known(user)
    if cached:
        work.trigger_client.views_open(trigger_id=trigger_id, view=form(zone))
        return
    loading = views.view(FORM_LOADING_TEMPLATE, channel=channel)
    opened = work.trigger_client.views_open(trigger_id=trigger_id, view=loading)
    view_id = (opened.get("view") or {}).get("id")
    filled = form(work.zones.zone(user))
    if view_id:
        work.client.views_update(view_id=view_id, view=filled)


def opens_form(request: Request) -> bool:
    """A bare `/sco remind`: the status, and the form to change it."""
    return request.name == "remind" and not request.args and not request.public
