"""`/sco calendar`: the link to the digest's events as a calendar feed (private: the link is
the workspace's secret), with how to subscribe in Google Calendar, Outlook and Apple Calendar."""

from __future__ import annotations

from bot.commands.parsing import Request
from bot.commands.situation import Reply, Situation
from bot.reminders.workspace import current_workspace


def handle(request: Request, situation: Situation) -> Reply:
    """The feed's link for the caller's workspace, or why there is none."""
    feed = situation.feed
    origin = situation.caller.origin if situation.caller else None
    link = feed.link(current_workspace(), origin) if feed is not None else None
    return Reply("calendar.j2", situation.context(link=link, served=feed is not None))
