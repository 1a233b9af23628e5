"""Every reply as a reader sees it: the cases the approved transcripts hold (each surface, on the
shipped digest and on digests written for the tests, at fixed times), and how one is rendered
into the reviewed file: the notification line, the text as read, and the Slack payload."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.commands.situation import Caller, Surface
from bot.knowledge.digest import Digest
from bot.knowledge.holder import DigestHolder
from bot.knowledge.loader import load_digest
from bot.pipeline import Pipeline
from bot.reminders.messages import ReminderMessages
from bot.reminders.plan import Batch, Reminder, Subscription
from bot.rendering.renderer import Renderer
from bot.rendering.terminal import plain, to_terminal
from bot.settings import DEFAULT_KNOWLEDGE_DIR
from bot.slack.replies import ShareButton, SlackViews
from tests.conftest import three_meetings
from tests.reader_lint import Finding, lint_message, visible_characters

UTC_ZONE = ZoneInfo("UTC")
CALLER = Caller("C0TRANSCRIPT", "U0READER")


@dataclass(frozen=True)
class Case:
    """One reply to transcribe: on which digest, as of when, through which surface."""

    digest: str  # shipped | three | hostile | big
    now: datetime
    surface: str  # reply | public | post | view | home | reminder | notice | form
    text: str = ""

    @property
    def id(self) -> str:
        words = self.text.replace(" ", "_").replace(":", "") or "empty"
        return f"{self.digest}-{self.now:%Y%m%dT%H%M}-{self.surface}-{words}"[:120]

    @property
    def posted(self) -> bool:
        """Read by a whole channel (or thread), as opposed to privately."""
        return self.surface in ("public", "post", "reminder", "dm-first", "news")


@dataclass(frozen=True)
class Rendered:
    """A case's payloads, and what kind of thing they are."""

    payloads: list[dict[str, Any]]
    view: bool = False


# --- the digests -------------------------------------------------------------------------


def shipped_digest(_: Path) -> Digest:
    return load_digest(DEFAULT_KNOWLEDGE_DIR)


def three_digest(root: Path) -> Digest:
    return load_digest(three_meetings(root / "three"))


# Names no reader should ever see turned into a ping or a link, and longer than any limit.
HOSTILE_NAME = (
    "Atlantis <!channel> & <https://evil.example|click me> — the Most Serene Republic of the "
    "Federated Islands of the Inner Sea, its Dependencies and Territories beyond the Horizon"
)
HOSTILE_TITLE = "2033 meeting <@U0ADMIN> & <!here> of the Defence Council in Rinnhaven"


def hostile_digest(root: Path) -> Digest:
    """The three-meeting digest with hostile, over-long names and titles (`<`, `&`, mentions)."""
    directory = three_meetings(root / "hostile")
    actors = directory / "actors.yaml"
    actors.write_text(
        actors.read_text("utf-8").replace("name: Atlantis", f"name: {json.dumps(HOSTILE_NAME)}"),
        "utf-8",
    )
    meetings = directory / "meetings.yaml"
    meetings.write_text(
        meetings.read_text("utf-8")
        .replace(
            "title: 2033 meeting of the Defence Council in Rinnhaven",
            f"title: {json.dumps(HOSTILE_TITLE)}",
        )
        .replace("theme: Maritime rescue", "theme: Maritime rescue <& search> " + "x" * 120),
        "utf-8",
    )
    return load_digest(directory)


def big_digest(root: Path) -> Digest:
    """150 meetings (menus past Slack's 100 options) of synthetic items."""
    from bench.gen_digest import generate

    directory = root / "big"
    if directory.exists():
        shutil.rmtree(directory)
    generate(directory, meetings=150, items=3000)
    return load_digest(directory)


DIGESTS: dict[str, Callable[[Path], Digest]] = {
    "shipped": shipped_digest,
    "three": three_digest,
    "hostile": hostile_digest,
    "big": big_digest,
}


# --- the cases ------------------------------------------------------------------------------


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


