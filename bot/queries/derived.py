"""The digest's derived views, worked out once per digest (at start and before a reload's swap)."""

from __future__ import annotations

from datetime import tzinfo

from bot.knowledge.digest import Digest
from bot.queries.calendar import event_slots
from bot.queries.positions import statements
from bot.search.index import search_index


def prepare(digest: Digest, default_tz: tzinfo) -> None:
    """Work out the digest's derived views now, so that no request pays for them."""
    event_slots(digest, default_tz)
    statements(digest)
    search_index(digest)
