"""Writing the digest's files: whole or not at all, never over a file that must stay."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


class Refusal(Exception):
    """A workbench command that will not go on: one line saying why (the exit status is 1)."""


def _temporary(path: Path, text: str) -> Path:
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(partial, "w", encoding="utf-8", newline="") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    return partial


def replace_file(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file: readers see the old file or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = _temporary(path, text)
    try:
        os.replace(partial, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def create_file(path: Path, text: str) -> None:
    """Write a new file whole; refuse when `path` exists (linking cannot overwrite)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = _temporary(path, text)
    try:
        os.link(partial, path)
    except FileExistsError:
        raise Refusal(f"{path} already exists; nothing was written") from None
    finally:
        partial.unlink()
