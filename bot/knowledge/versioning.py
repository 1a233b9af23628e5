"""Content versions: a short hash of a directory's files, without importing the schema.

A symlinked folder (say `sources/` shared between digests) is followed like any other folder,
here and by the reloader's watcher, so the version, the digest cache and reloads all see edits
made through it; each real folder is walked once, so a link back up ends. Only regular files
count: a FIFO or a device is never opened for reading here (the loader refuses it)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

# Top-level folders that are no part of the served digest: curators' drafts (knowledge/drafts/),
# whose edits are no new version and no reason to reload.
NOT_SERVED = ("drafts",)


def digest_files(directory: Path, *, hidden: bool = False) -> list[tuple[str, Path]]:
    """(relative path, path) of every regular file under `directory`, sorted, following
    symlinked folders (each real folder once), leaving out NOT_SERVED. Names starting with "."
    are left out; with `hidden`, such files are listed (an editor's temporary file), such
    folders (`.git`) never."""
    found: list[tuple[str, Path]] = []
    walked: set[tuple[int, int]] = set()
    for root, folders, files in os.walk(directory, followlinks=True):
        try:
            info = os.stat(root)
        except OSError:
            folders[:] = []
            continue
        if (info.st_dev, info.st_ino) in walked:  # a link back up, or to a folder seen
            folders[:] = []
            continue
        walked.add((info.st_dev, info.st_ino))
        top = Path(root) == Path(directory)
        folders[:] = [f for f in folders if not f.startswith(".") and not (top and f in NOT_SERVED)]
        for name in files:
            path = Path(root) / name
            if (hidden or not name.startswith(".")) and _is_regular(path):
                found.append((path.relative_to(directory).as_posix(), path))
    return sorted(found)


def file_hash(path: Path) -> bytes:
    """SHA-256 of a regular file's bytes (b"" when it is gone or is not a regular file)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return b""
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        return hashlib.file_digest(file, "sha256").digest()


def content_version(directory: Path) -> str:
    """A short hash of every file of the digest (names and bytes): its version."""
    digest_hash = hashlib.sha256()
    for relative, path in digest_files(Path(directory)):
        digest_hash.update(relative.encode() + b"\0")
        digest_hash.update(file_hash(path))
    return digest_hash.hexdigest()[:10]


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False
