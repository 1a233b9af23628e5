"""`knowledge review`: a static HTML report of the digest against its sources. Each source
sentence is one unbroken piece of text, marked by what accounts for it (the items citing it,
a reason it is not briefed, or nothing); each item is shown as the bot renders it.

Plain HTML and CSS written by Jinja with HTML autoescaping (no server, no script): hovering a
sentence shows its items in the tooltip, clicking it goes to the first of them."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.curation.files import Refusal, replace_file
from bot.knowledge.coverage import citing_items, coverage
from bot.knowledge.errors import DigestError, Problem
from bot.knowledge.sentences import sentence_spans

if TYPE_CHECKING:
    from bot.knowledge.digest import Digest
    from bot.knowledge.model import Meeting
    from bot.rendering.renderer import Renderer

_PATH = re.compile(r"^meetings\[(\d+)\](?:\.(outcomes|positions|events|talks)\[(\d+)\])?")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")


@dataclass
class Item:
    """Something that cites a source: a claim, an event, talks, a meeting's own citations."""

    id: str
    kind: str
    meeting: str
    rendered: str  # the bot's own line for it, as HTML
    plain: str  # the same as plain text, for tooltips
    quotes: list[tuple[str, str]] = field(default_factory=list)  # (doc, quote)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Sentence:
    """One sentence of a page: its text as stored, its paragraph, what accounts for it."""

    number: int
    text: str
    paragraph: int
    items: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def state(self) -> str:
        """cited, aside (not briefed, with a reason) or missing (unaccounted for)."""
        return "cited" if self.items else "aside" if self.reasons else "missing"


@dataclass(frozen=True)
class ReviewReport:
    """What `review` wrote."""

    directory: Path
    files: tuple[str, ...]
    sentences: int
    unaccounted: int
    warnings: int


def mrkdwn_html(text: str) -> str:
    """The bot's mrkdwn as HTML: escaped, then *bold* and _italics_."""
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    escaped = html.escape(text, quote=False)
    return _ITALIC.sub(r"<em>\1</em>", _BOLD.sub(r"<strong>\1</strong>", escaped))


def _plain(text: str) -> str:
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return _ITALIC.sub(r"\1", _BOLD.sub(r"\1", text))


def _render(renderer: Renderer, context: dict[str, Any]) -> tuple[str, str]:
    text = renderer.text("review_item.j2", context)
    return mrkdwn_html(text), _plain(text)


def _items(digest: Digest, meeting: Meeting, renderer: Renderer) -> dict[str, Item]:
    """Every item of a meeting that cites a source, rendered as the bot renders it."""
    docs, actors = digest.documents_by_id, digest.actors_by_id
    base = {"docs": docs, "actors": actors, "meeting": meeting}
    blank = {"claim": None, "event": None, "talk": None, "participant": None}
    found: dict[str, Item] = {}
    for claim in (c for c in digest.claims if c.meeting.id == meeting.id):
        shown = _render(renderer, {**base, **blank, "claim": claim})
        item = found.setdefault(claim.id, Item(claim.id, claim.kind, meeting.id, "", ""))
        item.rendered += shown[0] + "<br>"  # two reporting documents: two claims
        item.plain += shown[1] + "\n"
    for event in meeting.events:
        found[event.id] = Item(
            event.id, "event", meeting.id, *_render(renderer, {**base, **blank, "event": event})
        )
    for talk in meeting.talks:
        found[talk.id] = Item(
            talk.id, "talk", meeting.id, *_render(renderer, {**base, **blank, "talk": talk})
        )
    for p in meeting.participants:
        ident = f"{meeting.id}:{p.actor}"
        found[ident] = Item(
            ident,
            "participant",
            meeting.id,
            *_render(renderer, {**base, **blank, "participant": p}),
        )
    chair = meeting.chair.sources if meeting.chair else ()
    citations = (*meeting.sources, *chair, *meeting.number_sources)
    found[meeting.id] = Item(
        meeting.id,
        "meeting",
        meeting.id,
        *_render(renderer, {**base, **blank, "citations": citations}),
    )
    for ident, citation in citing_items(meeting):
        if ident in found:
            found[ident].quotes.append((citation.doc, citation.quote))
    return found


