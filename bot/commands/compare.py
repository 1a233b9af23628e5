"""`/sco compare [topic] [meeting]`: each account of a meeting side by side on a topic."""

from __future__ import annotations

from bot.commands.parsing import Request
from bot.commands.situation import Reply, Situation
from bot.queries.compare import compare
from bot.queries.lookup import NotFound, find_meeting, latest_held


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
    meeting = meeting or latest_held(digest, situation.now)
    comparison = compare(digest, meeting, " ".join(words) or None)
    return Reply("compare.j2", situation.context(comparison=comparison), request.public)
