"""A reader's lint: what a person reading a reply in Slack (or on a phone, or in a notification)
would trip on, checked on the payload itself. Every transcript is linted."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
# chat.postMessage refuses blocks much past this (msg_blocks_too_long), whatever the docs say.
MAX_POSTED_JSON = 12_000
MAX_SUMMARY = 150
MAX_LIST = 25  # items one section lists before it says how many more and where to see them
# A reply posted in a channel fits a phone screen (summary first, the rest one click away).
MAX_POSTED_VISIBLE = 3_500

_MARKER = re.compile(r"::(?:header|section|context|divider|actions|input|view|text)\b")
# The only <…> Slack should see in mrkdwn: links, user and channel mentions, date tokens.
_ALLOWED = re.compile(
    r"<(?:https?://[^<>|\s]+(?:\|[^<>]*)?"
    r"|mailto:[^<>|\s]+(?:\|[^<>]*)?"
    r"|@[UW][A-Z0-9]+"
    r"|#[CG][A-Z0-9]+(?:\|[^<>]*)?"
    r"|!date\^\d+\^[^<>|]*\|[^<>]*)>"
)
_QUOTE_LINE = re.compile(r"^>", re.MULTILINE)
_MRKDWN_MARKS = re.compile(r"(?<!\w)[*_~`](?=\S)|(?<=\S)[*_~`](?!\w)")


@dataclass(frozen=True)
class Finding:
    """One thing a reader would trip on."""

    rule: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule} at {self.where}: {self.detail}"


def _texts(block: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every (type, text) a block shows: mrkdwn or plain_text."""
    text = block.get("text")
    if isinstance(text, Mapping):
        yield str(text.get("type")), str(text.get("text", ""))
    for element in block.get("elements", ()) or ():
        if isinstance(element, Mapping):
            if "type" in element and "text" in element and isinstance(element["text"], str):
                yield str(element["type"]), element["text"]
            yield from _texts(element)
    for key in ("fields",):
        for field in block.get(key, ()) or ():
            yield str(field.get("type")), str(field.get("text", ""))


def lint_message(
    payload: Mapping[str, Any], where: str, *, posted: bool, view: bool = False
) -> list[Finding]:
    """Findings on one message (or view) payload."""
    found: list[Finding] = []
    blocks: Sequence[Mapping[str, Any]] = payload.get("blocks", ())
    limit = MAX_VIEW_BLOCKS if view else MAX_BLOCKS
    if len(blocks) > limit:
        found.append(Finding("too-many-blocks", where, f"{len(blocks)} > {limit}"))
    for i, block in enumerate(blocks):
        try:
            Block.parse(dict(block)).validate_json()  # type: ignore[union-attr]
        except (SlackObjectFormationError, AttributeError, KeyError) as error:
            found.append(Finding("block-kit", f"{where} block {i}", str(error)[:120]))
        for kind, text in _texts(block):
            if _MARKER.search(text):
                found.append(Finding("layout-marker", f"{where} block {i}", _clip(text)))
            if kind == "mrkdwn":
                # A line starting ">" is mrkdwn's block quote: the one bare ">" Slack expects.
                bare = _QUOTE_LINE.sub("", _ALLOWED.sub("", text))
                if "<" in bare or ">" in bare:
                    found.append(Finding("raw-angle", f"{where} block {i}", _around(bare)))
            bullets = sum(1 for line in text.split("\n") if line.lstrip().startswith("•"))
            if bullets > MAX_LIST:
                found.append(Finding("uncapped-list", f"{where} block {i}", f"{bullets} items"))
    if not view:
        found += _lint_text(payload, where)
    if posted:
        size = len(json.dumps(list(blocks), ensure_ascii=False))
        if size > MAX_POSTED_JSON:
            found.append(Finding("posted-too-long", where, f"{size:,} characters of blocks"))
        visible = visible_characters([payload])
        if visible > MAX_POSTED_VISIBLE:
            found.append(
                Finding("posted-not-phone-sized", where, f"{visible:,} visible characters")
            )
    return found


def _lint_text(payload: Mapping[str, Any], where: str) -> list[Finding]:
    found: list[Finding] = []
    text = str(payload.get("text", ""))
    headers = [
        str(b["text"]["text"]) for b in payload.get("blocks", ()) if b.get("type") == "header"
    ]
    if "\n" in text or len(text) > MAX_SUMMARY or not text.strip():
        found.append(Finding("summary-line", where, f"{len(text)} characters: {_clip(text)}"))
    if _MARKER.search(text):
        found.append(Finding("layout-marker", where, _clip(text)))
    if re.search(r"&(?:lt|gt|amp);", text):
        found.append(Finding("summary-entities", where, _clip(text)))
    if _MRKDWN_MARKS.search(text) or "<" in text:
        found.append(Finding("summary-markup", where, _clip(text)))
    if headers and text.strip() == headers[0].strip():
        found.append(Finding("summary-only-title", where, _clip(text)))
    return found


def visible_characters(payloads: Sequence[Mapping[str, Any]]) -> int:
    """What a reader reads: the characters of every text the messages show."""
    return sum(len(t) for p in payloads for b in p.get("blocks", ()) for _, t in _texts(b))


def _clip(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _around(text: str) -> str:
    at = min(i for i in (text.find("<"), text.find(">")) if i >= 0)
    return _clip(text[max(0, at - 40) : at + 40])
