"""`/sco help`: usage for every subcommand (also for empty text and unknown subcommands)."""

from __future__ import annotations

from bot.commands.parsing import Request
from bot.commands.registry import SUBCOMMANDS
from bot.commands.situation import Reply, Situation


def handle(request: Request, situation: Situation) -> Reply:
    """Every subcommand's usage line, and what was not understood."""
    context = situation.context(commands=list(SUBCOMMANDS.values()), unknown=request.unknown)
    return Reply("help.j2", context, request.public)
