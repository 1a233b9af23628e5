"""A digest as a directory or as a git revision of the digest's directory (for `diff`)."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bot.curation.files import Refusal
from bot.knowledge.errors import DigestError

if TYPE_CHECKING:
    from bot.knowledge.digest import Digest


def _git(directory: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Refusal(f"git could not be run: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise Refusal(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return done.stdout


def _load(directory: Path, what: str) -> Digest:
    from bot.knowledge.loader import load_digest

    try:
        return load_digest(directory)
    except DigestError as exc:
        raise Refusal(f"{what} is not a valid digest: {exc.problems[0]}") from None


def digest_at(directory: Path, where: str | None) -> Digest:
    """The digest in a directory (`where` names one, or None: `directory` itself), or as
    `directory` was at a git revision (`HEAD`, `main`, `HEAD~2`...)."""
    if where is None:
        return _load(directory, str(directory))
    if Path(where).is_dir():
        return _load(Path(where), where)
    prefix = _git(directory, "rev-parse", "--show-prefix").decode().strip()
    top = Path(_git(directory, "rev-parse", "--show-toplevel").decode().strip())
    archive = _git(top, "archive", "--format=tar", f"{where}:{prefix}")
    with tempfile.TemporaryDirectory(prefix="sco-diff-") as scratch:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(scratch, filter="data")
        return _load(Path(scratch), f"{where}:{prefix or '.'}")
