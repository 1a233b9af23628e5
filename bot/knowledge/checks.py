"""What `knowledge check` holds the digest to beyond its schema: voices that fit how their
document speaks, citations that name the actor they attest, statuses in the sources' words,
copies, and events whose reports or time call for the curator.

Each check is a pure function of the validated models: it returns (path, message) pairs, and
validation.py places them at their file and line, as errors or as warnings."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime

from bot.knowledge.model import (
    Actor,
    Citation,
    Document,
    Event,
    Meeting,
    Position,
    Stance,
    Voice,
)
from bot.knowledge.statuses import StatusClass, says_status, status_class
from bot.knowledge.text import alias_key, normalise_quote

Found = tuple[tuple[str | int, ...], str]

# The voices a document can report a claim in, by how it speaks. Joint words are only the joint
# release's (or a relay of it); a participant's account is only a participant's.
VOICES: dict[Stance, frozenset[Voice]] = {
    Stance.JOINT: frozenset({Voice.JOINT, Voice.THIRD_PARTY, Voice.SPEECH}),
    Stance.RELAY: frozenset({Voice.RELAY, Voice.THIRD_PARTY, Voice.SPEECH}),
    Stance.PARTICIPANT: frozenset({Voice.ACCOUNT, Voice.SPEECH, Voice.OWN, Voice.THIRD_PARTY}),
    Stance.THIRD_PARTY: frozenset({Voice.THIRD_PARTY, Voice.SPEECH}),
}
_JOINT_VOICES = frozenset({Voice.JOINT, Voice.RELAY})
# Statuses that say what became of an event: anything else leaves a passed placeholder open.
_SETTLED = frozenset({StatusClass.HELD, StatusClass.CANCELLED, StatusClass.POSTPONED})


def voice_errors(meetings: tuple[Meeting, ...], documents: Mapping[str, Document]) -> list[Found]:
    """A `voice:` the reporting document's stance cannot speak in (a participant's account
    given the joint release's voice, a news agency's report given a participant's)."""
    found: list[Found] = []
    for i, meeting in enumerate(meetings):
        for field in ("outcomes", "positions"):
            for j, item in enumerate(getattr(meeting, field)):
                voice = item.voice
                if voice is None:
                    continue
                path = ("meetings", i, field, j, "voice")
                if voice in _JOINT_VOICES and isinstance(item, Position):
                    found.append((path, f"voice {voice.value!r} is for joint outcomes only"))
                    continue
                for doc_id in dict.fromkeys(c.doc for c in item.sources):
                    document = documents.get(doc_id)
                    if document is None or voice in VOICES[document.stance]:
                        continue
                    allowed = ", ".join(sorted(v.value for v in VOICES[document.stance]))
                    found.append(
                        (
                            path,
                            f"voice {voice.value!r} does not fit {doc_id} (stance "
                            f"{document.stance.value!r}, which speaks as: {allowed})",
                        )
                    )
    return found


def attestation_errors(meetings: tuple[Meeting, ...], actors: Mapping[str, Actor]) -> list[Found]:
    """A chair or participant citation whose quote does not name the actor it attests (by its
    name, id or any alias)."""
    found: list[Found] = []
    for i, meeting in enumerate(meetings):
        attested: list[tuple[tuple[str | int, ...], str, tuple[Citation, ...]]] = []
        if meeting.chair is not None:
            attested.append((("meetings", i, "chair"), meeting.chair.actor, meeting.chair.sources))
        attested += [
            (("meetings", i, "participants", j), p.actor, p.sources)
            for j, p in enumerate(meeting.participants)
        ]
        for path, actor_id, citations in attested:
            actor = actors.get(actor_id)
            if actor is None:
                continue
            names = _names(actor)
            for k, citation in enumerate(citations):
                if not names.search(alias_key(citation.quote)):
                    found.append(
                        (
                            (*path, "sources", k, "quote"),
                            f"the quote does not name {actor.name} ({actor_id}): cite a "
                            f"sentence that says so, or add the name it uses to {actor_id}'s "
                            "aliases",
                        )
                    )
    return found


def _names(actor: Actor) -> re.Pattern[str]:
    """Any of an actor's names at the start of a word ("India" also finds "Indian")."""
    names = {alias_key(n) for n in (actor.id.replace("-", " "), actor.name, *actor.aliases)}
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True) if n)
    return re.compile(rf"(?<!\w)(?:{alternatives})")