COMMON = [
    ("reply", ""),
    ("reply", "help"),
    ("reply", "frobnicate"),
    ("reply", "positons china"),
    ("reply", "brief"),
    ("public", "brief"),
    ("reply", "positions"),
    ("reply", "compare"),
    ("reply", "upcoming"),
    ("public", "upcoming"),
    ("reply", "sources"),
    ("reply", "brief nope"),
    ("view", "brief"),
    ("view", "compare"),
    ("home", ""),
]
SHIPPED_AFTER = [
    *COMMON,
    ("reply", "positions china"),
    ("public", "positions china"),
    ("reply", "positions ministers"),
    ("public", "positions ministers"),
    ("reply", "positions russia"),
    ("reply", "positions india"),
    ("reply", "positions nobody"),
    ("reply", "compare afghanistan"),
    ("reply", "compare covid"),
    ("reply", "compare volcanoes"),
    ("reply", "sources sco-defmin-2021-dushanbe"),
    ("reply", "ask who attended the meeting"),
    ("reply", "what did china say about taiwan"),
    ("reply", "ask when is the orchestra festival"),
    ("reply", "ask did india attend"),
    ("reply", "ask what did russia say about nato"),
    ("post", "when is the next meeting?"),
    ("post", "what was agreed on afghanistan?"),
    ("post", "brief"),
    ("view", "positions"),
    ("home-first", ""),
    ("dm-first", "brief"),
]
AT_OTHER_TIMES = [
    ("reply", "brief"),
    ("reply", "upcoming"),
    ("reply", "positions china"),
    ("reply", "compare"),
    ("reply", "sources"),
    ("reply", "ask terrorism"),
]
THREE_AFTER = [
    *COMMON,
    ("reply", "brief council-2031"),
    ("reply", "brief council-2032"),
    ("reply", "positions atlantis"),
    ("reply", "positions mu"),
    ("reply", "positions hyperborea"),
    ("reply", "positions defence-council"),
    ("reply", "compare council-2031"),
    ("reply", "compare rescue council-2033"),
    ("reply", "sources council-2033"),
    ("reply", "ask who attended the 2033 meeting"),
    ("reply", "ask what did mu propose"),
    ("reply", "ask did mu chair the 2033 meeting"),
    ("reply", "ask who spoke at the 2031 meeting"),
    ("post", "what is next for the council?"),
]
HOSTILE = [
    ("reply", "brief"),
    ("public", "brief"),
    ("reply", "positions atlantis"),
    ("reply", "positions"),
    ("reply", "compare"),
    ("reply", "upcoming"),
    ("reply", "sources"),
    ("reply", "ask rescue"),
    ("reply", "ask did atlantis attend the 2033 meeting"),
    ("reply", "ask what did atlantis say"),
    ("view", "brief"),
    ("home", ""),
]
BIG = [
    ("reply", "brief"),
    ("public", "brief"),
    ("reply", "positions china"),
    ("reply", "positions"),
    ("reply", "upcoming"),
    ("reply", "compare"),
    ("reply", "sources"),
    ("reply", "ask terrorism"),
    ("home", ""),
]
BIG_NOW = _at("2032-06-15T09:00")


