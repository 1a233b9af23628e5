"""`/sco sources`: the source documents with publisher, date and link."""

from __future__ import annotations

from bot.commands.parsing import Request
from bot.commands.situation import Reply, Situation


def handle(request: Request, situation: Situation) -> Reply:
    """Every source document of the digest."""
    context = situation.context(documents=situation.digest.documents)
    return Reply("sources.j2", context, request.public)