def copy_errors(documents: tuple[Document, ...]) -> list[Found]:
    """`copy_of:` names a document of the index that is not itself a copy."""
    by_id = {d.id: d for d in documents}
    found: list[Found] = []
    for i, doc in enumerate(documents):
        if doc.copy_of is None:
            continue
        original = by_id.get(doc.copy_of)
        path = ("documents", i, "copy_of")
        if original is None:
            found.append((path, f"unknown source document {doc.copy_of!r}"))
        elif original.copy_of is not None:
            found.append((path, f"{doc.copy_of} is itself a copy: name its original"))
    return found


def copy_warnings(documents: tuple[Document, ...], texts: Mapping[str, str]) -> list[Found]:
    """A copy whose text neither holds its original's nor is held by it (normalised)."""
    found: list[Found] = []
    for i, doc in enumerate(documents):
        if doc.copy_of is None or doc.id not in texts or doc.copy_of not in texts:
            continue
        mine, theirs = normalise_quote(texts[doc.id]), normalise_quote(texts[doc.copy_of])
        if mine not in theirs and theirs not in mine:
            found.append(
                (
                    ("documents", i, "copy_of"),
                    f"{doc.id} is marked a word-for-word copy of {doc.copy_of}, but neither "
                    "text contains the other",
                )
            )
    return found


def _statused(meeting: Meeting, i: int) -> Iterator[tuple[tuple[str | int, ...], object]]:
    for field in ("outcomes", "positions", "events", "talks"):
        for j, item in enumerate(getattr(meeting, field)):
            yield ("meetings", i, field, j), item
            if isinstance(item, Event):
                for k, update in enumerate((item.original or item).updates):
                    yield ("meetings", i, field, j, "updates", k), update


def status_warnings(meetings: tuple[Meeting, ...]) -> list[Found]:
    """Statuses that may not be the source's own word: unknown to the bot, or in no quote."""
    found: list[Found] = []
    for i, meeting in enumerate(meetings):
        for path, item in _statused(meeting, i):
            status: str | None = getattr(item, "status", None)
            if status is None:
                continue
            sources: tuple[Citation, ...] = getattr(item, "sources", ())
            if isinstance(item, Event) and item.original is not None:
                sources = item.original.sources
            if status_class(status) is StatusClass.OTHER:
                found.append(
                    (
                        (*path, "status"),
                        f"status {status!r} is not a word the bot knows: it is shown as written",
                    )
                )
            if not any(says_status(status, c.quote) for c in sources):
                found.append(
                    (
                        (*path, "status"),
                        f"status {status!r} is in none of its quotes: use the source's own word "
                        "(or quote the words that say it)",
                    )
                )
    return found


def event_report_warnings(
    meetings: tuple[Meeting, ...], documents: Mapping[str, Document]
) -> list[Found]:
    """An event citing documents published on different days: its date, place and status are
    shown from the first one on, so what a later one adds belongs in an update."""
    found: list[Found] = []
    for i, meeting in enumerate(meetings):
        for j, event in enumerate(meeting.events):
            sources = (event.original or event).sources
            days = {documents[c.doc].published_from for c in sources if c.doc in documents}
            if len(days) > 1:
                found.append(
                    (
                        ("meetings", i, "events", j, "sources"),
                        f"{event.id} cites documents published at different times: it is shown "
                        "as given from the first one on; put what a later document reports in "
                        "`updates:` with that document's quote",
                    )
                )
    return found


def placeholder_warnings(
    meetings: tuple[Meeting, ...], superseded: set[str], now: datetime
) -> list[Found]:
    """Events dated without a day (placeholders: "next meeting, Uzbekistan, 2022") whose time
    has passed while nothing supersedes them and no report says what became of them."""
    from bot.knowledge.dates import zone

    found: list[Found] = []
    for i, meeting in enumerate(meetings):
        for j, event in enumerate(meeting.events):
            if event.date.has_day or event.id in superseded:
                continue
            end = event.date.end(zone(event.timezone or "UTC"))
            if end is None or end > now or status_class(event.status) in _SETTLED:
                continue
            found.append(
                (
                    ("meetings", i, "events", j),
                    f"{event.id} ({event.date.iso()}) has passed and nothing supersedes it: add "
                    f"the event it became (`supersedes: {event.id}`) or an update saying what "
                    "became of it",
                )
            )
    return found
