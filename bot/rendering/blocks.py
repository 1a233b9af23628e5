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

_MARKER = re.compile(r"^::(header|section|context|divider|actions|input)\s*$")
# Views (the Home tab, modals): up to 100 blocks; a modal's title, submit and close <= 24 chars.
MAX_VIEW_BLOCKS = 100
MAX_VIEW_TITLE = 24
MAX_CALLBACK_ID = 255
MAX_PRIVATE_METADATA = 3000
MAX_INPUT_LABEL = 2000
MAX_INPUT_VALUE = 3000
MAX_BLOCK_ID = 255
# The notification fallback: one plain line (notifications, screen readers), not mrkdwn.
MAX_SUMMARY = 150
_VIEW_LINE = re.compile(r"^::view\s+(\{.*\})\s*$")
_DATE_TOKEN = re.compile(r"<!date\^\d+\^[^|<>]*\|([^<>]*)>")
_LINK_TOKEN = re.compile(r"<[^<>|]+\|([^<>]*)>")
_FORMATTING = re.compile(r"[*_~`]")


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
            specs = [line for line in lines if line.strip()]
            elements = [_element(line) for line in specs]
            for i in range(0, len(elements), MAX_ACTION_ELEMENTS):
                block: dict[str, Any] = {
                    "type": "actions",
                    "elements": elements[i : i + MAX_ACTION_ELEMENTS],
                }
                # A menu that loads its options names what it is a menu of (its block's id).
                key = json.loads(specs[i].strip().partition(" ")[2]).get("block_id")
                if key:
                    block["block_id"] = str(key)[:MAX_BLOCK_ID]
                blocks.append(block)
        elif kind == "input":
            blocks.extend(input_block(line) for line in lines if line.strip())

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
        if spec.get("confirm"):
            button["confirm"] = _confirm(spec["confirm"])
        return button
    if kind == "select":
        options = option_objects(spec["options"])
        select: dict[str, Any] = {
            "type": "static_select",
            "action_id": spec["action_id"],
            "placeholder": _plain(spec["placeholder"], MAX_BUTTON_TEXT),
            "options": options[:MAX_OPTIONS],
        }
        if len(options) > MAX_OPTIONS:
            # More than Slack shows: a menu that searches as the user types (its options
            # load from the app), never one that silently stops at the hundredth.
            select["type"] = "external_select"
            select["min_query_length"] = 0
            del select["options"]
        chosen = [o for o in options if o["value"] == spec.get("initial")]
        if chosen:
            select["initial_option"] = chosen[0]
        return select
    raise ValueError(f"unknown ::actions element {kind!r}")


def _confirm(spec: Mapping[str, str]) -> dict[str, Any]:
    """A button's "are you sure?" dialog: title, text, confirm and deny labels."""
    return {
        "title": _plain(spec["title"], 100),
        "text": _plain(spec["text"], 300),
        "confirm": _plain(spec["confirm"], 30),
        "deny": _plain(spec["deny"], 30),
    }


