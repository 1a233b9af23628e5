"""One Jinja environment; templates render to Block Kit messages within Slack's limits."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import markupsafe

from bot.dates import Precision, When

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 2000
MAX_FALLBACK = 3000
# Slack takes a reply's first message in the ack and the rest through response_url, which
# accepts only five uses: a longer reply would lose its tail, so it is cut with a note instead.
MAX_MESSAGES = 5
TRUNCATED_TEMPLATE = "truncated.j2"

_MARKER = re.compile(r"^::(header|section|context|divider)\s*$")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ESCAPE = re.compile(r"[&<>]")
_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u2028\u2029]")


class Mrkdwn(str):
    """Text already safe for Slack mrkdwn: it is not escaped again."""

    __slots__ = ()


def escape_mrkdwn(value: object) -> Mrkdwn:
    """Escape Slack's three control characters (&, <, >); flatten line breaks and controls."""
    if isinstance(value, Mrkdwn):
        return value
    text = _CONTROLS.sub(" ", str(value))
    # A value can never open a block marker (::section) in the template output.
    text = text.replace("::", ":\u200b:")
    return Mrkdwn(_ESCAPE.sub(lambda m: _ENTITIES[m.group()], text))


def _finalize(value: object) -> str:
    # Every {{ expression }} is escaped unless marked safe (a macro's output, built from
    # escaped parts, is marked with |safe): a forgotten filter can never let data ping a channel.
    if value is None:
        return ""
    if isinstance(value, markupsafe.Markup):
        return str(value)
    return escape_mrkdwn(value)


def link(url: str, label: str) -> Mrkdwn:
    """A mrkdwn link whose label is escaped and whose URL cannot break out of the link."""
    safe_url = re.sub(r"[<>|\s]", "", url)
    return Mrkdwn(f"<{safe_url}|{escape_mrkdwn(label)}>")


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def day_label(day: date) -> str:
    """28 July 2021."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def when_label(when: When) -> str:
    """A date at its precision: 28 July 2021, 18–23 October 2021, October 2021, 2022."""
    first, last = when.first, when.last
    if when.precision is Precision.UNKNOWN or first is None or last is None:
        return "date not yet announced"
    if when.precision is Precision.DAY:
        return day_label(first)
    if when.precision is Precision.RANGE:
        if (first.year, first.month) == (last.year, last.month):
            return f"{first.day}\u2013{last.day} {_MONTHS[last.month - 1]} {last.year}"
        if first.year == last.year:
            return (
                f"{first.day} {_MONTHS[first.month - 1]} \u2013 "
                f"{last.day} {_MONTHS[last.month - 1]} {last.year}"
            )
        return f"{day_label(first)} \u2013 {day_label(last)}"
    if when.precision is Precision.MONTH:
        return f"{_MONTHS[first.month - 1]} {first.year}"
    return str(first.year)


def shorten(text: str, limit: int = 220) -> str:
    """Cut a quote at a word boundary, marking the cut with an ellipsis."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + " \u2026"


def source_tag(citations: Iterable[Any], docs: Mapping[str, Any]) -> Mrkdwn:
    """`_(SCO Secretariat; China Military Online)_`: each cited document's short name, once."""
    shorts = (escape_mrkdwn(docs[doc].short) for doc in dict.fromkeys(c.doc for c in citations))
    return Mrkdwn("_(" + "; ".join(shorts) + ")_")


def plural(count: int, singular: str, many: str | None = None) -> str:
    """`1 day`, `12 days`."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def moment_in(moment: datetime, zone: str) -> str:
    """28 July 2021 09:00 CEST: an instant shown in the given IANA timezone."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{day_label(local.date())} {local:%H:%M} {local.tzname()}"


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
        when=when_label,
        day=day_label,
        moment_in=moment_in,
        shorten=shorten,
        plural=plural,
        tag=source_tag,
    )
    return env


