"""Rendered terminal answers on disk (files, one per answer), keyed by everything they depend on.

Not the pipeline's RestampingCache (bot/rendering/restamping.py), which keeps answers in a
serving process's memory: these are files that outlive the `sco-bot ask` that wrote them.

`sco-bot ask brief` run again within the minute, with the same digest and templates, prints
the stored answer without importing the schema, the template engine or the digest."""

from __future__ import annotations

import contextlib
import hashlib
import os
from datetime import datetime
from pathlib import Path

from bot.commands.parsing import Request
from bot.commands.registry import SUBCOMMANDS
from bot.knowledge.versioning import content_version
from bot.settings import Settings

KEEP = 200  # answers kept; older ones are removed when a new one is stored


def answer_key(settings: Settings, request: Request, now: datetime, fmt: str) -> str | None:
    """The file name of an answer, or None when it must not be kept (reminder commands)."""
    if settings.cache_dir is None:
        return None
    if SUBCOMMANDS[request.name].personal:
        return None
    parts = [
        content_version(settings.knowledge_dir),
        content_version(settings.templates_dir),
        repr(request),
        fmt,
        now.replace(second=0, microsecond=0).isoformat(),
        settings.timezone.key,
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


class AnswerFiles:
    """A directory of rendered terminal answers, one file each."""

    def __init__(self, cache_dir: Path) -> None:
        self.directory = cache_dir / "answers"

    def get(self, key: str) -> str | None:
        """The stored answer, if any."""
        try:
            return (self.directory / key).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def put(self, key: str, answer: str) -> None:
        """Store an answer (atomically) and keep only the newest KEEP."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial = self.directory / f".{key}.{os.getpid()}"
            partial.write_text(answer, encoding="utf-8")
            os.replace(partial, self.directory / key)
            stored = sorted(self.directory.iterdir(), key=lambda p: p.stat().st_mtime)
            for old in stored[:-KEEP]:
                with contextlib.suppress(OSError):
                    old.unlink()
        except OSError:
            pass  # a cache that cannot be written only costs time
