"""`/sco positions [actor] [meeting]`: an actor's stated positions, or the actors known."""

from __future__ import annotations

from bot.commands.parsing import Request
from bot.commands.situation import Reply, Situation
from bot.knowledge.model import Meeting
from bot.knowledge.text import alias_key
from bot.queries.lookup import NotFound, find_actor, find_meeting
from bot.queries.positions import actors_known, positions

SUMMARY_TOPICS = 12  # lines of a posted reply: what a phone screen holds


def handle(request: Request, situation: Situation) -> Reply:
    """An actor's positions (in one meeting when the last word names one)."""
    digest = situation.digest
    if not request.args:
        context = situation.context(actors=actors_known(digest))
        return Reply("actors.j2", context, request.public)
    words, meeting = _split_meeting(request.args, situation)
    try:
        actor = find_actor(digest, " ".join(words))
    except NotFound as missing:
        return Reply("not_found.j2", situation.context(kind="actor", missing=missing))
    found = positions(digest, actor, meeting)
    # Posted for a channel to read: one line per topic, the full list one click away.
    template = "positions_summary.j2" if situation.posted else "positions.j2"
    context = situation.context(positions=found, summary_topics=SUMMARY_TOPICS)
    return Reply(template, context, request.public)


def _split_meeting(
    words: tuple[str, ...], situation: Situation
) -> tuple[tuple[str, ...], Meeting | None]:
    """`china sco-defmin-2021`: the last word may name a meeting (id or prefix)."""
    if len(words) > 1 and alias_key(" ".join(words)) not in situation.digest.aliases:
        try:
            return words[:-1], find_meeting(situation.digest, words[-1], situation.now)
        except NotFound:
            pass
    return words, None
