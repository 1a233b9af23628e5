"""Meta-tests: every subcommand has help and a template; every template renders; limits hold."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.commands.parsing import parse
from bot.commands.registry import SUBCOMMANDS
from bot.pipeline import Pipeline
from bot.rendering.blocks import (
    MAX_BLOCKS,
    MAX_CONTEXT_ELEMENTS,
    MAX_HEADER,
    MAX_SECTION,
    Message,
    paginate,
    parse_blocks,
)
from bot.rendering.mrkdwn import escape_mrkdwn
from bot.rendering.terminal import to_terminal
from bot.settings import DEFAULT_TEMPLATES_DIR
from tests.slack_payloads import without_dates

NOWS = [
    "2021-07-27T12:00+00:00",
    "2021-07-29T00:00+00:00",
    "2021-10-20T08:00+00:00",
    "2022-06-01T00:00+00:00",
    "2026-11-23T10:00+00:00",
]
TEXTS = [
    "",
    "brief",
    "brief sco-defmin-2021-dushanbe",
    "brief nope",
    "positions",
    "positions china",
    "positions ministers",
    "positions russia",
    "positions pakistan",
    "positions nobody",
    "upcoming",
    "sources",
    "help",
    "frobnicate",
    "brief public",
]
LIVE = re.compile(r"<[!@#]|<https?:|<mailto:")


def assert_within_limits(message: Message) -> None:
    payload = message.payload()
    assert payload["text"].strip()
    assert 0 < len(payload["blocks"]) <= MAX_BLOCKS
    for block in payload["blocks"]:
        if block["type"] == "header":
            assert 0 < len(block["text"]["text"]) <= MAX_HEADER
            assert block["text"]["type"] == "plain_text"
        elif block["type"] == "section":
            assert 0 < len(block["text"]["text"]) <= MAX_SECTION
        elif block["type"] == "context":
            assert 0 < len(block["elements"]) <= MAX_CONTEXT_ELEMENTS
        else:
            assert block["type"] in ("divider", "actions")


def test_every_subcommand_has_help_and_a_template() -> None:
    for name, sub in SUBCOMMANDS.items():
        assert (DEFAULT_TEMPLATES_DIR / sub.template).is_file(), name
        usage = DEFAULT_TEMPLATES_DIR / "usage" / f"{name}.j2"
        assert usage.is_file(), name
        assert f"/sco {name}" in usage.read_text()


def test_help_lists_every_subcommand(pipeline: Pipeline) -> None:
    text = to_terminal(pipeline.respond("help", datetime.now(UTC)).messages)
    for name in SUBCOMMANDS:
        assert f"/sco {name}" in text


@pytest.mark.parametrize("now", NOWS)
@pytest.mark.parametrize("text", TEXTS)
def test_every_template_renders_against_the_digest(pipeline: Pipeline, text: str, now: str) -> None:
    answer = pipeline.respond(text, datetime.fromisoformat(now))
    for message in answer.messages:
        assert_within_limits(message)
        assert "None" not in json.dumps(message.payload())
    assert answer.public == text.endswith("public")


def test_every_template_file_is_used() -> None:
    used = {s.template for s in SUBCOMMANDS.values()} | {
        "not_found.j2",
        "brief_summary.j2",
        "welcome.j2",
        "not_delivered.j2",
        "calendar_event.j2",
        "whats_new.j2",
        "follow_form.j2",
        "positions_summary.j2",
        "nothing_yet.j2",
        "error.j2",
        "actors.j2",
        "_macros.j2",
        "reminder.j2",
        "reminder_broken.j2",
        "cli_plan.j2",
        "cli_sync.j2",
        "cli_coverage.j2",
        # The curator's workbench (tests/system: test_curation.py, knowledge/test_changes.py,
        # curation/test_review.py).
        "cli_add_source.j2",
        "cli_draft.j2",
        "cli_promote.j2",
        "cli_diff.j2",
        "cli_review.j2",
        "review_item.j2",
        "digest_invalid.j2",
        "truncated.j2",
        "answer.j2",  # the hits of `ask.j2`, included
        # The Slack surfaces (tests/slack/slack/test_listeners.py): buttons, the Home tab, modals.
        "share.j2",
        "home.j2",
        "reply_modal.j2",
        "remind_form.j2",
        "remind_form_error.j2",
        "remind_form_loading.j2",  # opened at once while users.info answers (issue 25)
    }
    on_disk = {p.name for p in DEFAULT_TEMPLATES_DIR.glob("*.j2")}
    assert on_disk == used


def test_brief_reads_as_a_briefing(pipeline: Pipeline) -> None:
    text = to_terminal(pipeline.respond("brief", datetime(2021, 7, 29, tzinfo=UTC)).messages)
    assert "18th meeting of the SCO Council of Defence Ministers" in text
    assert (
        "28 July 2021" in text and "Dushanbe, Tajikistan" in text and "Chair:* Tajikistan" in text
    )
    assert "Fanfares of Peace festival of military orchestras* — 18–23 October 2021" in text
    assert "in 81 days" in text
    assert "2022 (day not given)" in text
    assert "http://eng.sectsco.org/20210728/770367.html" in text
    assert "_(SCO Secretariat, 28 Jul 2021)_" in text
    assert "_(China Military Online, 29 Jul 2021)_" in text


def test_positions_attribute_speaker_source_and_date(pipeline: Pipeline) -> None:
    text = to_terminal(
        pipeline.respond("positions china", datetime(2021, 8, 1, tzinfo=UTC)).messages
    )
    # A v1 digest gives no stance: the document is reported as a third party, citing the speaker.
    assert "China Military Online, 29 Jul 2021 reports, citing Wei Fenghe" in text
    assert "At the 18th meeting of the SCO Council of Defence Ministers, Dushanbe" in text
    assert "“China has never bullied any other country" in text


def test_upcoming_in_2026_says_so_and_shows_recent_events(pipeline: Pipeline) -> None:
    text = to_terminal(pipeline.respond("upcoming", datetime(2026, 11, 23, tzinfo=UTC)).messages)
    assert "Nothing in the digest lies ahead" in text
    # No document says the festival took place: its passed date is said as such, not "ended".
    line = next(x for x in text.splitlines() if "Fanfares of Peace" in x)
    assert "date passed; the sources do not say it took place" in line
    assert "ended" not in line


def test_unknown_actor_is_helpful(pipeline: Pipeline) -> None:
    text = to_terminal(
        pipeline.respond("positions chnia", datetime(2021, 8, 1, tzinfo=UTC)).messages
    )
    assert "No actor called “chnia”" in text and "Did you mean `china`" in text


HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U012ABC>",
    "<!subteam^S123|@team>",
    "<https://evil.example|https://sco.int>",
    "&lt;!channel&gt;",
    "a & b > c < d",
    "::header\nowned",
    "\u202e<!channel>",
    "x" * 10_000,
    "\x00\x1b[31m<!here>",
]


@pytest.mark.parametrize("payload", HOSTILE)
@pytest.mark.parametrize("sub", ["", "positions ", "brief ", "upcoming ", "sources ", "help "])
def test_user_text_never_becomes_live_mrkdwn(pipeline: Pipeline, sub: str, payload: str) -> None:
    answer = pipeline.respond(sub + payload, datetime(2021, 8, 1, tzinfo=UTC))
    for message in answer.messages:
        assert_within_limits(message)
        dumped = without_dates(json.dumps(message.payload(), ensure_ascii=False))
        assert not LIVE.search(dumped.replace("<http://eng.", "").replace("<https://eng.", "")), (
            dumped[:500]
        )


def test_escape_is_exactly_three_characters() -> None:
    assert escape_mrkdwn('Tom\'s <b> & "q"') == 'Tom\'s &lt;b&gt; &amp; "q"'


def test_long_content_is_split_not_rejected() -> None:
    source = (
        "::header\n"
        + "H" * 400
        + "\n::section\n"
        + ("line of text\n" * 600)
        + "::context\n"
        + "\n".join(f"c{i}" for i in range(25))
        + "\n"
        + "".join("::divider\n::section\nx\n" for _ in range(60))
    )
    blocks: list[dict[str, Any]] = parse_blocks(source)
    pages = paginate(blocks)
    assert len(pages) >= 3
    for page in pages:
        assert_within_limits(page)
    assert (
        sum(
            b["text"]["text"].count("line of text")
            for p in pages
            for b in p.blocks
            if b["type"] == "section"
        )
        == 600
    )


def test_parse_public_and_aliases() -> None:
    assert parse("/brief").name == "help"
    assert parse("BRIEF Public") == parse("brief public")
    assert parse("brief public").public and parse("pos china").name == "positions"
    assert parse("positions people's republic of china").args == (
        "people's",
        "republic",
        "of",
        "china",
    )
    assert parse("wat").unknown == "wat"
