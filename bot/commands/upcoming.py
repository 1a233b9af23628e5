"""`/sco upcoming`: events after now, soonest first."""

from __future__ import annotations

from bot.commands.parsing import Request
from bot.commands.situation import Reply, Situation
from bot.queries.calendar import upcoming


def handle(request: Request, situation: Situation) -> Reply:
    """What lies ahead as of now (or the most recent past events)."""
    found = upcoming(situation.digest, situation.now, situation.timezone)
    return Reply("upcoming.j2", situation.context(upcoming=found), request.public)
