"""One Jinja environment; a named template and its context render to Slack messages."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from bot.rendering import labels
from bot.rendering.blocks import (
    MAX_BLOCKS,
    MAX_MESSAGES,
    Message,
    paginate,
    parse_blocks,
    split_summary,
)
from bot.rendering.mrkdwn import escape_mrkdwn, link

TRUNCATED_TEMPLATE = "truncated.j2"


def _finalize(value: object) -> str:
    # Every {{ expression }} is escaped unless marked safe (a macro's output, built from
    # escaped parts, is marked with |safe): a forgotten filter can never let data ping a channel.
    if value is None:
        return ""
    if isinstance(value, markupsafe.Markup):
        return str(value)
    return escape_mrkdwn(value)


def create_environment(
    templates_dir: Path, bytecode_cache: Path | None = None
) -> jinja2.Environment:
    """The Jinja environment: strict undefined, mrkdwn escaping by default, no HTML escaping."""
    cache = None
    if bytecode_cache is not None:
        try:
            bytecode_cache.mkdir(parents=True, exist_ok=True)
            cache = jinja2.FileSystemBytecodeCache(str(bytecode_cache))
        except OSError:
            cache = None  # an unwritable cache directory only costs compile time
    env = jinja2.Environment(
        bytecode_cache=cache,
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.filters.update(
        mrkdwn=escape_mrkdwn,
        link=link,
        when=labels.when_label,
        day=labels.day_label,
        moment_in=labels.moment_in,
        slack_time=labels.slack_time,
        pairs=labels.pairs,
        shorten=labels.shorten,
        plural=labels.plural,
        ordinal=labels.ordinal,
        tag=labels.source_tag,
        outcome=labels.event_outcome,
    )
    return env


class Renderer:
    """Renders a named template with a context into Slack messages."""

    def __init__(
        self, templates_dir: Path, *, precompile: bool = False, bytecode_cache: Path | None = None
    ) -> None:
        self.env = create_environment(templates_dir, bytecode_cache)
        if precompile:  # a server compiles everything at start, not on someone's first command
            for name in self.env.list_templates(extensions=["j2"]):
                self.env.get_template(name)

    def source(self, template: str, context: Mapping[str, Any]) -> str:
        """The template's raw output (the block markup)."""
        return self.env.get_template(template).render(context)

    def messages(self, template: str, context: Mapping[str, Any]) -> list[Message]:
        """Render to one or more messages (at most five), each within Block Kit limits, with
        the template's `::text` line as their notification text."""
        text, markup = split_summary(self.source(template, context))
        pages = paginate(parse_blocks(markup), text)
        if len(pages) <= MAX_MESSAGES:
            return pages
        note = parse_blocks(
            self.source(TRUNCATED_TEMPLATE, {"shown": MAX_MESSAGES, "total": len(pages)})
        )
        last = [*pages[MAX_MESSAGES - 1].blocks[: MAX_BLOCKS - len(note)], *note]
        return [*pages[: MAX_MESSAGES - 1], Message(pages[MAX_MESSAGES - 1].text, tuple(last))]

    def text(self, template: str, context: Mapping[str, Any]) -> str:
        """Render a template that produces plain mrkdwn text (no blocks)."""
        return self.source(template, context).strip()
