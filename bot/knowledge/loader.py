"""One validated load of the digest directory, with every problem as file:line: path: what.

A digest that validated before is read back from the cache as plain dataclasses (model.py):
the schema, pydantic and the YAML parser are imported only when the files must be validated."""

from __future__ import annotations

import gc
import os
import pickle
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from bot.knowledge.digest import Digest
from bot.knowledge.errors import Problem
from bot.knowledge.versioning import content_version

# Part of the cache file's name: bumped whenever what is pickled changes shape, so a pickle of
# an older format (pydantic models before format 2; statuses as an enum before 3) is never read
# back as this one.
CACHE_FORMAT = 3


def load_digest(
    directory: Path,
    cache_dir: Path | None = None,
    *,
    warnings: list[Problem] | None = None,
    now: datetime | None = None,
) -> Digest:
    """Load and validate the digest in `directory`; raise DigestError listing every problem.

    With `cache_dir`, a digest that validated before is read back from a pickle named by its
    content hash: YAML parsing and validation are skipped until a file changes. With
    `warnings`, what loads but should change is appended to it (the cache is not used; events
    whose time has passed are judged as of `now`)."""
    directory = Path(directory)
    version = content_version(directory)
    cached = _from_cache(cache_dir if warnings is None else None, version)
    if cached is not None:
        return cached
    from bot.knowledge.validation import validate_digest  # pydantic, the schema and YAML

    with _collector_paused():
        digest = validate_digest(directory, version, warnings, now)
    _to_cache(cache_dir, digest)
    return digest


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the digest is built.

    Parsing creates ~10^5 acyclic containers, which trigger full collections that find nothing
    and cost a quarter of the load; reference counting still frees everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _cache_file(cache_dir: Path, version: str) -> Path:
    python = f"py{sys.version_info[0]}{sys.version_info[1]}"
    return cache_dir / f"digest-{version}-f{CACHE_FORMAT}-{python}.pickle"


def _from_cache(cache_dir: Path | None, version: str) -> Digest | None:
    if cache_dir is None:
        return None
    try:
        with open(_cache_file(cache_dir, version), "rb") as file:
            digest = pickle.load(file)
    except Exception:  # missing, unreadable or of an older model: load from the files
        return None
    return digest if isinstance(digest, Digest) and digest.version == version else None


def _to_cache(cache_dir: Path | None, digest: Digest) -> None:
    if cache_dir is None:
        return
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        target = _cache_file(cache_dir, digest.version)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        with open(partial, "wb") as file:
            pickle.dump(digest, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, target)  # readers see the whole file or none
    except OSError:
        pass  # a cache that cannot be written only costs time
