"""`/sco brief [meeting]`: one meeting's briefing (the latest unless named)."""

from __future__ import annotations

from bot.commands.parsing import Request
from bot.commands.situation import Reply, Situation
from bot.queries.briefing import brief
from bot.queries.lookup import NoMeetingYet, NotFound, find_meeting


def handle(request: Request, situation: Situation) -> Reply:
    """The briefing on the meeting named (or the latest), or what names are known."""
    digest = situation.digest
    try:
        meeting = find_meeting(digest, request.args[0] if request.args else None, situation.now)
    except NotFound as missing:
        return Reply("not_found.j2", situation.context(kind="meeting", missing=missing))
    except NoMeetingYet:
        return Reply("nothing_yet.j2", situation.context(), request.public)
    briefing = brief(digest, meeting, situation.now, situation.timezone)
    return Reply("brief.j2", situation.context(briefing=briefing), request.public)
