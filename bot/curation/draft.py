"""`knowledge draft`: every sentence of a document as a candidate item, in a drafts file that
the bot does not serve (`drafts/<doc>.yaml`), for the curator to confirm and promote."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.curation.dates import DateMention, date_mentions
from bot.curation.files import Refusal, create_file
from bot.curation.guesses import (
    ActorNames,
    aside_reason,
    event_noun,
    status_word,
    talks_sentence,
    voice_for,
)
from bot.curation.sources import TODO, read_index
from bot.knowledge.model import OutcomeKind
from bot.knowledge.sentences import Span, sentence_spans
from bot.knowledge.statuses import StatusClass, status_class

DRAFTS = "drafts"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PLAIN = re.compile(r"^(?:[a-z0-9_]+(?:-[a-z0-9_]+)*|\d{4}(?:-[0-9A-Za-z]+)*(?:/[0-9-]+)?)$")
# A sentence whose subject is the participants together ("They", "The ministers", "All parties").
_JOINT_SUBJECT = re.compile(
    r"^(?:they|the (?:\w+ ){0,2}(?:ministers|members|participants)|all (?:the )?(?:\w+ )?"
    r"(?:ministers|members|parties|participants))\b",
    re.I,
)
# A dateline opens a report ("BEIJING, July 28 -- "): the city there is not who speaks.
_DATELINE = re.compile(r"^[A-Z][A-Z .'-]+,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2}\s*(?:--|—|–|-)\s*")
# How an outcome's status word suggests its kind (any other: a statement).
_KIND_BY_CLASS = {StatusClass.AGREEMENT: "agreement", StatusClass.DECISION: "decision"}


@dataclass(frozen=True)
class Guess:
    """A value the workbench guessed: written `{guess: value}` until the curator confirms it."""

    value: Any


@dataclass(frozen=True)
class Source:
    """The document being drafted and what the digest already knows around it."""

    doc_id: str
    meeting: str
    text: str
    title: str | None
    published: date | None
    stance: str | None
    participant: str | None
    names: ActorNames
    body: str | None  # the actor that speaks for a meeting jointly (kind: body)
    states: frozenset[str]  # actors of kind state: a new meeting's likely participants


@dataclass(frozen=True)
class Drafted:
    """A draft written: where, and what it holds."""

    path: Path
    items: int
    sentences: int
    guesses: int
    todos: int
    new_meeting: bool


def _mentions(source: Source, sentence: str) -> list[DateMention]:
    return list(_resolved(sentence, source.published))


@lru_cache(maxsize=4096)  # a sentence is asked about by its claim, its event and the header
def _resolved(sentence: str, published: date | None) -> tuple[DateMention, ...]:
    if published is not None:
        return tuple(date_mentions(sentence, published))
    # No publication date yet: keep only the mentions that need none (the same on any day).
    early = date_mentions(sentence, date(2001, 1, 15))
    late = date_mentions(sentence, date(2011, 7, 15))
    return tuple(m for m in early if m in late)


def _claim(source: Source, number: int, sentence: str) -> dict[str, Any]:
    """A candidate outcome or position for one sentence."""
    speaker = source.names.speaker(sentence)
    named = [n.actor for n in source.names.named(_DATELINE.sub("", sentence))]
    who = speaker.actor if speaker else next(iter(named), None)
    joint = who is None or who == source.body
    if speaker is None and _JOINT_SUBJECT.match(_DATELINE.sub("", sentence)):
        joint = True  # "The ministers agreed to hold ... in Mu": theirs, not Mu's
    if speaker is None and source.stance == "participant" and who == source.participant:
        joint = False
    actor = (source.body or TODO) if joint else (who or TODO)
    speaker_name = speaker.surface if speaker and not joint else None
    item: dict[str, Any] = {"sentence": number, "type": Guess("outcome" if joint else "position")}
    item["id"] = f"{source.doc_id}-{number}"
    if joint:
        status = status_word(sentence)
        item["theme"] = TODO
        kind = _KIND_BY_CLASS.get(status_class(status) or StatusClass.OTHER, "statement")
        item["kind"] = Guess(kind if kind in set(OutcomeKind) else next(iter(OutcomeKind)).value)
    else:
        item["actor"] = Guess(actor)
        if speaker_name:
            item["speaker"] = Guess(speaker_name)
        item["topic"] = TODO
    voice = voice_for(source.stance, source.participant, joint, actor, speaker_name)
    if voice is not None:
        item["voice"] = Guess(voice.value)
    _status_and_rest(source, item, sentence, exclude={actor, source.body})
    return item


def _status_and_rest(
    source: Source, item: dict[str, Any], sentence: str, exclude: set[str | None]
) -> None:
    status = status_word(sentence)
    if status:
        item["status"] = Guess(status)
    item["summary"] = Guess(sentence)
    mentioned = [n.actor for n in source.names.named(sentence) if n.actor not in exclude]
    if mentioned:
        item["mentions"] = Guess(list(dict.fromkeys(mentioned)))
    _sources(source, item, sentence)


def _sources(source: Source, item: dict[str, Any], sentence: str) -> None:
    mentions = _mentions(source, sentence)
    if mentions:
        item["dates"] = [{"said": m.said, "date": m.when} for m in mentions]
    item["sources"] = [{"doc": source.doc_id, "quote": sentence}]


def _talk(source: Source, number: int, sentence: str) -> dict[str, Any]:
    named = list(dict.fromkeys(n.actor for n in source.names.named(sentence)))
    actor = next((a for a in named if a != source.body), TODO)
    others = [a for a in named if a not in (actor, source.body)]
    item: dict[str, Any] = {"sentence": number, "type": Guess("talk")}
    item["id"] = f"{source.doc_id}-{number}"
    item["actor"] = Guess(actor)
    item["counterparts"] = Guess(others) if others else [TODO]
    item["topics"] = [TODO]
    status = status_word(sentence)
    if status:
        item["status"] = Guess(status)
    _sources(source, item, sentence)
    return item


def _event(source: Source, number: int, sentence: str, kind: str, when: str) -> dict[str, Any]:
    item: dict[str, Any] = {"sentence": number, "type": Guess("event")}
    item["id"] = f"{source.doc_id}-{number}-{kind}"
    item["title"] = TODO
    item["kind"] = Guess(kind)
    item["date"] = Guess(when)
    item["place"] = TODO
    _status_and_rest(source, item, sentence, exclude={source.body})
    return item


def _aside(source: Source, number: int, sentence: str, reason: str) -> dict[str, Any]:
    return {
        "sentence": number,
        "type": Guess("not_briefed"),
        "doc": source.doc_id,
        "quote": sentence,
        "reason": Guess(reason),
    }


def draft_items(source: Source, spans: list[Span]) -> list[dict[str, Any]]:
    """One candidate item for every sentence (a claim, talks, or not briefed with a reason),
    and an event beside a sentence that names a dated event: coverage is 100% as drafted."""
    items: list[dict[str, Any]] = []
    for number, span in enumerate(spans, 1):
        sentence = span.text
        reason = aside_reason(sentence, source.title)
        if reason is not None:
            items.append(_aside(source, number, sentence, reason))
            continue
        if talks_sentence(sentence):
            items.append(_talk(source, number, sentence))
        else:
            items.append(_claim(source, number, sentence))
        kind = event_noun(sentence)
        dated = [m for m in _mentions(source, sentence) if m.when != str(source.published)]
        if kind and dated:
            items.append(_event(source, number, sentence, kind, dated[0].when))
    return items


def meeting_header(source: Source, spans: list[Span]) -> dict[str, Any]:
    """A new meeting's fields as far as this document suggests them."""
    claims = [s.text for s in spans if aside_reason(s.text, source.title) is None]
    first = claims[0] if claims else (spans[0].text if spans else TODO)
    days = [
        m.when
        for s in claims
        for m in _mentions(source, s)
        if m.precision in ("day", "range")
        and (source.published is None or m.when[:10] <= str(source.published))
    ]
    header: dict[str, Any] = {"id": source.meeting, "title": TODO}
    header["date"] = (
        Guess(days[0]) if days else (Guess(str(source.published)) if source.published else TODO)
    )
    header["place"] = TODO
    chair = next(
        (
            (n.actor, s)
            for s in claims
            if re.search(r"\bchair(?:ed|s|ing|manship)?\b", s, re.I)
            for n in source.names.named(s)
            if n.actor in source.states
        ),
        None,
    )
    if chair:  # none found: no `chair:`, which says "not given in the sources"
        header["chair"] = Guess({"actor": chair[0], "sources": [_cite(source, chair[1])]})
    header["body"] = Guess(source.body) if source.body else TODO
    header["summary"] = TODO
    header["sources"] = Guess([_cite(source, first)])
    attested: dict[str, str] = {}
    for sentence in claims:
        for naming in source.names.named(sentence):
            if naming.actor in source.states:
                attested.setdefault(naming.actor, sentence)
    participants = [{"actor": a, "sources": [_cite(source, s)]} for a, s in attested.items()]
    header["participants"] = Guess(participants) if participants else TODO
    return header