def cases() -> list[Case]:
    """Every transcript, in a stable order."""
    found = [Case("shipped", _at("2021-08-01T00:00"), s, t) for s, t in SHIPPED_AFTER]
    # Times of the 2021 meeting's documents only: a meeting a curator appends later is in none.
    for when in ("2021-07-20T00:00", "2021-07-28T12:00", "2021-10-20T08:00", "2021-12-31T00:00"):
        found += [Case("shipped", _at(when), s, t) for s, t in AT_OTHER_TIMES]
    found += [Case("three", _at("2033-05-14T09:00"), s, t) for s, t in THREE_AFTER]
    for when in ("2032-08-25T12:00", "2033-04-20T00:00", "2033-05-10T20:00", "2040-01-01T00:00"):
        found += [Case("three", _at(when), s, t) for s, t in AT_OTHER_TIMES]
    found += [Case("hostile", _at("2033-05-14T09:00"), s, t) for s, t in HOSTILE]
    found += [Case("big", BIG_NOW, s, t) for s, t in BIG]
    found += [
        Case("shipped", _at("2021-10-11T09:00"), "reminder", "fanfares-of-peace-2021 7"),
        Case("shipped", _at("2021-10-17T09:00"), "reminder", "fanfares-of-peace-2021 1"),
        Case("three", _at("2033-05-12T09:00"), "reminder", "cadet-regatta-2033 7"),
        Case("three", _at("2033-07-01T09:00"), "reminder", "liaison-officers-2033 0"),
        # Two reminders of one channel falling at one time: one message.
        # (`remind on 82d 50d`, before the regatta was cancelled on 13 May)
        Case(
            "three",
            _at("2033-05-12T09:00"),
            "reminder",
            "liaison-officers-2033 50; cadet-regatta-2033 82",
        ),
        # The reminder form, opened in a channel (its picker set to it) and from the Home tab.
        Case("shipped", _at("2021-08-01T00:00"), "form", "C0TRANSCRIPT"),
        Case("shipped", _at("2021-08-01T00:00"), "form", ""),
        Case("shipped", _at("2021-08-01T00:00"), "follow-form", "C0TRANSCRIPT"),
        Case("shipped", _at("2021-08-01T00:00"), "follow-form", ""),
        # The Home tab of a user who last came before the documents of a meeting came out.
        Case("three", _at("2033-05-14T09:00"), "home-again", "2033-04-20T00:00"),
        Case("shipped", _at("2021-07-29T12:00"), "home-again", "2021-07-20T00:00"),
        Case("shipped", _at("2021-10-01T12:00"), "remind", "remind on"),
        Case(
            "shipped",
            _at("2021-10-01T12:00"),
            "remind",
            "remind on 7d 0d at 08:30 tz Asia/Karachi / remind status",
        ),
        Case("shipped", _at("2021-10-01T12:00"), "remind", "remind on / remind off"),
        Case("big", BIG_NOW, "remind", "remind on 30d 14d 7d 6d 5d 4d 3d 2d 1d 0d"),
        # Following: what a channel is told, and the "What's new" posts it then gets.
        Case("shipped", _at("2021-08-01T00:00"), "follow", "follow"),
        Case("shipped", _at("2021-08-01T00:00"), "follow", "follow china / follow afghanistan"),
        Case("shipped", _at("2021-08-01T00:00"), "follow", "following"),
        Case("shipped", _at("2021-08-01T00:00"), "follow", "follow all / unfollow"),
        Case("shipped", _at("2021-08-01T00:00"), "follow", "follow india / unfollow india"),
        Case("shipped", _at("2021-08-01T00:00"), "follow", "calendar"),
        Case("shipped", _at("2021-07-29T12:00"), "news", "all since 2021-07-20T00:00"),
        Case("three", _at("2033-05-14T09:00"), "news", "all since 2033-04-20T00:00"),
        Case("three", _at("2033-05-14T09:00"), "news", "all since 2032-08-25T12:00"),
        Case("three", _at("2033-05-14T09:00"), "news", "topic:fisheries since 2033-05-11T00:00"),
        Case("three", _at("2033-05-14T09:00"), "news", "actor:hyperborea since 2033-04-20T00:00"),
        Case("big", BIG_NOW, "news", "all since 2000-01-01T00:00"),
        Case("shipped", _at("2021-08-01T00:00"), "notice", "error"),
        Case("shipped", _at("2021-08-01T00:00"), "notice", "digest_invalid"),
        Case("shipped", _at("2021-08-01T00:00"), "notice", "reminder_broken"),
    ]
    return found


# --- rendering a case ---------------------------------------------------------------------


