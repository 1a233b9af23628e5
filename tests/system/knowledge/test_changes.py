"""`knowledge diff`: the changes between two digests as data (the pure function the "what's new"
messages will share), in the terminal and as JSON, between directories or git revisions."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.knowledge.changes import Change, diff_digests
from bot.knowledge.loader import load_digest
from tests.conftest import TEST_DIGEST
from tests.system.test_curation import refused, sco_bot

PLAN = "They approved a new Plan for Cooperation between the SCO Defence Ministries for 2022-2023."


def edited(tmp_path: Path) -> Path:
    """The test digest with a status, a quote, a date, a supersession and a voice changed, an
    event removed and a position added."""
    copy = tmp_path / "new"
    shutil.copytree(TEST_DIGEST, copy)
    meetings = copy / "meetings.yaml"
    text = meetings.read_text()
    text = text.replace(
        "        kind: decision\n        summary: They approved a new Plan",
        "        kind: decision\n        status: approved\n        voice: speech\n"
        "        summary: They approved a new Plan",
    )
    text = text.replace(
        f"            quote: {PLAN}", "            quote: They approved a new Plan for Cooperation"
    )
    text = text.replace(
        "        date: 2022\n        place: Uzbekistan",
        "        date: 2022-Q3\n        place: Uzbekistan",
    )
    west = text.index("      - id: west-2021\n")
    text = text[:west] + text[text.index("      - id: fanfares-of-peace-2021\n") :]
    text = text.replace(
        "        place: Pakistan\n",
        "        place: Pakistan\n        supersedes: peace-mission-2021\n",
    )
    text = text.replace(
        "    positions:\n",
        "    positions:\n      - id: russia-plan\n        actor: russia\n        topic: Plan\n"
        f"        summary: Russia approved the plan.\n        sources:\n"
        f"          - doc: sco-secretariat-2021-07-28\n            quote: {PLAN}\n",
        1,
    )
    meetings.write_text(text)
    return copy


def one(changes: list[Change]) -> Change:
    assert len(changes) == 1, changes
    return changes[0]


def test_diff_says_what_was_added_removed_and_changed(tmp_path: Path) -> None:
    changes = diff_digests(load_digest(TEST_DIGEST), load_digest(edited(tmp_path)))
    plan = one([c for c in changes.of("outcome") if c.id == "cooperation-plan-2022-2023"])
    fields = {f.name: (f.old, f.new) for f in plan.fields}
    assert plan.action == "changed" and plan.meeting == "sco-defmin-2021-dushanbe"
    assert fields["status"] == (None, "approved")
    assert fields["voice"] == ("third_party", "speech")  # the voice shown, derived or written
    old_quote, new_quote = fields["quote"]
    assert old_quote is not None and PLAN in old_quote
    assert new_quote == "sco-secretariat-2021-07-28: “They approved a new Plan for Cooperation”"
    placeholder = one(
        [c for c in changes.of("event", "changed") if c.id == "sco-defmin-2022-uzbekistan"]
    )
    assert [(f.name, f.old, f.new) for f in placeholder.fields] == [("date", "2022", "2022-Q3")]
    festival = one([c for c in changes.of("event", "changed") if c.id == "fanfares-of-peace-2021"])
    assert [(f.name, f.old, f.new) for f in festival.fields] == [
        ("supersedes", None, "peace-mission-2021")
    ]
    assert one(changes.of("event", "removed")).id == "west-2021"
    added = one(changes.of("position", "added"))
    assert (added.id, added.label) == ("russia-plan", "Russia approved the plan.")
    assert changes.of("document") == [] and changes.of("meeting") == []
    assert changes.counts()["event"] == {"changed": 2, "removed": 1}


def test_no_change_is_an_empty_diff() -> None:
    digest = load_digest(TEST_DIGEST)
    assert diff_digests(digest, digest).changes == ()


def test_diff_in_the_terminal_and_as_json(tmp_path: Path) -> None:
    new = edited(tmp_path)
    text = sco_bot("knowledge", "diff", TEST_DIGEST, new)
    assert text.returncode == 0, text.stderr
    assert "~ *outcome* `cooperation-plan-2022-2023` changed" in text.stdout
    assert "    status: (none) → approved" in text.stdout
    assert "- *event* `west-2021` removed" in text.stdout
    data = json.loads(sco_bot("knowledge", "diff", TEST_DIGEST, new, "--format", "json").stdout)
    assert data["counts"]["position"] == {"added": 1}
    west = next(c for c in data["changes"] if c["id"] == "west-2021")
    assert west == {
        "kind": "event",
        "id": "west-2021",
        "action": "removed",
        "label": "West-2021 joint strategic exercise",
        "meeting": "sco-defmin-2021-dushanbe",
        "fields": [],
    }


def test_diff_as_news_is_the_post_a_following_channel_gets(tmp_path: Path) -> None:
    from testkit.questions import three_meetings
    from tests.conftest import TWO_MEETINGS

    new = three_meetings(tmp_path / "three")
    later = sco_bot(
        "knowledge", "diff", TWO_MEETINGS, new, "--format", "news", "--at", "2033-06-01"
    )
    assert later.returncode == 0, later.stderr
    assert later.stdout.startswith("What's new in the digest")
    assert "New meeting: 2033 meeting of the Defence Council in Rinnhaven" in later.stdout
    assert "(joint release · Council Secretariat, 11 May 2033)" in later.stdout
    assert "*" not in later.stdout  # piped: plain text
    # Before its documents came out, the same change tells nobody anything.
    early = sco_bot(
        "knowledge", "diff", TWO_MEETINGS, new, "--format", "news", "--at", "2033-05-01"
    )
    assert early.stdout.startswith("Nothing new as of this time")


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        check=True,
        capture_output=True,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_of_git_revisions(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    knowledge = repo / "knowledge"
    shutil.copytree(TEST_DIGEST, knowledge)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "first")
    meetings = knowledge / "meetings.yaml"
    meetings.write_text(
        meetings.read_text().replace("        date: 2022\n", "        date: 2022-08\n")
    )
    # Uncommitted: HEAD against the directory as it is.
    result = sco_bot("knowledge", "diff", "--dir", knowledge)
    assert result.returncode == 0, result.stderr
    assert "    date: 2022 → 2022-08" in result.stdout
    git(repo, "commit", "-qam", "second")
    between = sco_bot("knowledge", "diff", "HEAD~1", "HEAD", "--dir", knowledge, "--format", "json")
    assert json.loads(between.stdout)["counts"] == {"event": {"changed": 1}}
    assert "no-such-revision" in refused(
        sco_bot("knowledge", "diff", "no-such-revision", "--dir", knowledge)
    )
