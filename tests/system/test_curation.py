"""The curator's workbench through the real `sco-bot` command: add-source, draft, check,
promote, each refusing in one line with nothing written."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.curation.dates import date_mentions
from bot.curation.guesses import ActorNames, status_word
from bot.knowledge.loader import load_digest
from bot.knowledge.sentences import sentences
from bot.knowledge.statuses import STATUS_WORDS
from bot.knowledge.versioning import content_version
from testkit import servers
from tests.conftest import PROJECT, TEST_DIGEST

PAGE = PROJECT / "tests" / "workbench" / "wire-page.html"
DOC = "wire-2022-08-24"
MEETING = "sco-defmin-2022-tashkent"
TIMEOUT = 60.0


def sco_bot(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = servers.clean_env(SCO_CACHE_DIR="off")
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT,
        timeout=TIMEOUT,
        check=False,
    )


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """The one line of a refusal (exit 1, nothing on stdout, no traceback)."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def snapshot(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def digest_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "knowledge"
    shutil.copytree(TEST_DIGEST, copy)
    return copy


def add_page(directory: Path) -> None:
    result = sco_bot("knowledge", "add-source", PAGE, "--id", DOC, "--dir", directory)
    assert result.returncode == 0, result.stderr


def fill_index(directory: Path) -> None:
    index = directory / "sources" / "index.yaml"
    text = index.read_text()
    text = text.replace("short: TODO", "short: Example Wire")
    text = text.replace("account: TODO", 'account: "A news agency report (fictional)"')
    text = text.replace("stance: TODO", "stance: third_party")
    index.write_text(text)


def confirmed(text: str) -> str:
    """A draft with every guess taken as it is and every TODO written."""
    lines = []
    for line in text.splitlines():
        if "{guess: " in line:
            head, _, rest = line.partition("{guess: ")
            line = head + rest[:-1]
        lines.append(line.replace("TODO", "Written by the curator"))
    return "\n".join(lines) + "\n"


# --- add-source -----------------------------------------------------------------------------


def test_add_source_stores_the_main_text_and_the_publication_date(digest_dir: Path) -> None:
    import trafilatura

    result = sco_bot("knowledge", "add-source", PAGE, "--id", DOC, "--dir", digest_dir)
    assert result.returncode == 0, result.stderr
    assert f"Added *{DOC}*" in result.stdout and "short, account, stance" in result.stdout
    stored = (digest_dir / "sources" / f"{DOC}.txt").read_text(encoding="utf-8")
    # Exactly as extracted: the bytes quotes are checked against.
    assert stored == trafilatura.extract(PAGE.read_bytes(), include_comments=False)
    assert "ministers agreed to hold a joint counter-terrorist exercise" in stored
    for chrome in ("Subscribe", "Copyright", "Related stories", "Markets close"):
        assert chrome not in stored
    entry = (digest_dir / "sources" / "index.yaml").read_text().split(f"- id: {DOC}")[1]
    # The page says it was modified on 3 September: the publication date is 24 August.
    assert "published: 2022-08-24" in entry and "2022-09-03" not in entry
    assert 'title: "Defence ministers meet in Tashkent"' in entry
    assert 'publisher: "Example Wire"' in entry
    assert "https://wire.example.org/world/2022/08/24/defence-ministers-tashkent" in entry
    assert all(f"{k}: TODO" in entry for k in ("short", "account", "stance"))


def test_add_source_keeps_a_text_file_byte_for_byte(digest_dir: Path, tmp_path: Path) -> None:
    text = "Line one.\r\nThe ministers “agreed”,  twice.  \n"
    given = tmp_path / "Notes 2022.txt"
    given.write_text(text, encoding="utf-8", newline="")
    result = sco_bot("knowledge", "add-source", given, "--dir", digest_dir)
    assert result.returncode == 0, result.stderr
    stored = digest_dir / "sources" / "notes-2022.txt"
    assert stored.read_bytes() == given.read_bytes()
    assert "published: TODO" in (digest_dir / "sources" / "index.yaml").read_text()


