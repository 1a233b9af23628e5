"""The pipeline every surface shares: text → request → query → template → messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from bot.commands import Situation, answer, parse
from bot.knowledge import Digest, load_digest
from bot.render import Message, Renderer
from bot.settings import Settings


@dataclass(frozen=True)
class Answer:
    """The rendered reply to one command, and whether it goes to the whole channel."""

    messages: list[Message]
    public: bool


class Briefer:
    """Answers `/sco` text from one loaded digest, for Slack and the terminal alike."""

    def __init__(self, digest: Digest, renderer: Renderer, timezone: tzinfo) -> None:
        self.digest = digest
        self.renderer = renderer
        self.timezone = timezone

    @classmethod
    def from_settings(cls, settings: Settings) -> Briefer:
        """Load the digest and templates the settings name (raises DigestError when invalid)."""
        return cls(
            load_digest(Path(settings.knowledge_dir)),
            Renderer(Path(settings.templates_dir)),
            settings.timezone,
        )

    def answer(self, text: str, now: datetime) -> Answer:
        """Answer the text typed after `/sco`, as of `now`."""
        request = parse(text)
        reply = answer(request, Situation(self.digest, now, self.timezone))
        return Answer(self.renderer.messages(reply.template, reply.context), reply.public)

    def render(self, template: str, **context: object) -> list[Message]:
        """Render a template outside a command (errors, notices)."""
        return self.renderer.messages(template, {"version": self.digest.version, **context})
