"""The digest's derived views, worked out once per digest (at start and before a reload's swap)."""

from __future__ import annotations

from datetime import tzinfo

from bot.knowledge.digest import Digest
from bot.queries.calendar import event_slots
from bot.queries.positions import mentions, statements


def prepare(digest: Digest, default_tz: tzinfo) -> None:
    """Work out the digest's derived views now, so that no request pays for them."""
    event_slots(digest, default_tz)
    statements(digest)
    mentions(digest)
    # Imported here: a terminal answer, which never prepares, does not pay for SQLite.
    from bot.search.index import search_index
    from bot.search.reading import meeting_bodies, meeting_places, speaker_aliases

    search_index(digest)
    speaker_aliases(digest)
    meeting_places(digest)
    meeting_bodies(digest)
