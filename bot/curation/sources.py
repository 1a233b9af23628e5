"""`knowledge add-source`: a saved web page or a text file becomes a source of the digest.

trafilatura finds the article's main text in a page (no menus, footers or comments) and its
title and publisher in the page's metadata; htmldate its publication date, the original one,
not the date the page was last modified. The text is stored exactly as extracted: the bytes that
quotes are checked against."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.curation.files import Refusal, create_file, replace_file
from bot.knowledge.sentences import sentence_spans
from bot.knowledge.text import normalise_quote

INDEX = "sources/index.yaml"
TODO = "TODO"
MAX_BYTES = 20 * 1024 * 1024
LATEST_DATE = "2199-12-31"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)


@dataclass(frozen=True)
class Extracted:
    """What a saved file gives: its text and whatever it says about itself."""

    text: str
    html: bool
    title: str | None = None
    publisher: str | None = None
    published: date | None = None
    url: str | None = None


@dataclass(frozen=True)
class AddedSource:
    """A source added: its id, the file written and the index fields still to fill."""

    doc_id: str
    file: Path
    words: int
    sentences: int
    filled: tuple[str, ...]
    todo: tuple[str, ...]
    html: bool


def is_html(raw: bytes, name: str) -> bool:
    """A saved web page, by its name or by how it starts."""
    return Path(name).suffix.lower() in _HTML_SUFFIXES or bool(_HTML_START.match(raw[:4096]))


def extract(raw: bytes, name: str) -> Extracted:
    """The text of a saved page or text file, and the page's title, publisher, date, address."""
    if b"\0" in raw:
        raise Refusal(f"{name} is not text or HTML (it holds binary data)")
    if is_html(raw, name):
        return _from_html(raw, name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refusal(f"{name} is not text or HTML (not UTF-8 text)") from None
    if not text.strip():
        raise Refusal(f"{name} is empty: nothing to add")
    return Extracted(text=text, html=False)


def _from_html(raw: bytes, name: str) -> Extracted:
    import htmldate
    import trafilatura

    # The libraries log what they discard ("discarding data: None"): the refusal says it once.
    for library in ("trafilatura", "htmldate", "courlan"):
        logging.getLogger(library).setLevel(logging.ERROR)
    text = trafilatura.extract(raw, include_comments=False, include_tables=True)
    if not text or not text.strip():
        raise Refusal(f"no article text could be extracted from {name}")
    meta = trafilatura.extract_metadata(raw)
    # htmldate's default latest date is today (it reads the clock); a page is taken as it says.
    found = htmldate.find_date(
        raw, original_date=True, outputformat="%Y-%m-%d", max_date=LATEST_DATE
    )
    published = date.fromisoformat(found) if found else None
    url = meta.url if meta is not None and meta.url and meta.url.startswith("http") else None
    return Extracted(
        text=text,
        html=True,
        title=(meta.title or None) if meta is not None else None,
        publisher=(meta.sitename or None) if meta is not None else None,
        published=published,
        url=url,
    )


def slug_of(name: str) -> str:
    """A document id from a file name: `TASS 2022-08-24.html` -> `tass-2022-08-24`."""
    return re.sub(r"[^a-z0-9]+", "-", Path(name).stem.casefold()).strip("-")[:80]


def read_index(directory: Path) -> tuple[str, list[dict[str, Any]]]:
    """sources/index.yaml as text and its documents (an absent index has none)."""
    import yaml

    path = directory / INDEX
    if not path.exists():
        return "documents:\n", []
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise Refusal(f"{INDEX} cannot be read as YAML ({exc.__class__.__name__})") from None
    documents = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(documents, list):
        raise Refusal(f"{INDEX} has no `documents:` list")
    return text, [d for d in documents if isinstance(d, dict)]


def _same_text(directory: Path, text: str, documents: list[dict[str, Any]]) -> str | None:
    """The id (or file) of a stored source with the same content, whitespace aside."""
    wanted = normalise_quote(text)
    owners = {str(d.get("file")): str(d.get("id")) for d in documents}
    for path in sorted((directory / "sources").glob("*.txt")):
        if normalise_quote(path.read_text(encoding="utf-8", errors="replace")) == wanted:
            return owners.get(path.name, f"sources/{path.name}")
    return None


def index_entry(doc_id: str, found: Extracted, origin: str) -> tuple[str, tuple[str, ...]]:
    """The YAML lines of a new index entry (free text as JSON strings, valid YAML), and the
    fields left `TODO`."""
    values: dict[str, str | None] = {
        "title": found.title,
        "publisher": found.publisher,
        "short": None,
        "published": found.published.isoformat() if found.published else None,
        "url": found.url,
        "account": None,
        "stance": None,
    }
    lines = [
        f"  # added by `sco-bot knowledge add-source {origin}`: replace each TODO",
        f"  - id: {doc_id}",
        f"    file: {doc_id}.txt",
    ]
    for key, value in values.items():
        shown = TODO if value is None else value
        if value is not None and key not in ("published",):
            shown = json.dumps(value, ensure_ascii=False)
        lines.append(f"    {key}: {shown}")
    todo = tuple(k for k, v in values.items() if v is None)
    return "\n".join(lines) + "\n", todo


def add_source(directory: Path, file: Path, doc_id: str | None = None) -> AddedSource:
    """Store the text of `file` as a new source of the digest in `directory`, with its index
    entry; refuse (nothing written) a file that is neither text nor HTML, an empty extraction,
    an id already used and a text already stored."""
    from bot.knowledge.validation import NotARegularFile, read_regular_file

    try:
        raw = read_regular_file(file, MAX_BYTES)
    except (OSError, NotARegularFile) as exc:
        raise Refusal(f"{file}: {getattr(exc, 'strerror', None) or exc}") from None
    doc_id = doc_id or slug_of(file.name)
    if not _SLUG.match(doc_id) or len(doc_id) > 80:
        raise Refusal(f"id {doc_id!r} is not lowercase letters and digits joined by hyphens")
    index_text, documents = read_index(directory)
    target = directory / "sources" / f"{doc_id}.txt"
    if any(d.get("id") == doc_id for d in documents) or target.exists():
        raise Refusal(f"id {doc_id!r} is already used in {INDEX}: give another with --id")
    found = extract(raw, file.name)
    owner = _same_text(directory, found.text, documents)
    if owner is not None:
        raise Refusal(f"{file.name} has the same text as {owner}, already in sources/")
    entry, todo = index_entry(doc_id, found, file.name)
    new_index = _appended(index_text, entry, doc_id, len(documents))
    create_file(target, found.text)
    try:
        replace_file(directory / INDEX, new_index)
    except BaseException:
        target.unlink()  # the text without its entry would be a half-done add
        raise
    spans = sentence_spans(found.text)
    filled = tuple(k for k in ("title", "publisher", "published", "url") if k not in todo)
    return AddedSource(
        doc_id, target, len(found.text.split()), len(spans), filled, todo, found.html
    )


def _appended(index_text: str, entry: str, doc_id: str, count: int) -> str:
    """The index with the entry appended to its documents list, checked by reading it back."""
    import yaml

    text = index_text if index_text.endswith("\n") else index_text + "\n"
    text += entry
    try:
        documents = yaml.safe_load(text)["documents"]
        appended = documents[-1]["id"] == doc_id and len(documents) == count + 1
    except (yaml.YAMLError, KeyError, TypeError, IndexError):
        appended = False
    if not appended:
        raise Refusal(f"{INDEX} does not end with its documents list: add the entry by hand")
    return text
