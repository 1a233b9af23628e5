"""The one holder of the current digest: read by everyone, swapped whole on reload."""

from __future__ import annotations

from bot.knowledge.digest import Digest


class DigestHolder:
    """Holds the digest now being served; `swap` replaces it in one reference assignment."""

    def __init__(self, digest: Digest) -> None:
        self._digest = digest

    @property
    def current(self) -> Digest:
        """The digest to answer from (read once per answer: a reload may swap it)."""
        return self._digest

    def __call__(self) -> Digest:
        """The current digest (the holder is a `Callable[[], Digest]` for its readers)."""
        return self._digest

    def swap(self, digest: Digest) -> Digest:
        """Serve `digest` from now on; return the one it replaces."""
        old, self._digest = self._digest, digest
        return old
