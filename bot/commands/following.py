"""`/sco following`: what the caller's channel follows of the digest."""

from __future__ import annotations

from bot.commands.follow import answer
from bot.commands.parsing import Request
from bot.commands.situation import Reply, Situation


def handle(request: Request, situation: Situation) -> Reply:
    """What the caller's channel follows."""
    return answer("following", request, situation)
