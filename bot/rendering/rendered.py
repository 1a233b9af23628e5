"""A rendered reply: its pages as message JSON, serialised once, and whether it is public."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.rendering.blocks import Message


@dataclass(frozen=True)
class Rendered:
    """The rendered reply to one command (each page a message's JSON), and whether it goes to
    the whole channel."""

    pages: tuple[str, ...]
    public: bool
    minute: datetime | None = None  # the minute its stamps show, when they can be restamped

    @classmethod
    def of(cls, messages: list[Message], public: bool, minute: datetime | None = None) -> Rendered:
        """From rendered messages."""
        return cls(tuple(json.dumps(m.payload()) for m in messages), public, minute)

    @functools.cached_property
    def messages(self) -> list[Message]:
        """The pages as messages."""
        return [_message(json.loads(page)) for page in self.pages]


def _message(payload: dict[str, Any]) -> Message:
    return Message(payload["text"], tuple(payload["blocks"]))
