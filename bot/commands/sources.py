"""`/sco sources [meeting]`: the source documents (of one meeting) with publisher, date, link."""

from __future__ import annotations

from bot.commands.parsing import Request
from bot.commands.situation import Reply, Situation
from bot.queries.documents import documents_of
from bot.queries.lookup import NotFound, find_meeting


def handle(request: Request, situation: Situation) -> Reply:
    """Every source document, or those of the meeting named."""
    meeting = None
    if request.args:
        try:
            meeting = find_meeting(situation.digest, request.args[0], situation.now)
        except NotFound as missing:
            return Reply("not_found.j2", situation.context(kind="meeting", missing=missing))
    documents = documents_of(situation.digest, meeting)
    context = situation.context(documents=documents, meeting=meeting)
    return Reply("sources.j2", context, request.public)
