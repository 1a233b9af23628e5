"""Slack messages rendered readably for a terminal: plain text (`to_terminal`), shown with
real bold, italics and links when the output is a terminal (`show`, the `rich` library)."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.rendering.blocks import Message

if TYPE_CHECKING:
    from rich.text import Text

_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>")
_BARE_LINK = re.compile(r"<(https?://[^<>|]+)>")
_SLACK_DATE = re.compile(r"<!date\^\d+\^[^|<>]*\|([^<>]*)>")


def slack_dates(mrkdwn: str) -> str:
    """Slack's date tokens → their fallback: the terminal shows times in SCO_TIMEZONE."""
    return _SLACK_DATE.sub(r"\1", mrkdwn)


def _terminal_text(mrkdwn: str) -> str:
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", slack_dates(mrkdwn))
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


_INLINE = re.compile(
    r"(?P<bold>(?<![\w*])\*(?=\S)[^*\n]+?(?<=\S)\*(?![\w*]))"
    r"|(?P<italic>(?<![\w_])_(?=\S)[^_\n]+?(?<=\S)_(?![\w_]))"
    r"|(?P<strike>(?<![\w~])~(?=\S)[^~\n]+?(?<=\S)~(?![\w~]))"
    r"|(?P<code>`[^`\n]+`)"
    r"|(?P<url>https?://[^\s()<>]+)"
)


def wants_rich(stream: TextIO) -> bool:
    """Styled output only on a terminal, and never when NO_COLOR is set or TERM is dumb."""
    isatty = getattr(stream, "isatty", None)
    return bool(
        isatty is not None
        and isatty()
        and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM") != "dumb"
    )


def show(text: str, stream: TextIO | None = None) -> None:
    """Print a terminal answer: mrkdwn as real bold, italics and links on a terminal, plain
    text when piped (no `*`, `_`, `~` or backtick markers: what a script or a reader of a file
    wants)."""
    stream = stream or sys.stdout
    if not wants_rich(stream):
        print(plain(text), file=stream)
        return
    from rich.console import Console

    Console(file=stream, highlight=False, soft_wrap=True, emoji=False).print(styled(text))


def plain(text: str) -> str:
    """The terminal text without mrkdwn's markers: *bold*, _italics_, ~strike~ and `code` become
    their words; links and headings stay as `to_terminal` wrote them."""
    return "\n".join(_unmarked(line) for line in text.split("\n"))


def _unmarked(line: str) -> str:
    def inner(found: re.Match[str]) -> str:
        whole = found.group()
        if found.lastgroup == "url":
            return whole
        return _unmarked(whole[1:-1])

    return _INLINE.sub(inner, line)


def styled(text: str) -> Text:
    """The terminal text as rich Text: titles bold, context dim, mrkdwn markup applied."""
    from rich.text import Text

    out = Text()
    lines = text.split("\n")
    for i, line in enumerate(lines):
        underline = i + 1 < len(lines) and lines[i + 1] and set(lines[i + 1]) == {"="}
        if underline:
            out.append_text(_inline(line, "bold"))
        elif line and set(line) <= {"=", "-"}:
            out.append(line, "dim")
        elif line.startswith("    "):
            out.append_text(_inline(line, "dim"))
        else:
            out.append_text(_inline(line, ""))
        if i + 1 < len(lines):
            out.append("\n")
    return out


def _inline(text: str, style: str) -> Text:
    from rich.style import Style
    from rich.text import Text

    out = Text()
    position = 0
    for found in _INLINE.finditer(text):
        out.append(text[position : found.start()], style or None)
        kind, whole = found.lastgroup, found.group()
        if kind == "url":
            out.append(whole, Style.parse(f"{style} underline".strip()) + Style(link=whole))
        elif kind == "code":
            out.append(whole[1:-1], f"{style} cyan".strip())
        else:
            out.append_text(_inline(whole[1:-1], f"{style} {kind}".strip()))
        position = found.end()
    out.append(text[position:], style or None)
    return out


@contextmanager
def line_editing(history: Path | None) -> Iterator[None]:
    """On a terminal, give `input()` line editing and a history kept in `history`."""
    if not sys.stdin.isatty():
        yield
        return
    try:
        import readline
    except ImportError:  # not on every platform
        yield
        return
    if history is not None:
        with suppress(OSError):
            readline.read_history_file(history)
    readline.set_history_length(1000)
    try:
        yield
    finally:
        if history is not None:
            with suppress(OSError):
                history.parent.mkdir(parents=True, exist_ok=True)
                readline.write_history_file(history)
