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


def workbench_outcome(
    command: str, directory: Path, args: argparse.Namespace, templates: Path
) -> Outcome:
    """Carry out one workbench subcommand on the digest in `directory`: what to show, and
    the exit status."""
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

        return _diff(directory, args, digest_at, templates)
    if command == "review":
        from bot.curation.review import write_review

        report = write_review(directory, args.output, templates, args.meeting)
        return "cli_review.j2", {"report": report}, 0
    raise Refusal(f"unknown command {command!r}")


def _news(old: Any, new: Any, args: argparse.Namespace, templates: Path) -> str:
    """The "What's new" post the change makes in a channel following everything, as read."""
    from bot.queries.news import EVERYTHING, whats_new
    from bot.reminders.messages import ReminderMessages
    from bot.rendering.renderer import Renderer
    from bot.rendering.terminal import to_terminal

    before, after = old.as_of(args.now), new.as_of(args.now)
    news = whats_new(before, after, EVERYTHING, args.now, args.tz)
    if news.empty:
        return "Nothing new as of this time: no channel would be told anything."
    message = ReminderMessages(Renderer(templates), args.tz).news(news, after, EVERYTHING, args.now)
    return to_terminal([message]).rstrip("\n")


def _diff(directory: Path, args: argparse.Namespace, digest_at: Any, templates: Path) -> Outcome:
    import json

    from bot.knowledge.changes import diff_digests

    old = digest_at(directory, args.old)
    new = digest_at(directory, args.new) if args.new else digest_at(directory, None)
    changes = diff_digests(old, new)
    if args.format == "json":
        return None, {"output": json.dumps(changes.as_dict(), indent=2, ensure_ascii=False)}, 0
    if args.format == "news":
        return None, {"terminal": _news(old, new, args, templates)}, 0
    return "cli_diff.j2", {"diff": changes}, 0
