"""The text after `/sco` → a Request. Light on purpose: the terminal's cached path uses it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.registry import BY_WORD

PUBLIC_WORD = "public"
MAX_ARG_LENGTH = 200


@dataclass(frozen=True)
class Request:
    """A parsed `/sco` command: subcommand, arguments, and whether to post in the channel."""

    name: str
    args: tuple[str, ...] = ()
    public: bool = False
    unknown: str | None = None  # the subcommand the user typed when we did not recognise it


def parse(text: str) -> Request:
    """Parse the text after `/sco`; empty or unknown text asks for help."""
    words = [w[:MAX_ARG_LENGTH] for w in text.split()]
    public = bool(words) and words[-1].casefold() == PUBLIC_WORD
    if public:
        words = words[:-1]
    if not words:
        return Request("help", (), public)
    command = BY_WORD.get(words[0].casefold())
    if command is None:
        # A mistyped command's help is for the typist only, even with `public`.
        return Request("help", (), False, unknown=words[0])
    return Request(command.name, tuple(words[1:]), public)