def option_objects(pairs: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Menu options from [value, label] pairs, within Slack's limits."""
    return [
        {"text": _plain(label, MAX_BUTTON_TEXT), "value": str(value)[:MAX_OPTION_VALUE]}
        for value, label in pairs
    ]


def fallback(blocks: Sequence[Mapping[str, Any]]) -> str:
    """The notification text of a message: a one-line plain summary (see `summary`)."""
    return summary(blocks)


def paginate(blocks: list[dict[str, Any]], text: str | None = None) -> list[Message]:
    """Split blocks into messages of at most 50 blocks, never leaving a page ending in a
    divider; each message's notification `text` is the reply's summary line when it has one
    (pages after the first say they continue it)."""
    pages: list[Message] = []
    rest = blocks
    while rest:
        page, rest = rest[:MAX_BLOCKS], rest[MAX_BLOCKS:]
        while page and page[-1]["type"] == "divider":
            page = page[:-1]
        if page:
            line = text if text and not pages else (f"{text} (continued)" if text else None)
            pages.append(Message(one_line(line) if line else fallback(page), tuple(page)))
    return pages or [Message(one_line(text) if text else " ", ())]


# The summary line ends at the line's end, or where a block marker follows it on the same line
# (a line ending in a Jinja block tag loses its newline to trim_blocks).
_SUMMARY_LINE = re.compile(
    r"^::text[ \t]+(.*?)(?=::(?:header|section|context|divider|actions|input)\b|$)",
    re.MULTILINE,
)


def split_summary(source: str) -> tuple[str | None, str]:
    """A template's `::text <line>` (the reply's one-line summary for notifications and screen
    readers) and the rest of its markup."""
    found = _SUMMARY_LINE.search(source)
    if found is None:
        return None, source
    rest = source[: found.start()] + "\n" + source[found.end() :]
    return found.group(1).strip() or None, rest


def input_block(line: str) -> dict[str, Any]:
    """One modal input block from a JSON line (written by the template's `tojson`): block_id,
    label, element (plain_text_input, timepicker, checkboxes, static_select,
    conversations_select), action_id and
    optionally initial, options [[value, label], ...], placeholder, hint, optional."""
    spec = json.loads(line)
    kind = spec["element"]
    element: dict[str, Any] = {"type": kind, "action_id": spec["action_id"]}
    options = [
        {"text": _plain(label, MAX_BUTTON_TEXT), "value": str(value)[:MAX_OPTION_VALUE]}
        for value, label in spec.get("options", [])[:MAX_OPTIONS]
    ]
    initial = spec.get("initial")
    if kind in ("checkboxes", "static_select"):
        element["options"] = options
        wanted = set(initial or ()) if kind == "checkboxes" else {initial}
        chosen = [o for o in options if o["value"] in wanted]
        if chosen and kind == "checkboxes":
            element["initial_options"] = chosen
        elif chosen:
            element["initial_option"] = chosen[0]
    elif kind == "timepicker" and initial:
        element["initial_time"] = str(initial)[:5]
    elif kind == "plain_text_input" and initial:
        element["initial_value"] = str(initial)[:MAX_INPUT_VALUE]
    elif kind == "conversations_select":
        # The conversation the form was opened from (Slack ignores it when one is given).
        element["default_to_current_conversation"] = True
        element["filter"] = {"include": ["public", "private"], "exclude_bot_users": True}
        if initial:
            element["initial_conversation"] = str(initial)[:MAX_BLOCK_ID]
    elif kind not in ("timepicker", "plain_text_input"):
        raise ValueError(f"unknown ::input element {kind!r}")
    if spec.get("placeholder") and kind != "checkboxes":
        element["placeholder"] = _plain(spec["placeholder"], MAX_BUTTON_TEXT)
    block: dict[str, Any] = {
        "type": "input",
        "block_id": str(spec["block_id"])[:MAX_BLOCK_ID],
        "label": _plain(spec["label"], MAX_INPUT_LABEL),
        "element": element,
        "optional": bool(spec.get("optional", False)),
    }
    if spec.get("hint"):
        block["hint"] = _plain(spec["hint"], MAX_INPUT_LABEL)
    return block


def parse_view(source: str, blocks: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """A Home tab or modal view from template output: its first line `::view {json}` (type,
    callback_id, title, submit, close, private_metadata) then block markup; `blocks` (a reply's,
    already built) go after the template's own. Within Slack's 100-block limit for views."""
    head, _, rest = source.lstrip("\n").partition("\n")
    found = _VIEW_LINE.match(head)
    if found is None:
        raise ValueError("a view template starts with a `::view {json}` line")
    spec = json.loads(found.group(1))
    view: dict[str, Any] = {"type": spec["type"]}
    for key in ("title", "submit", "close"):
        if spec.get(key):
            view[key] = _plain(spec[key], MAX_VIEW_TITLE)
    if spec.get("callback_id"):
        view["callback_id"] = str(spec["callback_id"])[:MAX_CALLBACK_ID]
    if spec.get("private_metadata"):
        view["private_metadata"] = str(spec["private_metadata"])[:MAX_PRIVATE_METADATA]
    _, rest = split_summary(rest)  # a view has no notification line (an included part may)
    every = [*parse_blocks(rest), *(dict(b) for b in blocks)]
    if len(every) > MAX_VIEW_BLOCKS:
        every = every[:MAX_VIEW_BLOCKS]
    while every and every[-1]["type"] == "divider":
        every.pop()
    view["blocks"] = every
    return view


def summary(blocks: Sequence[Mapping[str, Any]]) -> str:
    """A message's `text` fallback when its template gives no `::text` line: one plain line of
    at most 150 characters (its header, else its first line of text), not truncated mrkdwn."""
    texts = [b["text"]["text"] for b in blocks if b["type"] in ("header", "section")]
    if not texts:
        texts = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    first = next((line for t in texts for line in t.split("\n") if line.strip()), "")
    return one_line(first)


def one_line(text: str) -> str:
    """Mrkdwn as one plain line of at most 150 characters: date tokens and links by their
    words, no formatting marks, no mention or channel syntax, the three entities undone."""
    line = _DATE_TOKEN.sub(r"\1", text)
    line = _LINK_TOKEN.sub(r"\1", line)
    line = _FORMATTING.sub("", line).replace("&lt;", "‹").replace("&gt;", "›").replace("&amp;", "&")
    line = " ".join(line.replace("<", "‹").replace(">", "›").split())
    if len(line) <= MAX_SUMMARY:
        return line or " "
    cut = line[: MAX_SUMMARY - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "\u2026"


def with_blocks(messages: list[Message], extra: Sequence[Mapping[str, Any]]) -> list[Message]:
    """Add blocks (a reply's buttons) to the end of its last message, or as one more message
    when the last is full; the reply is left as it is when neither fits."""
    if not extra:
        return messages
    last = messages[-1]
    if len(last.blocks) + len(extra) <= MAX_BLOCKS:
        return [*messages[:-1], Message(last.text, (*last.blocks, *extra))]
    if len(messages) < MAX_MESSAGES:
        return [*messages, Message(last.text, tuple(extra))]  # buttons only: the reply's line
    return messages
