"""The digest: sourced, dated at its precision, validated with file:line errors."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.knowledge.dates import Precision, parse_when
from bot.knowledge.digest import Digest
from bot.knowledge.loader import load_digest
from bot.knowledge.model import Meeting
from bot.knowledge.text import normalise_quote
from bot.settings import DEFAULT_KNOWLEDGE_DIR
from tests.conftest import TEST_DIGEST, edit, problems

SHARED_SOURCES = Path(__file__).resolve().parents[3] / "shared" / "sources"


def dushanbe(digest: Digest) -> Meeting:
    """The 2021 meeting in Dushanbe, named by its id (never "the only" or "the latest")."""
    return next(m for m in digest.meetings if m.id == "sco-defmin-2021-dushanbe")


def all_citations(digest: Digest) -> list[tuple[str, str]]:
    found = []
    for m in digest.meetings:
        groups = [
            m.sources,
            *[p.sources for p in m.participants],
            *[o.sources for o in m.outcomes],
            *[p.sources for p in m.positions],
            *[e.sources for e in m.events],
            *[t.sources for t in m.talks],
        ]
        found += [(c.doc, c.quote) for g in groups for c in g]
    return found


@pytest.mark.shipped_digest
def test_every_quote_is_verbatim_in_its_source_text(shipped: Digest) -> None:
    digest = shipped
    citations = all_citations(digest)
    assert len(citations) >= 40
    # Meeting-level citations too: the chair's, the numbering's and what is not briefed.
    for m in digest.meetings:
        chair = m.chair.sources if m.chair else ()
        citations += [(c.doc, c.quote) for c in (*chair, *m.number_sources)]
        citations += [(c.doc, c.quote) for c in m.not_briefed]
    for doc_id, quote in citations:
        text = (DEFAULT_KNOWLEDGE_DIR / "sources" / digest.document(doc_id).file).read_text()
        assert normalise_quote(quote) in normalise_quote(text), (doc_id, quote)


@pytest.mark.shipped_digest
def test_sources_are_byte_for_byte_copies_with_attribution(shipped: Digest) -> None:
    digest = shipped
    ids = {d.id: d for d in digest.documents}
    # The 2021 meeting's two accounts (a curator may append other meetings' documents).
    assert {"sco-secretariat-2021-07-28", "chinamil-2021-07-29"} <= set(ids)
    assert ids["sco-secretariat-2021-07-28"].url == "http://eng.sectsco.org/20210728/770367.html"
    assert ids["chinamil-2021-07-29"].published == date(2021, 7, 29)
    if SHARED_SOURCES.is_dir():
        for doc_id in ("sco-secretariat-2021-07-28", "chinamil-2021-07-29"):
            file = ids[doc_id].file
            ours = (DEFAULT_KNOWLEDGE_DIR / "sources" / file).read_bytes()
            assert ours == (SHARED_SOURCES / file).read_bytes()


@pytest.mark.shipped_digest
def test_meeting_facts(shipped: Digest) -> None:
    meeting = dushanbe(shipped)
    assert meeting.number == 18
    assert meeting.date.first == date(2021, 7, 28) and meeting.date.precision is Precision.DAY
    assert meeting.chair is not None and meeting.chair.actor == "tajikistan"
    assert "Dushanbe" in meeting.place
    participants = {p.actor for p in meeting.participants}
    assert {
        "china",
        "tajikistan",
        "pakistan",
        "belarus",
        "russia",
        "kazakhstan",
        "kyrgyzstan",
    } <= participants


@pytest.mark.shipped_digest
def test_outcomes_cover_the_joint_release(shipped: Digest) -> None:
    meeting = dushanbe(shipped)
    text = " ".join(o.summary for o in meeting.outcomes)
    text += " ".join(o.summary for o in meeting.positions)
    for topic in [
        "COVID-19",
        "terroris",
        "World War II",
        "Peace Mission 2021",
        "India and Pakistan",
        "West-2021",
        "Afghanistan",
        "regional partner",
        "2022-2023",
        "Fanfares of Peace",
        "Uzbekistan",
    ]:
        assert topic in text, topic


@pytest.mark.shipped_digest
def test_festival_is_a_day_range_in_pakistan(shipped: Digest) -> None:
    events = {e.id: e for e in dushanbe(shipped).events}
    festival = events["fanfares-of-peace-2021"]
    assert festival.date.precision is Precision.RANGE
    assert (festival.date.first, festival.date.last) == (date(2021, 10, 18), date(2021, 10, 23))
    assert festival.timezone == "Asia/Karachi" and festival.place == "Pakistan"
    nxt = events["sco-defmin-2022-uzbekistan"]
    assert nxt.date.precision is Precision.YEAR and nxt.date.first == date(2022, 1, 1)


@pytest.mark.shipped_digest
def test_china_speech_items_are_attributed_to_wei_fenghe(shipped: Digest) -> None:
    china = [p for p in dushanbe(shipped).positions if p.actor == "china"]
    assert len(china) >= 6
    assert all("Wei Fenghe" in (p.speaker or "") for p in china)
    assert all(c.doc == "chinamil-2021-07-29" for p in china for c in p.sources)


@pytest.mark.parametrize(
    ("value", "precision", "first", "last"),
    [
        ("2021-10-18", Precision.DAY, date(2021, 10, 18), date(2021, 10, 18)),
        (
            {"start": "2021-10-18", "end": "2021-10-23"},
            Precision.RANGE,
            date(2021, 10, 18),
            date(2021, 10, 23),
        ),
        ("2021-10", Precision.MONTH, date(2021, 10, 1), date(2021, 10, 31)),
        ("2024-02", Precision.MONTH, date(2024, 2, 1), date(2024, 2, 29)),
        (2022, Precision.YEAR, date(2022, 1, 1), date(2022, 12, 31)),
        ("unknown", Precision.UNKNOWN, None, None),
    ],
)
def test_dates_keep_their_precision(
    value: object, precision: Precision, first: date | None, last: date | None
) -> None:
    when = parse_when(value)
    assert (when.precision, when.first, when.last) == (precision, first, last)


@pytest.mark.parametrize(
    "value",
    [
        "2021-02-30",
        "2021-13",
        {"start": "2021-10-23", "end": "2021-10-18"},
        "next year",
        True,
        {"start": "2021-10-18"},
    ],
)
def test_bad_dates_are_rejected(value: object) -> None:
    with pytest.raises(ValueError):
        parse_when(value)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(TEST_DIGEST, target)
    return target


LINE = re.compile(r"^knowledge/[\w/]+\.yaml:\d+: \S+: .+$")


def test_every_problem_is_reported_with_file_line_and_path(copy: Path) -> None:
    meetings = copy / "meetings.yaml"
    edit(
        meetings,
        "quote: Tajikistan chaired a meeting of the defence ministers",
        "quote: Tajikistan chaired a meeting of the foreign ministers",
    )
    edit(meetings, "date: 2021-07-28", "date: 2021-07-32")
    edit(meetings, "chair: tajikistan", "chair: atlantis")
    edit(meetings, "timezone: Asia/Karachi", "timezone: Asia/Lahore")
    found = problems(copy)
    assert len(found) == 4, found
    assert all(LINE.match(p) for p in found), found
    lines = meetings.read_text().splitlines()
    by_message = {p.split(": ", 2)[-1]: p for p in found}
    quote = next(p for p in found if "not found verbatim" in p)
    assert "meetings[0].participants[0].sources[0].quote" in quote
    line_no = int(quote.split(":")[1])
    assert "foreign ministers" in lines[line_no - 1]
    assert any("2021-07-32" in m for m in by_message)
    assert any("unknown actor 'atlantis'" in p and "meetings[0].chair" in p for p in found)
    assert any("Asia/Lahore" in p and "timezone" in p for p in found)


def test_structural_errors(copy: Path) -> None:
    meetings = copy / "meetings.yaml"
    edit(meetings, "    number: 18\n", "    number: eighteen\n    colour: blue\n")
    edit(meetings, "      - id: cooperation-plan-2022-2023", "      - id: covid-19-cooperation")
    found = problems(copy)
    assert any("meetings[0].number" in p and "integer" in p for p in found), found
    assert any("meetings[0].colour" in p and "not permitted" in p for p in found), found
    assert any("duplicated id 'covid-19-cooperation'" in p for p in found), found


def test_missing_required_field_and_missing_source_file(copy: Path) -> None:
    edit(copy / "meetings.yaml", "    body: sco-defence-ministers\n", "")
    (copy / "sources" / "chinamil-2021-07-29.txt").unlink()
    found = problems(copy)
    assert any("meetings[0].body: required field is missing" in p for p in found), found
    assert any(
        p.startswith("knowledge/sources/index.yaml:") and "is missing" in p for p in found
    ), found


def test_one_missing_source_file_is_one_problem_not_a_cascade(copy: Path) -> None:
    (copy / "sources" / "chinamil-2021-07-29.txt").unlink()
    found = problems(copy)
    assert len(found) == 1, found
    assert "source file sources/chinamil-2021-07-29.txt is missing" in found[0]


def test_a_quote_not_found_gets_the_closest_passage_and_the_word_that_differs(copy: Path) -> None:
    edit(
        copy / "meetings.yaml",
        "quote: Tajikistan chaired a meeting of the defence ministers",
        "quote: Tajikistan chaired a meeting of the foreign ministers",
    )
    (found,) = problems(copy)
    assert 'closest passage: "Tajikistan chaired a meeting of the defence ministers' in found
    assert "the quote has 'foreign' where the source has 'defence'" in found


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("meetings: [\n", "YAML syntax error"),
        ("", "file is empty"),
        ("!!python/object/apply:os.system ['echo pwned']\n", "unsupported YAML tag"),
        ("meetings: &a [*a]\n", "aliases"),
        ("meetings: 3\n", "meetings"),
    ],
)
def test_unreadable_meetings_file(copy: Path, content: str, expected: str) -> None:
    (copy / "meetings.yaml").write_text(content)
    found = problems(copy)
    assert any(expected in p and p.startswith("knowledge/meetings.yaml:") for p in found), found


def test_a_second_meeting_needs_no_code_change(copy: Path) -> None:
    text = (copy / "meetings.yaml").read_text()
    body = text[text.index("  - id: sco-defmin-2021-dushanbe\n") :]
    second = body.replace("sco-defmin-2021-dushanbe", "sco-defmin-2022-tashkent").replace(
        "date: 2021-07-28", "date: 2022-08-24", 1
    )
    for ident in re.findall(r"- id: ([\w-]+)", body):
        if ident != "sco-defmin-2021-dushanbe":
            second = second.replace(f"id: {ident}\n", f"id: {ident}-2022\n")
    (copy / "meetings.yaml").write_text(text + second)
    digest = load_digest(copy)
    assert [m.id for m in digest.meetings] == [
        "sco-defmin-2021-dushanbe",
        "sco-defmin-2022-tashkent",
    ]


def test_version_is_a_content_hash(copy: Path) -> None:
    before = load_digest(copy).version
    edit(copy / "meetings.yaml", "chair: tajikistan", "chair: tajikistan  # edited")
    assert load_digest(copy).version != before
    assert len(before) == 10
