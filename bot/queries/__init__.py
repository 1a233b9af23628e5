"""Pure queries over the digest: they take `now` and never read the clock."""

from __future__ import annotations

from datetime import tzinfo

from bot.knowledge.digest import Digest
from bot.queries.calendar import event_slots
from bot.queries.positions import statements


def prepare(digest: Digest, default_tz: tzinfo) -> None:
    """Work out the digest's derived views now (a server does so at start and on reload)."""
    event_slots(digest, default_tz)
    statements(digest)
