"""Statuses in the source's own words: the word is kept verbatim and shown as written; a class
(what kind of word it is) lets the bot reason about it without ever translating one into
another ("noted" is never shown as "scheduled", "decided" never as "agreed")."""

from __future__ import annotations

from enum import StrEnum

from bot.knowledge.stems import says_phrase


class StatusClass(StrEnum):
    """What kind of word a status is, for the bot's own reasoning (never shown instead of it)."""

    DECISION = "decision"  # decided, approved, adopted, signed
    AGREEMENT = "agreement"  # agreed
    PROPOSAL = "proposal"  # proposed, suggested, called for
    INVITATION = "invitation"  # invited
    STATEMENT = "statement"  # noted, welcomed, stressed, supported
    PLANNED = "planned"  # scheduled, expected, planned, announced
    HELD = "held"  # held, took place, conducted: only a document saying so makes an event held
    POSTPONED = "postponed"
    CANCELLED = "cancelled"
    OTHER = "other"  # a word the bot does not know: shown as written, `knowledge check` warns


_WORDS: dict[StatusClass, tuple[str, ...]] = {
    StatusClass.DECISION: (
        "decided",
        "approved",
        "adopted",
        "signed",
        "endorsed",
        "ratified",
        "resolved",
    ),
    StatusClass.AGREEMENT: ("agreed", "unanimously agreed", "concurred"),
    StatusClass.PROPOSAL: ("proposed", "suggested", "called for", "urged", "recommended"),
    StatusClass.INVITATION: ("invited",),
    StatusClass.STATEMENT: (
        "noted",
        "welcomed",
        "stressed",
        "emphasised",
        "emphasized",
        "supported",
        "expressed",
        "reaffirmed",
        "discussed",
        "denounced",
        "condemned",
        "declared",
        "pledged",
        "committed",
        "offered",
    ),
    StatusClass.PLANNED: (
        "scheduled",
        "expected",
        "planned",
        "announced",
        "to be held",
        "will be held",
        "intended",
    ),
    StatusClass.HELD: ("held", "took place", "conducted", "hosted", "opened", "completed"),
    StatusClass.POSTPONED: ("postponed", "delayed", "deferred", "rescheduled"),
    StatusClass.CANCELLED: ("cancelled", "canceled", "called off"),
}
STATUS_WORDS: dict[str, StatusClass] = {w: cls for cls, words in _WORDS.items() for w in words}

# A status is a word or a short phrase of the source's: letters, spaces, hyphens.
STATUS_PATTERN = r"^[a-z][a-z -]{0,38}[a-z]$"


def status_class(word: str | None) -> StatusClass | None:
    """The class of a status word (OTHER for one the bot does not know); None for no status."""
    if word is None:
        return None
    return STATUS_WORDS.get(word, StatusClass.OTHER)


def says_status(word: str, text: str) -> bool:
    """True when `text` uses the status word in some form of it ("agreed" ~ "agree to")."""
    # Stems, not suffix rules: "held" is not "holding" (a plan), "took place" not "take place".
    return says_phrase(word, text)


def outcome(status: str | None) -> str:
    """What an event's status says became of it: `held`, `cancelled`, or `unreported` (no
    document says it took place).

    A postponed event's date is the new one where the source gives it (`unknown` otherwise),
    so postponed is `unreported`: nothing yet says it took place on that date."""
    kind = status_class(status)
    if kind is StatusClass.HELD:
        return "held"
    if kind is StatusClass.CANCELLED:
        return "cancelled"
    return "unreported"
