"""Content versions: a short hash of a directory's files, without importing the schema."""

from __future__ import annotations

import hashlib
from pathlib import Path


def content_version(directory: Path) -> str:
    """A short hash of every file of the digest (names and bytes): its version."""
    digest_hash = hashlib.sha256()
    for path in sorted(p for p in Path(directory).rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        # Drafts (knowledge/drafts/) are the curators' work, not served: editing one is no
        # new version of the digest.
        if relative.startswith((".", "drafts/")) or "/." in relative:
            continue
        digest_hash.update(relative.encode() + b"\0")
        with open(path, "rb") as file:
            digest_hash.update(hashlib.sha256(file.read()).digest())
    return digest_hash.hexdigest()[:10]
