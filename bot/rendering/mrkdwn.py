"""Slack mrkdwn: escaping data so it can never become a live mention or link."""

from __future__ import annotations

import functools
import re

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
    if type(value) is str and len(value) <= _REMEMBERED_LENGTH:
        return _escaped_text(value)
    return _escaped(str(value))


# The digest's names, labels and quotes are escaped in every answer that shows them: each is
# escaped once and remembered (a bounded number of bounded strings: a few MB at most).
_REMEMBERED_LENGTH = 2000


@functools.lru_cache(maxsize=4096)
def _escaped_text(text: str) -> Mrkdwn:
    return _escaped(text)


def _escaped(text: str) -> Mrkdwn:
    text = _CONTROLS.sub(" ", text)
    # A value can never open a block marker (::section) in the template output.
    text = text.replace("::", ":\u200b:")
    return Mrkdwn(_ESCAPE.sub(lambda m: _ENTITIES[m.group()], text))


def link(url: str, label: str) -> Mrkdwn:
    """A mrkdwn link whose label is escaped and whose URL cannot break out of the link."""
    safe_url = re.sub(r"[<>|\s]", "", url)
    return Mrkdwn(f"<{safe_url}|{escape_mrkdwn(label)}>")
