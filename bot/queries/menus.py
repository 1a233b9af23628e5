"""What a reply's menus offer: a meeting, an actor, an earlier meeting of an actor; filtered by
what the user types (search as you type) when a menu has more choices than Slack shows."""

from __future__ import annotations

from bot.knowledge.digest import Digest
from bot.queries.collect import grouped
from bot.queries.lookup import latest_first
from bot.queries.positions import statements

MAX_CHOICES = 100  # what one Slack menu holds


def menu_choices(digest: Digest, menu: str, typed: str = "", actor: str = "") -> list[list[str]]:
    """A menu's choices [value, label], those whose label or value contains `typed` (any
    case), the newest meetings first, at most MAX_CHOICES."""
    if menu == "brief_meeting":
        meetings = sorted(digest.meetings, key=latest_first, reverse=True)
        rows = [[m.id, m.title] for m in meetings]
    elif menu == "positions_actor":
        rows = [[a.id, a.name] for a in digest.actors]
    elif menu == "positions_earlier" and actor in digest.actors_by_id:
        by_meeting = grouped(statements(digest).get(actor, []), lambda c: c.meeting.id)
        rows = [
            [f"{actor} {claims[0].meeting.id}", f"{claims[0].meeting.title} ({len(claims)})"]
            for claims in by_meeting.values()
        ]
    else:
        return []
    wanted = " ".join(typed.casefold().split())
    found = [r for r in rows if wanted in r[1].casefold() or wanted in r[0].casefold()]
    return found[:MAX_CHOICES]
