"""`/sco unfollow [all | <actor> | <topic words>]`: stop following one thing, or everything."""

from __future__ import annotations

from bot.commands.follow import answer
from bot.commands.parsing import Request
from bot.commands.situation import Reply, Situation


def handle(request: Request, situation: Situation) -> Reply:
    """Stop following the words given (everything when none) in the caller's channel."""
    return answer("unfollow", request, situation)