def _cite(source: Source, sentence: str) -> dict[str, str]:
    return {"doc": source.doc_id, "quote": sentence}


# --- the draft file --------------------------------------------------------------------------

_PREFACE = """\
# Draft of the items that {doc} supports, for meeting {meeting}.
# NOT SERVED: the bot reads meetings.yaml only. Made by `sco-bot knowledge draft`.
#
# Every sentence of the document is one item below (`sentence:` its number), so coverage is
# 100% as drafted: a claim (outcome or position), talks, or not_briefed with a reason; a
# sentence naming a dated event also has an event item. Then:
#   - `{{guess: X}}` is the workbench's guess: write X alone to confirm it, change it, or delete
#     the field. TODO is yours to write (a theme, a topic, a title, a place).
#   - `type:` is outcome, position, event, talk or not_briefed; the other fields are those of
#     meetings.yaml (README: curator's guide). `dates:` lists the date mentions found, resolved
#     against the publication date: a note for `when:` or `date:`, not promoted.
#   - Delete an item you do not want: its sentence then needs another item or a not_briefed one.
# `sco-bot knowledge check` validates this file; `sco-bot knowledge promote drafts/{doc}.yaml`
# moves its items into meetings.yaml once no guess and no TODO is left.
"""


def flow(value: Any) -> str:
    """A value as one line of YAML (flow style; strings JSON-quoted unless plain ids)."""
    if isinstance(value, Guess):
        return "{guess: " + flow(value.value) + "}"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, str):
        return (
            value if value == TODO or _PLAIN.match(value) else json.dumps(value, ensure_ascii=False)
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} in a draft")


