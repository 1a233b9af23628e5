"""Every `/sco` subcommand, written once: its name, the other words for it, whether it depends
on who asks. Its handler is `bot.commands.<name>.handle`; its template `templates/<name>.j2`
and its help line `templates/usage/<name>.j2`.

Light on purpose: the terminal's cached path parses text with it, importing nothing heavy."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subcommand:
    """A `/sco` subcommand as the registry declares it."""

    name: str
    aliases: tuple[str, ...] = ()
    # Answers that read or change state (the ledger) or depend on the caller: never cached.
    personal: bool = False
    # Named in the one-line list under a question's answer; the rest only in `/sco help`.
    in_short_list: bool = True

    @property
    def template(self) -> str:
        """The template of its main reply."""
        return f"{self.name}.j2"

    @property
    def usage_template(self) -> str:
        """The template of its line in `/sco help`."""
        return f"usage/{self.name}.j2"

    @property
    def module(self) -> str:
        """The module whose `handle(request, situation)` answers it."""
        return f"bot.commands.{self.name}"


SUBCOMMANDS: dict[str, Subcommand] = {
    s.name: s
    for s in (
        Subcommand("brief", ("briefing", "summary")),
        Subcommand("positions", ("position", "pos", "actor")),
        Subcommand("upcoming", ("events", "next")),
        Subcommand("compare", ("accounts", "versus", "vs", "diff")),
        Subcommand("sources", ("source", "docs", "documents")),
        Subcommand("remind", ("reminders", "reminder"), personal=True),
        Subcommand("follow", ("subscribe", "watch"), personal=True),
        Subcommand("unfollow", ("unsubscribe", "unwatch"), personal=True, in_short_list=False),
        Subcommand("following", ("follows", "watching"), personal=True, in_short_list=False),
        Subcommand("calendar", ("ical", "ics", "feed"), personal=True, in_short_list=False),
        Subcommand("ask", ("question", "search", "find")),
        Subcommand("help", ("?", "usage", "-h", "--help")),
    )
}
BY_WORD: dict[str, Subcommand] = {
    word: s for s in SUBCOMMANDS.values() for word in (s.name, *s.aliases)
}
