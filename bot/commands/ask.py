"""`/sco ask <question>` (and any `/sco` text that reads as a question): the digest's claims that
best answer it, each attributed and cited. Nothing is generated."""

from __future__ import annotations

from bot.commands.parsing import Request
from bot.commands.registry import SUBCOMMANDS
from bot.commands.situation import Reply, Situation
from bot.search.answer import answer

MAX_TOPICS_OFFERED = 12


def handle(request: Request, situation: Situation) -> Reply:
    """The best-matching claims, events and source sentences; else the actors and topics known."""
    digest = situation.digest
    found = answer(digest, " ".join(request.args), situation.now, situation.timezone)
    topics = sorted({c.topic for c in digest.claims}, key=str.casefold)
    context = situation.context(
        answer=found,
        speaker=found.speaker,
        asked=bool(request.args),
        implicit=request.implicit,
        commands=[s.name for s in SUBCOMMANDS.values() if s.in_short_list and s.name != "ask"],
        known_actors=digest.actors,
        known_topics=topics[:MAX_TOPICS_OFFERED],
        more_topics=max(0, len(topics) - MAX_TOPICS_OFFERED),
    )
    return Reply("ask.j2", context, request.public)