def test_add_source_refuses_and_writes_nothing(digest_dir: Path, tmp_path: Path) -> None:
    add_page(digest_dir)
    before = snapshot(digest_dir)
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0\0\x10JFIF\0")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n")
    chrome = tmp_path / "menu.html"
    # A page saved before its script filled it in: no article at all.
    chrome.write_text(
        "<html><head><title>App</title></head><body><div id=root></div>"
        "<script>render()</script></body></html>"
    )
    copy = tmp_path / "same-page.html"
    copy.write_bytes(PAGE.read_bytes())
    cases = {
        binary: "is not text or HTML",
        empty: "is empty",
        chrome: "no article text could be extracted",
        copy: f"has the same text as {DOC}",
    }
    for given, why in cases.items():
        assert why in refused(sco_bot("knowledge", "add-source", given, "--dir", digest_dir))
    used = sco_bot("knowledge", "add-source", empty, "--id", DOC, "--dir", digest_dir)
    assert "already used" in refused(used)
    assert snapshot(digest_dir) == before


# --- draft ------------------------------------------------------------------------------------


def test_draft_accounts_for_every_sentence_with_marked_guesses(digest_dir: Path) -> None:
    add_page(digest_dir)  # its index entry still has TODO fields: draft works all the same
    version = content_version(digest_dir)
    result = sco_bot("knowledge", "draft", DOC, "--meeting", MEETING, "--dir", digest_dir)
    assert result.returncode == 0, result.stderr
    draft = (digest_dir / "drafts" / f"{DOC}.yaml").read_text()
    text = (digest_dir / "sources" / f"{DOC}.txt").read_text()
    for sentence in sentences(text):
        assert f'quote: "{sentence}"' in draft, sentence  # coverage 100% by construction
    assert "new_meeting:" in draft and "chair: {guess: {actor: uzbekistan" in draft
    assert 'reason: {guess: "the headline"}' in draft
    assert '{said: "December this year", date: 2022-12}' in draft
    assert "date: {guess: 2022-12}" in draft  # the exercise, as an event
    assert "actor: {guess: russia}" in draft and "type: {guess: talk}" in draft
    assert "status: {guess: agreed}" in draft and "status: {guess: scheduled}" in draft
    # Drafts are not served: the digest's version does not change.
    assert content_version(digest_dir) == version


def test_date_mentions_keep_the_precision_of_their_words() -> None:
    published = date(2022, 8, 24)
    found = {m.said: m.when for m in date_mentions(
        "They agreed to meet in December this year, on 5 October, in 2023 and on 18-23 "
        "October 2021, 20 years after the 18th meeting.", published
    )}  # fmt: skip
    assert found == {
        "December this year": "2022-12",
        "5 October": "2022-10-05",
        "2023": "2023",
        "18-23 October 2021": "2021-10-18/2021-10-23",
    }


def test_actors_are_named_longest_alias_first_and_never_by_common_words() -> None:
    names = ActorNames(
        [
            ("pakistan", "Pakistan", ["islamic republic of pakistan"]),
            ("republic", "Republic", []),
            ("india", "India", ["in"]),
            ("china", "China", ["wei fenghe", "wei", "cn"]),
        ]
    )
    text = "In the Islamic Republic of Pakistan, Wei Fenghe said so (mod.gov.cn)."
    assert [(n.actor, n.surface) for n in names.named(text)] == [
        ("pakistan", "Islamic Republic of Pakistan"),
        ("china", "Wei Fenghe"),
    ]
    speaker = names.speaker(text)
    assert speaker is not None and speaker.surface == "Wei Fenghe"


