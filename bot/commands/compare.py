"""`/sco compare [topic] [meeting]`: each account of a meeting side by side on a topic."""

from __future__ import annotations

from bot.commands.parsing import Request
from bot.commands.situation import Reply, Situation
from bot.queries.compare import compare
from bot.queries.lookup import NoMeetingYet, NotFound, find_meeting, latest_held


def handle(request: Request, situation: Situation) -> Reply:
    """Compare the accounts of the meeting named last (or the latest held) on the topic words."""
    digest, words = situation.digest, list(request.args)
    meeting = None
    if words:
        try:
            meeting = find_meeting(digest, words[-1], situation.now)
            words = words[:-1]
        except NotFound:
            meeting = None
    try:
        meeting = meeting or latest_held(digest, situation.now)
    except NoMeetingYet:
        return Reply("nothing_yet.j2", situation.context(), request.public)
    comparison = compare(digest, meeting, " ".join(words) or None)
    return Reply("compare.j2", situation.context(comparison=comparison), request.public)