@dataclass(frozen=True)
class Message:
    """A Slack message: notification fallback text plus Block Kit blocks."""

    text: str
    blocks: tuple[Mapping[str, Any], ...]

    def payload(self) -> dict[str, Any]:
        """The JSON-ready body: {"text": ..., "blocks": [...]}."""
        return {"text": self.text, "blocks": [dict(b) for b in self.blocks]}


def _split_text(text: str, limit: int) -> list[str]:
    """Split on line boundaries so each piece fits; hard-split a line longer than the limit."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def parse_blocks(source: str) -> list[dict[str, Any]]:
    """Turn rendered template output (::header, ::section, ::context, ::divider) into blocks."""
    blocks: list[dict[str, Any]] = []
    kind: str | None = None
    lines: list[str] = []

    def flush() -> None:
        body = "\n".join(lines).strip("\n")
        if kind == "header" and body.strip():
            text = _truncate(" ".join(body.split()), MAX_HEADER)
            blocks.append({"type": "header", "text": {"type": "plain_text", "text": text}})
        elif kind == "section" and body.strip():
            for piece in _split_text(body, MAX_SECTION):
                blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": piece}})
        elif kind == "context":
            elements = [
                {"type": "mrkdwn", "text": _truncate(line.strip(), MAX_CONTEXT_TEXT)}
                for line in lines
                if line.strip()
            ]
            for i in range(0, len(elements), MAX_CONTEXT_ELEMENTS):
                blocks.append(
                    {"type": "context", "elements": elements[i : i + MAX_CONTEXT_ELEMENTS]}
                )
        elif kind == "divider":
            blocks.append({"type": "divider"})

    for line in source.split("\n"):
        marker = _MARKER.match(line)
        if marker:
            flush()
            kind, lines = marker.group(1), []
        else:
            lines.append(line)
    flush()
    return blocks


def _fallback(blocks: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    for block in blocks:
        if block["type"] in ("header", "section"):
            parts.append(block["text"]["text"])
    text = "\n".join(parts) or " "
    return _truncate(text, MAX_FALLBACK)


def paginate(blocks: list[dict[str, Any]]) -> list[Message]:
    """Split blocks into messages of at most 50 blocks, never leaving a page ending in a divider."""
    pages: list[Message] = []
    rest = blocks
    while rest:
        page, rest = rest[:MAX_BLOCKS], rest[MAX_BLOCKS:]
        while page and page[-1]["type"] == "divider":
            page = page[:-1]
        if page:
            pages.append(Message(_fallback(page), tuple(page)))
    return pages or [Message(" ", ())]


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
        """Render to one or more messages (at most five), each within Block Kit limits."""
        pages = paginate(parse_blocks(self.source(template, context)))
        if len(pages) <= MAX_MESSAGES:
            return pages
        note = parse_blocks(
            self.source(TRUNCATED_TEMPLATE, {"shown": MAX_MESSAGES, "total": len(pages)})
        )
        last = [*pages[MAX_MESSAGES - 1].blocks[: MAX_BLOCKS - len(note)], *note]
        return [*pages[: MAX_MESSAGES - 1], Message(_fallback(last), tuple(last))]

    def text(self, template: str, context: Mapping[str, Any]) -> str:
        """Render a template that produces plain mrkdwn text (no blocks)."""
        return self.source(template, context).strip()


_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>")
_BARE_LINK = re.compile(r"<(https?://[^<>|]+)>")


def _terminal_text(mrkdwn: str) -> str:
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", mrkdwn)
    text = _BARE_LINK.sub(lambda m: m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def to_terminal(messages: list[Message], width: int = 78) -> str:
    """Render messages readably for a terminal: headings underlined, context indented."""
    out: list[str] = []
    for message in messages:
        for block in message.blocks:
            kind = block["type"]
            if kind == "header":
                title = _terminal_text(block["text"]["text"])
                out += ["", title, "=" * min(len(title), width)]
            elif kind == "section":
                out += ["", _terminal_text(block["text"]["text"])]
            elif kind == "context":
                out += ["    " + _terminal_text(e["text"]) for e in block["elements"]]
            elif kind == "divider":
                out += ["", "-" * width]
    return "\n".join(out).strip("\n") + "\n"
