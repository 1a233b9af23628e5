"""The workbench's subcommands: arguments in, a template and its context (or plain output) and
an exit status out; a refusal is raised as `Refusal` with its one line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.curation.files import Refusal

Outcome = tuple[str | None, dict[str, Any], int]


def _draft_path(directory: Path, given: str) -> Path:
    """A draft named as a path (from here or from the digest) or by its document id."""
    for candidate in (Path(given), directory / given, directory / "drafts" / f"{given}.yaml"):
        if candidate.is_file():
            return candidate
    raise Refusal(f"no draft {given!r} (looked in {directory / 'drafts'})")


def run(command: str, directory: Path, args: argparse.Namespace, templates: Path) -> Outcome:
    """Run one workbench subcommand on the digest in `directory`."""
    if command == "add-source":
        from bot.curation.sources import add_source

        return "cli_add_source.j2", {"added": add_source(directory, args.file, args.id)}, 0
    if command == "draft":
        from bot.curation.draft import draft_document

        drafted = draft_document(directory, args.doc, args.meeting)
        return "cli_draft.j2", {"drafted": drafted}, 0
    if command == "promote":
        from bot.curation.promote import promote

        promoted = promote(directory, _draft_path(directory, args.draft))
        return "cli_promote.j2", {"promoted": promoted}, 0
    if command == "diff":
        from bot.curation.history import digest_at

        return _diff(directory, args, digest_at)
    if command == "review":
        from bot.curation.review import write_review

        report = write_review(directory, args.output, templates, args.meeting)
        return "cli_review.j2", {"report": report}, 0
    raise Refusal(f"unknown command {command!r}")


def _diff(directory: Path, args: argparse.Namespace, digest_at: Any) -> Outcome:
    import json

    from bot.knowledge.changes import diff_digests

    old = digest_at(directory, args.old)
    new = digest_at(directory, args.new) if args.new else digest_at(directory, None)
    changes = diff_digests(old, new)
    if args.format == "json":
        return None, {"output": json.dumps(changes.as_dict(), indent=2, ensure_ascii=False)}, 0
    return "cli_diff.j2", {"diff": changes}, 0
