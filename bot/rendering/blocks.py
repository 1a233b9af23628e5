"""Block markup (::header, ::section, ::context, ::divider) → Block Kit messages within limits."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 2000
MAX_FALLBACK = 3000
# Slack takes a reply's first message in the ack and the rest through response_url, which
# accepts only five uses: a longer reply would lose its tail, so it is cut with a note instead.
MAX_MESSAGES = 5

_MARKER = re.compile(r"^::(header|section|context|divider)\s*$")


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


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack otherwise auto-links plain URLs, `www.` names, #channel names and some
    # @mentions in the text; escaping `<`, `>` and `&` cannot stop that. Our own links are
    # written as <url|label>, which Slack still honours.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


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
                blocks.append({"type": "section", "text": _mrkdwn(piece)})
        elif kind == "context":
            elements = [
                _mrkdwn(_truncate(line.strip(), MAX_CONTEXT_TEXT)) for line in lines if line.strip()
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


def fallback(blocks: Sequence[Mapping[str, Any]]) -> str:
    """The notification text of a message: its headers and sections, within Slack's limit."""
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
            pages.append(Message(fallback(page), tuple(page)))
    return pages or [Message(" ", ())]
