"""`/sco help [command]`: a short overview of the commands, or one command's usage; also the
answer to empty text, an unknown word and a typo of a command."""

from __future__ import annotations

import difflib

from bot.commands.parsing import Request
from bot.commands.registry import BY_WORD, SUBCOMMANDS
from bot.commands.situation import Reply, Situation

# How close an unknown word must be to a command's name to be offered as what was meant.
SUGGESTION_CUTOFF = 0.6


def handle(request: Request, situation: Situation) -> Reply:
    """The overview (with what was not understood), or the usage of the command named."""
    named = BY_WORD.get(request.args[0].casefold()) if request.args else None
    context = situation.context(
        commands=list(SUBCOMMANDS.values()),
        topic=named.name if named else None,
        asked=request.args[0] if request.args and named is None else None,
        unknown=request.unknown,
        suggestion=_suggestion(request.unknown),
    )
    return Reply("help.j2", context, request.public)


def _suggestion(word: str | None) -> str | None:
    """The command an unknown word most likely meant ("positons" → "positions")."""
    if not word:
        return None
    close = difflib.get_close_matches(word.casefold(), list(BY_WORD), n=1, cutoff=SUGGESTION_CUTOFF)
    return BY_WORD[close[0]].name if close else None