def render(case: Case, digest: Digest, renderer: Renderer) -> Rendered:
    """The payloads a case's surface sends, as Slack receives them."""
    finish = ShareButton(renderer)
    pipeline = Pipeline(DigestHolder(digest), renderer, UTC_ZONE, cache_bytes=0, finish=finish)
    views = SlackViews(pipeline)
    if case.surface == "reply":
        return Rendered(_pages(pipeline.respond(case.text, case.now, CALLER).pages))
    if case.surface == "public":
        return Rendered(_pages(pipeline.respond(f"{case.text} public", case.now, CALLER).pages))
    if case.surface == "post":
        return Rendered(
            _pages(pipeline.respond(case.text, case.now, CALLER, surface=Surface.POST).pages)
        )
    if case.surface == "view":
        reply = pipeline.respond(case.text, case.now, CALLER, surface=Surface.VIEW)
        blocks = [b for m in reply.messages for b in m.blocks]
        kind = case.text.split()[0]
        return Rendered([views.view("reply_modal.j2", blocks, kind=kind)], view=True)
    if case.surface == "home":
        return Rendered([views.home(case.now, CALLER)], view=True)
    if case.surface in ("home-first", "home-again", "dm-first", "remind", "follow"):
        return _with_ledger(case, digest, renderer)
    if case.surface == "reminder":
        return Rendered([_reminder(case, digest, renderer)])
    if case.surface == "news":
        return Rendered([_news(case, digest, renderer)])
    if case.surface == "follow-form":
        return Rendered([views.view("follow_form.j2", channel=case.text)], view=True)
    if case.surface == "form":
        view = views.view(
            "remind_form.j2", channel=case.text, tz="Europe/Berlin", leads="7d 1d", at="09:00"
        )
        return Rendered([view], view=True)
    return Rendered([_notice(case, pipeline)])


def _with_ledger(case: Case, digest: Digest, renderer: Renderer) -> Rendered:
    """What needs the ledger (a fresh SQLite): a user's first Home visit or first DM, and the
    reminder commands (no Slack: what they would schedule)."""
    import tempfile

    from bot.clock import Clock
    from bot.services import Services
    from bot.settings import Settings

    with tempfile.TemporaryDirectory() as state:
        settings = Settings(
            database_url=f"sqlite:///{Path(state) / 'ledger.sqlite3'}",
            slack_signing_secret="transcript-secret",
            public_url="https://sco-bot.example.org",
        )
        services = Services(settings, Clock(start=case.now), digest, renderer)
        views = SlackViews(services.pipeline)
        try:
            if case.surface == "home-first":
                return Rendered([views.home(case.now, CALLER)], view=True)
            if case.surface == "home-again":
                views.home(_at(case.text), CALLER)  # the visit before
                return Rendered([views.home(case.now, CALLER)], view=True)
            if case.surface in ("remind", "follow"):
                for earlier in case.text.split(" / ")[:-1]:  # what was typed before
                    services.pipeline.respond(earlier, case.now, CALLER)
                last = case.text.split(" / ")[-1]
                return Rendered(_pages(services.pipeline.respond(last, case.now, CALLER).pages))
            reply = services.pipeline.respond(case.text, case.now, CALLER, surface=Surface.DM)
            return Rendered(_pages(reply.pages))
        finally:
            services.ledger().close()


def _pages(pages: tuple[str, ...]) -> list[dict[str, Any]]:
    return [json.loads(page) for page in pages]


def _reminder(case: Case, digest: Digest, renderer: Renderer) -> dict[str, Any]:
    """The reminders of the case's text ("event lead; event lead"), due at its time: one
    message (SCO_ADMINS set, as the stop button says)."""
    reminders = []
    for item in case.text.split(";"):
        event_id, lead = item.split()
        reminders.append(Reminder(case.now, CALLER.channel_id, event_id, int(lead)))
    messages = ReminderMessages(renderer, UTC_ZONE, frozenset({"U0ADMIN"}))
    return messages.batch(Batch(tuple(reminders)), digest.as_of(case.now)).payload()


