"""Block markup (::header, ::section, ::context, ::divider, ::actions) → Block Kit messages
within Slack's limits."""

from __future__ import annotations

import json
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
MAX_ACTION_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_OPTIONS = 100
MAX_OPTION_VALUE = 150

_MARKER = re.compile(r"^::(header|section|context|divider|actions)\s*$")


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
        elif kind == "actions":
            elements = [_element(line) for line in lines if line.strip()]
            for i in range(0, len(elements), MAX_ACTION_ELEMENTS):
                blocks.append(
                    {"type": "actions", "elements": elements[i : i + MAX_ACTION_ELEMENTS]}
                )

    for line in source.split("\n"):
        marker = _MARKER.match(line)
        if marker:
            flush()
            kind, lines = marker.group(1), []
        else:
            lines.append(line)
    flush()
    return blocks


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _truncate(" ".join(str(text).split()), limit)}


def _element(line: str) -> dict[str, Any]:
    """One interactive element of an ::actions block: `button {json}` or `select {json}`, the
    JSON written by the template's `tojson` (so data never breaks out of its field)."""
    kind, _, raw = line.strip().partition(" ")
    spec = json.loads(raw)
    if kind == "button":
        button = {
            "type": "button",
            "action_id": spec["action_id"],
            "text": _plain(spec["text"], MAX_BUTTON_TEXT),
            "value": str(spec.get("value", ""))[:MAX_BUTTON_VALUE],
        }
        if spec.get("style") in ("primary", "danger"):
            button["style"] = spec["style"]
        return button
    if kind == "select":
        options = [
            {"text": _plain(label, MAX_BUTTON_TEXT), "value": str(value)[:MAX_OPTION_VALUE]}
            for value, label in spec["options"][:MAX_OPTIONS]
        ]
        select = {
            "type": "static_select",
            "action_id": spec["action_id"],
            "placeholder": _plain(spec["placeholder"], MAX_BUTTON_TEXT),
            "options": options,
        }
        chosen = [o for o in options if o["value"] == spec.get("initial")]
        if chosen:
            select["initial_option"] = chosen[0]
        return select
    raise ValueError(f"unknown ::actions element {kind!r}")


def fallback(blocks: Sequence[Mapping[str, Any]]) -> str:
    """The notification text of a message: its headers and sections, within Slack's limit."""
    parts = [b["text"]["text"] for b in blocks if b["type"] in ("header", "section")]
    if not parts:  # a page of context lines only (the tail of a long reply)
        parts = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
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
