"""Hostile user text through the real pipeline and the real Bolt app: nothing goes live.

Every text in tests/hostile_corpus.py goes behind every subcommand prefix through
`Pipeline.answer` (the pipeline Slack and the terminal share), a subset through signed requests
dispatched by the production Bolt app, and hypothesis throws arbitrary Unicode at both the
parser and the whole pipeline. Nothing of ours is mocked.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot.clock import Clock
from bot.commands.parsing import parse
from bot.commands.registry import SUBCOMMANDS
from bot.pipeline import Pipeline
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.listeners.actions import menu_command
from bot.slack.payloads import button_value, safe_command
from testkit.fakeslack import FakeSlack, block_kit_problems, view_problems
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, signed_headers, slash_body
from tests.hostile_corpus import (
    HOSTILE_FRAGMENTS,
    HOSTILE_TEXTS,
    ODD_VALUES,
    SUBCOMMAND_PREFIXES,
    SURFACE_INPUTS,
    describe,
)
from tests.slack_payloads import (
    block_actions,
    button,
    choice,
    interaction_body,
    view_submission,
    without_dates,
)

NOWS = [
    datetime(2021, 7, 29, 9, 0, tzinfo=UTC),  # the day after the meeting: events ahead
    datetime(2026, 11, 23, 10, 0, tzinfo=UTC),  # everything past
]
SUFFIXES = ("", " public")

# Slack's live syntax: mentions, broadcasts, channel links, dates, and links of any scheme.
LIVE = re.compile(r"<(?:[!@#]|mailto:|javascript:|https?:|tel:|ftp:|file:|data:|slack:)", re.I)
# The only links the bot may write are its own source documents', from the digest.
OWN_SOURCE_HOSTS = ("eng.sectsco.org", "eng.chinamil.com.cn")
_OWN_LINK = re.compile(r"<(https?://([^/\s<>|]+)/[^\s<>|]*)\|")


def _invisible(char: str) -> bool:
    # Format characters (zero-width space/joiner, BOM, bidi controls, soft hyphen) and the
    # combining grapheme joiner: a reader cannot see them, so a mention split by one is still
    # a mention attempt.
    return unicodedata.category(char) == "Cf" or char == "\u034f"


def strip_invisible(text: str) -> str:
    return "".join(c for c in text if not _invisible(c))


def live_syntax(payload: dict[str, Any], own_urls: frozenset[str]) -> list[str]:
    """Every live-syntax opening in the serialised payload that is not one of our own links,
    also after removing invisible characters (a zero-width-split `<!chan\\u200bnel>`)."""
    dumped = without_dates(json.dumps(payload, ensure_ascii=False))
    found = []
    for variant in (dumped, strip_invisible(dumped)):
        for match in LIVE.finditer(variant):
            own = _OWN_LINK.match(variant, match.start())
            if own and own.group(1) in own_urls and own.group(2) in OWN_SOURCE_HOSTS:
                continue
            found.append(variant[max(0, match.start() - 30) : match.start() + 50])
    return found


@pytest.fixture(scope="module")
def own_urls(pipeline: Pipeline) -> frozenset[str]:
    urls = frozenset(d.url for d in pipeline.digest().documents)
    assert urls and all(any(h in u for h in OWN_SOURCE_HOSTS) for u in urls)
    return urls


def auto_linked(payload: dict[str, Any]) -> list[str]:
    """Every mrkdwn text object Slack would auto-link in: without `verbatim: true`, Slack turns
    plain URLs, `www.` names, `#channel` names and some `@` mentions into live ones."""
    found = []
    for block in payload.get("blocks") or []:
        objects = [block.get("text") or {}, *block.get("elements", ())]
        for obj in objects:
            if obj.get("type") == "mrkdwn" and obj.get("verbatim") is not True:
                found.append(str(obj.get("text"))[:60])
    return found


def check_reply(payloads: list[dict[str, Any]], own_urls: frozenset[str], text: str) -> None:
    assert payloads, describe(text)
    for payload in payloads:
        problems = block_kit_problems(payload)
        assert not problems, (describe(text), problems)
        leaks = live_syntax(payload, own_urls)
        assert not leaks, (describe(text), leaks)
        assert auto_linked(payload) == [], describe(text)


def test_the_corpus_covers_what_it_should() -> None:
    assert len(HOSTILE_TEXTS) >= 60
    joined = "\n".join(HOSTILE_TEXTS)
    for needle in (
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<!here|here>",
        "<@U012ABC>",
        "<@W123|bob>",
        "<!subteam^S123|@team>",
        "<#C123|general>",
        "<https://evil.example|https://sco.int>",
        "<mailto:a@b|x>",
        "<javascript:alert(1)|x>",
        "&lt;!channel&gt;",
        "&amp;lt;",
        "<!chan\u200bnel>",
        "\u200d",
        "\ufeff",
        "\u202e",
        "\u2066",
        "\x00",
        "\x1b[31m",
        "\r\n",
        "\t",
        "::section",
        "```",
    ):
        assert needle in joined, repr(needle)
    assert any(len(t) >= 10_000 for t in HOSTILE_TEXTS)
    for sub in ("brief", "positions", "upcoming", "sources", "help", "remind"):
        assert f"{sub} " in SUBCOMMAND_PREFIXES
    for action in ("on", "off", "status"):
        assert f"remind {action} " in SUBCOMMAND_PREFIXES
    assert {p.split()[0] for p in SUBCOMMAND_PREFIXES if p} == set(SUBCOMMANDS)


# --- the pipeline: every hostile text behind every subcommand -----------------------------------

TRIED: list[int] = []


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=describe)
def test_hostile_text_behind_every_subcommand_stays_inert(
    pipeline: Pipeline, own_urls: frozenset[str], text: str
) -> None:
    tried = 0
    for prefix in SUBCOMMAND_PREFIXES:
        for suffix in SUFFIXES:
            for now in NOWS:
                typed = prefix + text + suffix
                answer = pipeline.respond(typed, now)
                check_reply([m.payload() for m in answer.messages], own_urls, typed)
                tried += 1
    TRIED.append(tried)


def test_report_how_many_hostile_inputs_were_tried() -> None:
    per_text = len(SUBCOMMAND_PREFIXES) * len(SUFFIXES) * len(NOWS)
    print(
        f"\nhostile inputs: {len(HOSTILE_TEXTS)} texts x {len(SUBCOMMAND_PREFIXES)} subcommand "
        f"prefixes = {len(HOSTILE_TEXTS) * len(SUBCOMMAND_PREFIXES)} combinations "
        f"(x {len(SUFFIXES)} with/without `public` x {len(NOWS)} clocks = "
        f"{len(HOSTILE_TEXTS) * per_text} pipeline answers; {sum(TRIED)} ran in this session)"
    )


def test_a_zero_width_split_mention_is_not_reassembled(pipeline: Pipeline) -> None:
    # The user's invisible characters are kept (or dropped) but never let `<` through.
    for text in ("positions <!chan\u200bnel>", "<\u200b!here>", "brief <@\u2060U1>"):
        dumped = json.dumps(
            [m.payload() for m in pipeline.respond(text, NOWS[0]).messages], ensure_ascii=False
        )
        assert "&lt;" in dumped
        assert not re.search(r"<[!@#]", without_dates(strip_invisible(dumped))), dumped[:300]


# Issue 12, item 9: with no `<` at all, these still went live, auto-linked by Slack.
PLAIN_AUTOLINKABLE = [
    "@here",
    "@channel",
    "@everyone",
    "#general",
    "http://evil.example/x",
    "https://evil.example",
    "www.evil.example",
    "evil.example/login",
    "mail someone@evil.example",
]


@pytest.mark.parametrize("text", PLAIN_AUTOLINKABLE)
def test_plain_mentions_channels_and_urls_are_echoed_verbatim(
    pipeline: Pipeline, own_urls: frozenset[str], text: str
) -> None:
    for prefix in SUBCOMMAND_PREFIXES:
        answer = pipeline.respond(prefix + text, NOWS[0])
        payloads = [m.payload() for m in answer.messages]
        check_reply(payloads, own_urls, prefix + text)
        mrkdwn = [
            obj
            for payload in payloads
            for block in payload["blocks"]
            for obj in [block.get("text") or {}, *block.get("elements", ())]
            if obj.get("type") == "mrkdwn"
        ]
        assert mrkdwn and all(obj["verbatim"] is True for obj in mrkdwn)


# --- the Bolt app: signed requests, dispatched -------------------------------------------------


@pytest.fixture(scope="module")
def slack_app(pipeline: Pipeline) -> Iterator[App]:
    with FakeSlack().serve_quickly() as fake:
        settings = Settings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=fake.api_url,
        )
        yield create_app(
            services=Services(settings, Clock(start=NOWS[0]), pipeline.digest, pipeline.renderer)
        )


DISPATCHED = [t for i, t in enumerate(HOSTILE_TEXTS) if "<" in t or "&" in t or i % 3 == 0]


@pytest.mark.parametrize("prefix", SUBCOMMAND_PREFIXES, ids=lambda p: p.strip() or "bare")
def test_hostile_text_through_the_bolt_app_stays_inert(
    slack_app: App, own_urls: frozenset[str], prefix: str
) -> None:
    for text in DISPATCHED:
        typed = prefix + text
        body = slash_body(typed)
        response = slack_app.dispatch(BoltRequest(body=body, headers=signed_headers(body)))
        assert response.status == 200, (describe(typed), response.status, response.body[:200])
        body = without_dates(response.body)
        assert not re.search(r"<[!@#]", body), (describe(typed), response.body[:300])
        payload = json.loads(response.body)
        assert payload["response_type"] in ("ephemeral", "in_channel")
        check_reply([{k: payload[k] for k in ("text", "blocks")}], own_urls, typed)


def test_report_how_many_requests_were_dispatched() -> None:
    print(
        f"\ndispatched through Bolt: {len(DISPATCHED)} hostile texts x "
        f"{len(SUBCOMMAND_PREFIXES)} prefixes = {len(DISPATCHED) * len(SUBCOMMAND_PREFIXES)}"
    )
    assert len(DISPATCHED) >= 30


# --- property-based ------------------------------------------------------------------------------

_mixed = st.lists(
    st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE_FRAGMENTS)), max_size=12
).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_parse_never_raises_and_names_a_known_subcommand(text: str) -> None:
    request = parse(text)
    assert request.name in SUBCOMMANDS
    assert all(isinstance(a, str) and a for a in request.args)


@settings(max_examples=200, deadline=None)
@given(text=st.text(), now=st.sampled_from(NOWS))
def test_any_text_gives_an_inert_reply_within_limits(
    pipeline: Pipeline, own_urls: frozenset[str], text: str, now: datetime
) -> None:
    answer = pipeline.respond(text, now)
    check_reply([m.payload() for m in answer.messages], own_urls, text)


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.sampled_from(SUBCOMMAND_PREFIXES),
    text=st.one_of(st.text(), _mixed),
    suffix=st.sampled_from(SUFFIXES),
    now=st.sampled_from(NOWS),
)
def test_any_text_behind_a_subcommand_gives_an_inert_reply_within_limits(
    pipeline: Pipeline,
    own_urls: frozenset[str],
    prefix: str,
    text: str,
    suffix: str,
    now: datetime,
) -> None:
    typed = prefix + text + suffix
    answer = pipeline.respond(typed, now)
    check_reply([m.payload() for m in answer.messages], own_urls, typed)


# --- the interactive surfaces: button values, menu options, form fields -----------------------

# Our own channel link (the form's "posted in <#C123>"), from a channel id Slack sent and we
# checked against the id pattern: allowed, exactly in that form.
_OWN_CHANNEL = re.compile(r"<#C123>")
_SHARED_BY = re.compile(r"Shared by <@U123>")


@pytest.fixture(scope="module")
def surface_app(
    pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[App, FakeSlack]]:
    with FakeSlack().serve_quickly() as fake:
        fake.now = NOWS[0].timestamp()
        settings = Settings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=fake.api_url,
            database_url=f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'l.sqlite3'}",
        )
        services = Services(settings, Clock(start=NOWS[0]), pipeline.digest, pipeline.renderer)
        yield create_app(services=services), fake


def _surface_payload(kind: str, name: str, value: object, fake: FakeSlack, n: int) -> str:
    respond = fake.response_url(f"h{n}")
    if kind == "form":
        fields: dict[str, object] = {"leads": "1d", "at": "09:00", "tz": "UTC", name: value}
        return interaction_body(view_submission(fields))
    if kind == "follow-form":
        return interaction_body(view_submission({name: value}, form="follow_form"))
    action = button(name, value) if kind == "button" else choice(name, value)  # type: ignore[arg-type]
    payload = block_actions(action, response_url=respond, message_ts=f"9.{n}", trigger_id=f"t.{n}")
    return interaction_body(payload)


def _inert(what: object, own: frozenset[str]) -> list[str]:
    dumped = _OWN_CHANNEL.sub("", without_dates(json.dumps(what, ensure_ascii=False)))
    # A shared post names who shared it: the presser, by the id Slack's signed payload gives.
    return live_syntax({"dumped": _SHARED_BY.sub("Shared by", dumped)}, own)


def test_hostile_values_in_every_surface_input_stay_inert(
    surface_app: tuple[App, FakeSlack], own_urls: frozenset[str], pipeline: Pipeline
) -> None:
    app, fake = surface_app
    n, expected = 0, {"shared": 0, "chosen": 0, "subscribed": 0, "rejected": 0}
    for text in [*DISPATCHED, *ODD_VALUES]:
        for kind, name in SURFACE_INPUTS:
            n += 1
            body = _surface_payload(kind, name, text, fake, n)
            response = app.dispatch(BoltRequest(body=body, headers=signed_headers(body)))
            assert response.status == 200, (describe(str(text)), name, response.body[:200])
            assert not _inert(response.body, own_urls), (describe(str(text)), name)
            expected[_outcome(pipeline, kind, name, body, response.body)] += 1
    # What the listeners post after the ack: wait (with a deadline) for exactly what the
    # accepted inputs must cause: a deletion per share, a replacement per menu choice, a
    # private note per valid form.
    calls = fake.wait_for(lambda calls: _counts(calls) == _wanted(expected), timeout=60)
    for call in calls:
        if call.method in ("views.open", "views.publish"):
            assert view_problems(call.body["view"]) == [], call.body
        elif "blocks" in call.body:
            assert block_kit_problems(call.body) == [], call.body
        assert not _inert(call.body, own_urls), (call.method, str(call.body)[:300])
    print(f"\nsurface outcomes: {expected}; Web API calls: {len(calls)}")
    SURFACE_TRIED.append(n)


SURFACE_TRIED: list[int] = []


def _outcome(pipeline: Pipeline, kind: str, name: str, body: str, answer: str) -> str:
    """What an input must lead to after its ack, by the listener's own parse step (a share
    only when the reply goes public: a name not found stays private)."""
    payload = json.loads(parse_qs(body)["payload"][0])
    if kind in ("form", "follow-form"):
        return "subscribed" if answer in ("", "{}") else "rejected"
    command = safe_command(button_value(payload)) if name == "share" else None
    if command is not None and pipeline.respond(f"{command} public", NOWS[0]).public:
        return "shared"
    if kind == "select" and menu_command(payload) is not None:
        return "chosen"
    return "rejected"


def _wanted(expected: dict[str, int]) -> tuple[int, int, int]:
    return expected["shared"], expected["chosen"], expected["subscribed"]


def _counts(calls: list[Any]) -> tuple[int, int, int]:
    responds = [c.body for c in calls if c.method.startswith("/respond")]
    return (
        sum(1 for b in responds if b.get("delete_original") in (True, "true")),
        sum(1 for b in responds if b.get("replace_original") in (True, "true")),
        sum(1 for c in calls if c.method == "chat.postEphemeral"),
    )


def test_report_how_many_surface_inputs_were_tried() -> None:
    print(
        f"\nsurface inputs: {len(DISPATCHED) + len(ODD_VALUES)} values x "
        f"{len(SURFACE_INPUTS)} inputs (buttons, menus, form fields) = {sum(SURFACE_TRIED)} "
        "signed interactions dispatched"
    )
    assert sum(SURFACE_TRIED) >= 300