def _news(case: Case, digest: Digest, renderer: Renderer) -> dict[str, Any]:
    """The "What's new" post of a channel following the case's words ("all", "actor:<id>" or
    "topic:<words>"), for what was published between "since" and the case's time."""
    from bot.queries.news import Follow, whats_new

    words, _, since = case.text.partition(" since ")
    kind, _, value = words.partition(":")
    follow = Follow(
        everything=kind == "all",
        actors=frozenset({value}) if kind == "actor" else frozenset(),
        topics=(value,) if kind == "topic" else (),
    )
    old, new = digest.as_of(_at(since)), digest.as_of(case.now)
    news = whats_new(old, new, follow, case.now, UTC_ZONE)
    return ReminderMessages(renderer, UTC_ZONE).news(news, new, follow, case.now).payload()


def _notice(case: Case, pipeline: Pipeline) -> dict[str, Any]:
    if case.text == "error":
        return pipeline.render("error.j2", reference="a1b2c3")[0].payload()
    if case.text == "digest_invalid":
        problems = [f"knowledge/meetings.yaml:{n}: meetings[0].x: problem {n}" for n in range(35)]
        return pipeline.render("digest_invalid.j2", problems=problems)[0].payload()
    sub = Subscription("C0BROKEN", subscriber="U0READER")
    return (
        ReminderMessages(pipeline.renderer, UTC_ZONE)
        .channel_broken(sub, "not_in_channel")
        .payload()
    )


def transcript(case: Case, rendered: Rendered, version: str = "") -> str:
    """The reviewed file of a case: what it is, the notification line, the reply as read, and
    the Slack payload. The digest's version (a hash of all its files) reads `<version>`: a
    curator appending a later meeting changes it, and nothing a reader reads as of these times."""
    return _transcript(case, rendered).replace(version or "\0", "<version>")


def _transcript(case: Case, rendered: Rendered) -> str:
    payloads = rendered.payloads
    head = [
        f"{_surface_label(case)}: {case.text or '(empty)'}",
        f"digest: {case.digest} · as of {case.now.isoformat()} · {len(payloads)} "
        f"{'view' if rendered.view else 'message'}{'s' if len(payloads) > 1 else ''}, "
        f"{sum(len(p.get('blocks', ())) for p in payloads)} blocks, "
        f"{visible_characters(payloads):,} visible characters",
    ]
    if not rendered.view:
        head += ["", "--- notification ---", *[str(p.get("text", "")) for p in payloads]]
    read = plain(to_terminal([_message(p) for p in payloads])).rstrip("\n")
    return "\n".join(
        [
            *head,
            "",
            "--- as read ---",
            read,
            "",
            "--- Slack payload ---",
            json.dumps(payloads, indent=1, ensure_ascii=False),
            "",
        ]
    )


def lint(case: Case, rendered: Rendered) -> list[Finding]:
    """The reader's lint on every payload of a case."""
    return [
        finding
        for i, payload in enumerate(rendered.payloads)
        for finding in lint_message(
            payload, f"{case.id}#{i}", posted=case.posted, view=rendered.view
        )
    ]


def _message(payload: Mapping[str, Any]) -> Any:
    from bot.rendering.blocks import Message

    return Message(str(payload.get("text", "")), tuple(payload.get("blocks", ())))


def _surface_label(case: Case) -> str:
    return {
        "reply": "/sco, private reply",
        "public": "/sco ... public, posted in the channel",
        "post": "@mention or DM, posted",
        "view": "modal from a button",
        "home": "Home tab",
        "home-first": "Home tab, the user's first visit",
        "remind": "/sco remind, private reply (with a ledger, no Slack)",
        "follow": "/sco follow, private reply (with a ledger, no Slack)",
        "news": "what's new, posted in a following channel",
        "dm-first": "direct message, the user's first",
        "reminder": "scheduled reminder, posted",
        "form": "the reminder form (a modal)",
        "follow-form": "the follow form (a modal)",
        "home-again": "Home tab, the user's visit after one at the time given",
        "notice": "notice",
    }[case.surface]
