"""`/sco brief [meeting]`: one meeting's briefing (the latest unless named)."""

from __future__ import annotations

from bot.commands.parsing import Request
from bot.commands.situation import Reply, Situation
from bot.queries.briefing import brief
from bot.queries.lookup import NoMeetingYet, NotFound, find_meeting

SUMMARY_TOPICS = 12  # lines of key outcomes in a posted brief: what a phone screen holds


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
    # Posted for a channel to read: what fits a phone, the full brief one click away.
    template = "brief_summary.j2" if situation.posted else "brief.j2"
    context = situation.context(briefing=briefing, summary_topics=SUMMARY_TOPICS)
    return Reply(template, context, request.public)
