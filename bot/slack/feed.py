"""GET /calendar/<token>.ics: the digest's events as of now as an iCalendar feed, for the
workspace whose secret token it is (404 for any other), answering conditional GETs so that
calendar apps polling it cost nothing until a document comes out."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, tzinfo
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from bot.knowledge.digest import Digest
from bot.reminders.feed import FEED_PATH, SUFFIX, FeedLinks
from bot.reminders.workspace import Workspace
from bot.rendering.ical import calendar_feed, feed_stamp
from bot.rendering.renderer import Renderer

StartResponse = Callable[..., Any]
# What a calendar app may keep without asking again; it revalidates after that.
MAX_AGE = 300


class CalendarFeed:
    """Answers the calendar feed's requests."""

    def __init__(
        self,
        links: FeedLinks,
        digest: Callable[[], Digest],
        now: Callable[[], datetime],
        tz: tzinfo,
        renderer: Renderer,
        installed: Callable[[Workspace], bool] = lambda _workspace: True,
    ) -> None:
        self.links = links
        self.digest = digest
        self.now = now
        self.tz = tz
        self.renderer = renderer
        self.installed = installed
        self._made: tuple[str, bytes, str] | None = None  # (view id, body, ETag)

    def handles(self, path: str) -> bool:
        """Whether a path is the feed's."""
        return path.startswith(FEED_PATH) and path.endswith(SUFFIX)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """The feed, 304 when the client has it already, or 404 for a token not ours."""
        token = str(environ.get("PATH_INFO", ""))[len(FEED_PATH) : -len(SUFFIX)]
        workspace = self.links.workspace_of(token)
        if workspace is None or not self.installed(workspace):
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"not found\n"]
        view = self.digest().as_of(self.now())
        body, etag = self._body(view)
        modified = format_datetime(feed_stamp(view).astimezone(UTC), usegmt=True)
        headers = [
            ("ETag", etag),
            ("Last-Modified", modified),
            ("Cache-Control", f"private, max-age={MAX_AGE}"),
        ]
        if _fresh(environ, etag, feed_stamp(view)):
            start_response("304 Not Modified", headers)
            return [b""]
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/calendar; charset=utf-8"),
                ("Content-Length", str(len(body))),
                *headers,
            ],
        )
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]

    def _body(self, view: Digest) -> tuple[bytes, str]:
        made = self._made
        if made is None or made[0] != view.view_id:
            body = calendar_feed(view, self.tz, self.renderer)
            made = (view.view_id, body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')
            self._made = made
        return made[1], made[2]


def _fresh(environ: dict[str, Any], etag: str, stamp: datetime) -> bool:
    """The client's copy is current: its If-None-Match names this ETag, or (without one) its
    If-Modified-Since is not older than the feed."""
    matches = environ.get("HTTP_IF_NONE_MATCH")
    if matches is not None:
        return etag in [m.strip() for m in str(matches).split(",")] or matches.strip() == "*"
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if not since:
        return False
    try:
        return parsedate_to_datetime(str(since)) >= stamp.replace(microsecond=0)
    except (TypeError, ValueError):
        return False
