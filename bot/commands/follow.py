"""`/sco follow [all | <actor> | <topic words>]`: a channel is told what's new in the digest
(everything, or what concerns an actor or a topic), once per change; `unfollow` and
`following` share this module's checks."""

from __future__ import annotations

from typing import Any

from bot.commands.parsing import Request
from bot.commands.situation import Reply, Situation
from bot.knowledge.text import alias_key
from bot.reminders.following import ACTOR, ALL, TOPIC, FollowBook

MAX_TOPIC = 80
EVERYTHING = ("all", "everything", "*")


def handle(request: Request, situation: Situation) -> Reply:
    """Follow the words given (everything when none) in the caller's channel."""
    return answer("follow", request, situation)


def answer(action: str, request: Request, situation: Situation) -> Reply:
    """Follow, unfollow or list for the caller's channel; say why when it cannot."""
    context = situation.context(action=action, added=None, removed=None, error=None, refused=None)
    problem = refusal(action, situation)
    if problem:
        context.update(problem)
        return Reply("follow.j2", context)
    assert situation.caller is not None
    book = FollowBook(situation.reminders.ledger)
    channel = situation.caller.channel_id
    if action in ("follow", "unfollow"):
        kind, value = target(request.args, situation)
        if action == "follow":
            if not book.following_channels().count(channel):
                book.begin(channel, situation.digest)  # no history: from now on
            context["added"] = book.follow(channel, kind, value, situation.caller.user_id)
        else:
            everything = not request.args
            context["removed"] = book.unfollow(
                channel, None if everything else kind, None if everything else value
            )
        context["target"] = (kind, value)
    context["follow"] = book.following(channel)
    return Reply("follow.j2", context, request.public)


def refusal(action: str, situation: Situation) -> dict[str, Any] | None:
    """Why the request cannot go ahead (as template context), or None."""
    caller = situation.caller
    if caller is None or not caller.channel_id or not situation.reminders.available:
        return {"error": "following needs a channel (type the command in Slack)"}
    changes = action in ("follow", "unfollow")
    if changes and situation.admins and caller.user_id not in situation.admins:
        return {"refused": sorted(situation.admins)}
    return None


def target(words: tuple[str, ...], situation: Situation) -> tuple[str, str]:
    """What the words name: everything, an actor (by any alias), or a topic."""
    phrase = " ".join(words).strip()
    if not phrase or phrase.casefold() in EVERYTHING:
        return ALL, ALL
    actor = situation.digest.aliases.get(alias_key(phrase))
    if actor is not None:
        return ACTOR, actor
    return TOPIC, " ".join(phrase.casefold().split())[:MAX_TOPIC]