def test_status_guess_is_the_word_the_sentence_uses() -> None:
    for sentence in (
        "The ministers agreed to hold their next meeting in 2022.",
        "They approved a new plan.",
        "The exercise, to be held in 2023, was postponed.",
        "The ministers noted the importance of the festival.",
        "The ministers unanimously agreed that the exercise would help.",
    ):
        word = status_word(sentence)
        assert word in STATUS_WORDS and word in sentence, sentence
    # The first in the sentence, and there the longest: never another word for it.
    assert status_word("The exercise, to be held in 2023, was postponed.") == "to be held"
    assert status_word("The ministers noted the importance of the festival.") == "noted"
    assert status_word("The ministers unanimously agreed that it helps.") == "unanimously agreed"
    assert status_word("Nothing of the kind here.") is None


def test_draft_refuses_an_unknown_document_and_an_existing_draft(digest_dir: Path) -> None:
    unknown = sco_bot("knowledge", "draft", "nope", "--meeting", MEETING, "--dir", digest_dir)
    assert "no document 'nope'" in refused(unknown)
    add_page(digest_dir)
    assert (
        sco_bot("knowledge", "draft", DOC, "--meeting", MEETING, "--dir", digest_dir).returncode
        == 0
    )
    again = sco_bot("knowledge", "draft", DOC, "--meeting", MEETING, "--dir", digest_dir)
    assert "exists" in refused(again)


# --- check and promote --------------------------------------------------------------------------


def drafted(digest_dir: Path) -> Path:
    add_page(digest_dir)
    fill_index(digest_dir)
    assert (
        sco_bot("knowledge", "draft", DOC, "--meeting", MEETING, "--dir", digest_dir).returncode
        == 0
    )
    return digest_dir / "drafts" / f"{DOC}.yaml"


def test_check_validates_drafts_with_file_and_line(digest_dir: Path) -> None:
    draft = drafted(digest_dir)
    result = sco_bot("knowledge", "check", digest_dir)
    assert result.returncode == 0, result.stderr
    assert re.search(
        rf"drafts/{DOC}.yaml: draft for {MEETING}, \d+ items, 0 problems; \d+ guesses",
        result.stdout,
    )
    text = draft.read_text()
    broken = text.replace(
        "The next meeting is scheduled for 2023", "The next meeting is set for 2023", 1
    )
    draft.write_text(broken)
    line = broken[: broken.index("is set for 2023")].count("\n") + 1
    result = sco_bot("knowledge", "check", digest_dir)
    assert result.returncode == 1
    assert f"drafts/{DOC}.yaml:{line}: " in result.stderr
    assert "quote not found verbatim" in result.stderr


def test_promote_waits_for_every_guess_then_moves_the_items(digest_dir: Path) -> None:
    draft = drafted(digest_dir)
    meetings_before = (digest_dir / "meetings.yaml").read_text()
    line = refused(sco_bot("knowledge", "promote", f"drafts/{DOC}.yaml", "--dir", digest_dir))
    assert "guess left unconfirmed" in line and "guesses and" in line
    assert (digest_dir / "meetings.yaml").read_text() == meetings_before
    # One guess left is enough to refuse.
    text = confirmed(draft.read_text())
    draft.write_text(text.replace("kind: exercise", "kind: {guess: exercise}"))
    assert "guess left unconfirmed" in refused(
        sco_bot("knowledge", "promote", DOC, "--dir", digest_dir)
    )
    draft.write_text(text)
    result = sco_bot("knowledge", "promote", DOC, "--dir", digest_dir)
    assert result.returncode == 0, result.stderr
    assert not draft.exists()
    after = (digest_dir / "meetings.yaml").read_text()
    assert after.startswith(meetings_before.split("meetings:")[0])  # comments kept
    digest = load_digest(digest_dir)
    meeting = next(m for m in digest.meetings if m.id == MEETING)
    assert meeting.chair.actor == "uzbekistan"
    assert {t.actor for t in meeting.talks} == {"china"}
    assert any(e.date.iso() == "2022-12" for e in meeting.events)
    assert MEETING in digest.document(DOC).meetings
    coverage = sco_bot("knowledge", "coverage", digest_dir)
    assert f"*{DOC}*" in coverage.stdout and "0 unaccounted for" in coverage.stdout.split(DOC)[1]