def render_draft(source: Source, header: dict[str, Any] | None, items: list[dict[str, Any]]) -> str:
    """The draft file's text: the preface, the document and meeting, then every item."""
    lines = [_PREFACE.format(doc=source.doc_id, meeting=source.meeting).rstrip("\n")]
    lines += [f"doc: {source.doc_id}", f"meeting: {source.meeting}"]
    published = source.published.isoformat() if source.published else TODO
    lines.append(
        f"published: {published}  # from sources/index.yaml: dates are resolved against it"
    )
    if header is not None:
        lines.append("new_meeting:  # the meeting is not in meetings.yaml yet: promote adds it")
        lines += [f"  {key}: {flow(value)}" for key, value in header.items()]
    lines.append("items:")
    for item in items:
        first = True
        for key, value in item.items():
            lines.append(f"  {'- ' if first else '  '}{key}: {flow(value)}")
            first = False
    return "\n".join(lines) + "\n"


def count_open(value: Any) -> tuple[int, int]:
    """Guesses and TODOs in a drafted value."""
    if isinstance(value, Guess):
        return 1, 0
    if value == TODO:
        return 0, 1
    pairs = []
    if isinstance(value, dict):
        pairs = [count_open(v) for v in value.values()]
    elif isinstance(value, list):
        pairs = [count_open(v) for v in value]
    return sum(p[0] for p in pairs), sum(p[1] for p in pairs)


def _published(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _source(directory: Path, doc_id: str, meeting: str) -> Source:
    from bot.curation.workspace import actor_names, actors_of

    _, documents = read_index(directory)
    entry = next((d for d in documents if d.get("id") == doc_id), None)
    if entry is None:
        raise Refusal(f"no document {doc_id!r} in sources/index.yaml (add it with add-source)")
    path = directory / "sources" / str(entry.get("file") or f"{doc_id}.txt")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Refusal(f"the text of {doc_id} ({path.name}) cannot be read: {exc}") from None
    actors = actors_of(directory)
    stance = entry.get("stance")
    return Source(
        doc_id=doc_id,
        meeting=meeting,
        text=text,
        title=str(entry["title"]) if entry.get("title") not in (None, TODO) else None,
        published=_published(entry.get("published")),
        stance=str(stance) if stance not in (None, TODO) else None,
        participant=entry.get("participant"),
        names=actor_names(actors),
        body=next((a["id"] for a in actors if a.get("kind") == "body"), None),
        states=frozenset(a["id"] for a in actors if a.get("kind") == "state"),
    )


def draft_document(directory: Path, doc_id: str, meeting: str) -> Drafted:
    """Write `drafts/<doc_id>.yaml`: every sentence of the document as a candidate item for
    `meeting`; refuse (nothing written) an unknown document or a draft already there."""
    from bot.curation.workspace import drafted_meetings, meetings_of

    if not _SLUG.match(meeting):
        raise Refusal(
            f"meeting id {meeting!r} is not lowercase letters and digits joined by hyphens"
        )
    target = directory / DRAFTS / f"{doc_id}.yaml"
    if target.exists():
        raise Refusal(f"{DRAFTS}/{target.name} exists: edit it, or delete it to draft afresh")
    source = _source(directory, doc_id, meeting)
    spans = sentence_spans(source.text)
    if not spans:
        raise Refusal(f"{doc_id} has no sentences to draft")
    known = {str(m.get("id")) for m in meetings_of(directory)}
    new = meeting not in known and meeting not in drafted_meetings(directory)
    header = meeting_header(source, spans) if new else None
    items = draft_items(source, spans)
    create_file(target, render_draft(source, header, items))
    guesses, todos = count_open([header, items])
    return Drafted(target, len(items), len(spans), guesses, todos, new)