def _warnings(digest: Digest, problems: list[Problem], items: dict[str, Item]) -> None:
    """`knowledge check`'s warnings, each on the item it concerns."""
    for problem in problems:
        match = _PATH.match(problem.path)
        if match is None:
            continue
        meeting = digest.meetings[int(match.group(1))]
        target = meeting.id
        if match.group(2):
            target = getattr(meeting, match.group(2))[int(match.group(3))].id
        if target in items:
            items[target].warnings.append(problem.message)


def _html_environment(templates_dir: Path) -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _page(
    digest: Digest, directory: Path, doc_id: str, rows: list[Any], items: dict[str, Item]
) -> dict[str, Any]:
    doc = digest.document(doc_id)
    text = (directory / "sources" / doc.file).read_text(encoding="utf-8")
    spans = sentence_spans(text)
    sentences = [
        Sentence(
            n,
            span.raw,
            text.count("\n", 0, span.start),
            tuple(i for i in row.cited_by if i in items),
            tuple(row.not_briefed),
        )
        for n, (span, row) in enumerate(zip(spans, rows, strict=True), 1)
    ]
    paragraphs: dict[int, list[Sentence]] = {}
    for s in sentences:
        paragraphs.setdefault(s.paragraph, []).append(s)
    counts = {k: sum(1 for s in sentences if s.state == k) for k in ("cited", "aside", "missing")}
    cited = [i for i in items.values() if any(d == doc_id for d, _ in i.quotes)]
    return {
        "doc": doc,
        "file": f"{doc_id}.html",
        "sentences": sentences,
        "paragraphs": list(paragraphs.values()),
        "counts": counts,
        "cited": cited,
        "items": items,
        "item_ids": {i.id for i in cited},
    }


def write_review(
    directory: Path, output: Path, templates: Path, meeting: str | None = None
) -> ReviewReport:
    """Write index.html and a page per source document into `output`."""
    from bot.knowledge.loader import load_digest
    from bot.rendering.renderer import Renderer

    problems: list[Problem] = []
    try:
        digest = load_digest(directory, warnings=problems)
    except DigestError as exc:
        raise Refusal(f"the digest is invalid, fix it first: {exc.problems[0]}") from None
    if meeting is not None and meeting not in {m.id for m in digest.meetings}:
        raise Refusal(f"no meeting {meeting!r} in meetings.yaml")
    renderer = Renderer(templates)
    items: dict[str, Item] = {}
    for m in digest.meetings:
        items.update(_items(digest, m, renderer))
    _warnings(digest, problems, items)
    wanted = _documents(digest, meeting)
    pages = [
        _page(digest, directory, source.doc_id, source.sentences, items)
        for source in coverage(digest, directory)
        if source.doc_id in wanted
    ]
    env = _html_environment(templates)
    output.mkdir(parents=True, exist_ok=True)
    for page in pages:
        replace_file(
            output / page["file"], env.get_template("review/document.html.j2").render(page)
        )
    warned = [i for i in items.values() if i.warnings and (meeting is None or i.meeting == meeting)]
    index = env.get_template("review/index.html.j2").render(
        version=digest.version, meeting=meeting, pages=pages, warned=warned
    )
    replace_file(output / "index.html", index)
    return ReviewReport(
        output,
        ("index.html", *(p["file"] for p in pages)),
        sum(len(p["sentences"]) for p in pages),
        sum(p["counts"]["missing"] for p in pages),
        len(warned),
    )


def _documents(digest: Digest, meeting: str | None) -> set[str]:
    if meeting is None:
        return set(digest.documents_by_id)
    chosen = next(m for m in digest.meetings if m.id == meeting)
    cited = {c.doc for _, c in citing_items(chosen)} | {a.doc for a in chosen.not_briefed}
    return cited | {d.id for d in digest.documents if meeting in d.meetings}