def test_promote_refuses_what_would_not_validate(digest_dir: Path) -> None:
    draft = drafted(digest_dir)
    draft.write_text(confirmed(draft.read_text()).replace("actor: russia", "actor: atlantis", 1))
    before = snapshot(digest_dir)
    line = refused(sco_bot("knowledge", "promote", DOC, "--dir", digest_dir))
    assert "unknown actor 'atlantis'" in line
    assert snapshot(digest_dir) == before


# --- the meeting added with the workbench (tests/digests/council-2033) --------------------------

COUNCIL_2033 = PROJECT / "tests" / "digests" / "council-2033"
RECEIVED = PROJECT / "tests" / "workbench" / "council-2033"


def test_the_meeting_added_with_the_workbench_is_valid_and_fully_covered() -> None:
    check = sco_bot("knowledge", "check", COUNCIL_2033)
    assert check.returncode == 0, check.stderr
    # The two earlier meetings are two-meetings' own (and its warnings); the third is clean.
    assert "3 meetings" in check.stdout and "meetings[2]" not in check.stdout
    coverage = sco_bot("knowledge", "coverage", COUNCIL_2033)
    assert coverage.returncode == 0 and "(100.0%)" in coverage.stdout


def test_add_source_reproduces_the_stored_texts_and_dates(tmp_path: Path) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(TEST_DIGEST, copy)
    index = (COUNCIL_2033 / "sources" / "index.yaml").read_text()
    for page in sorted(RECEIVED.iterdir()):
        doc = page.stem
        assert sco_bot("knowledge", "add-source", page, "--dir", copy).returncode == 0
        stored = (COUNCIL_2033 / "sources" / f"{doc}.txt").read_bytes()
        assert (copy / "sources" / f"{doc}.txt").read_bytes() == stored, doc
    added = (copy / "sources" / "index.yaml").read_text()
    # The pages' publication dates (not their later "modified" dates), as the digest has them.
    for doc, day in (
        ("mu-mod-2033-05-20", "2033-05-20"),
        ("oceanic-wire-2033-05-21", "2033-05-21"),
    ):
        assert f"published: {day}" in added.split(f"- id: {doc}")[1].split("- id:")[0]
        assert f"published: {day}" in index.split(f"- id: {doc}")[1].split("- id:")[0]


def test_draft_gives_to_the_participants_what_they_said_together(tmp_path: Path) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(COUNCIL_2033, copy)
    (copy / "meetings.yaml").write_text(
        (TEST_DIGEST.parent / "two-meetings" / "meetings.yaml").read_text()
    )
    result = sco_bot("knowledge", "draft", "council-2033-05-20", "--meeting", "m", "--dir", copy)
    assert result.returncode == 0, result.stderr
    items = (copy / "drafts" / "council-2033-05-20.yaml").read_text().split("  - sentence: ")
    naval = next(i for i in items if i.startswith("4\n"))
    # "The ministers agreed to hold the naval review in Mu": an outcome, Mu only mentioned.
    assert "type: {guess: outcome}" in naval and "mentions: {guess: [mu]}" in naval
    assert "voice: {guess: joint}" in naval and "status: {guess: agreed}" in naval


def test_check_and_promote_refuse_an_index_field_left_todo(digest_dir: Path) -> None:
    draft = drafted(digest_dir)
    index = digest_dir / "sources" / "index.yaml"
    text = index.read_text()
    index.write_text(text.replace("short: Example Wire", "short: TODO"))
    line = text[: text.index("short: Example Wire")].count("\n") + 1
    result = sco_bot("knowledge", "check", digest_dir)
    assert result.returncode == 1
    assert f"knowledge/sources/index.yaml:{line}: documents[2].short: TODO left in {DOC}" in (
        result.stderr
    )
    draft.write_text(confirmed(draft.read_text()))
    assert "TODO left in" in refused(sco_bot("knowledge", "promote", DOC, "--dir", digest_dir))
