"""The apps under test, built as `sco-bot serve` builds its own, and signed requests for them.

`ours`, `ours-new-minute` and `ours-no-cache` come from the composition root
(bot.services.build_services with `serving=True`, then bot.slack.app.build_bolt_app), exactly as
`sco-bot serve` does; they differ in the state of the answer cache each request meets (APPS);
`bare` is a slack_bolt.App with the same options whose one `/sco` listener only acks. Slack's
libraries and the bot are imported inside the functions: the load generator imports this module
and starts without them.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clock import Clock
from testkit.slack_requests import sign

SIGNING_SECRET = "bench-signing-secret-0123456789"
BOT_TOKEN = "xoxb-bench-token-0123456789"
EVENTS_PATH = "/slack/events"
# "Now" for every answer: the day after the Dushanbe meeting, so `brief` has its "what lies
# ahead" and `upcoming` lists events (with real time the digest has nothing ahead).
REHEARSAL_NOW = datetime(2021, 7, 29, 9, 0, tzinfo=UTC)
# Ours in three cache states, then the reference. The digest's derived views (built once per
# digest version at load) serve every state: they are the digest, not a cache of answers.
CACHE_STATES = {
    "ours": "answer cache on, clock running: repeated requests within a minute are cache hits",
    "ours-new-minute": "answer cache on, every request a minute after the last: each answer "
    "is the day's render restamped (each local midnight in the digest's zones renders anew)",
    "ours-no-cache": "answer cache off (SCO_ANSWER_CACHE_MB=0): every answer rendered in full",
}
APPS = (*CACHE_STATES, "bare")
OURS = tuple(CACHE_STATES)
# A second reference for HTTP: bare, but acknowledging each command with a body as long as our
# answer to it. Slack's answer has to travel; this separates its bytes from our code's time.
SIZED = "bare-sized"


def signed_headers(
    body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Slack's headers for `body`, signed with our test signing secret unless told otherwise."""
    return sign(body, secret, timestamp)


def bench_settings(api_url: str, database_dir: str) -> Any:
    """Settings for the apps under test: a fake Slack, a throwaway SQLite ledger, and the
    clock starting at REHEARSAL_NOW and running forward (as SCO_CLOCK sets it for `serve`)."""
    from bot.settings import Settings

    return Settings(
        clock_start=REHEARSAL_NOW,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=api_url,
        database_url=f"sqlite:///{database_dir}/x.sqlite3",
    )


@dataclass(frozen=True)
class SteppingClock(Clock):
    """A clock whose every `now()` is one minute later than the last: no two requests share a
    minute. Time only moves forward, as it does for real traffic: each local day's first
    request renders in full, the others restamp that render (a clock wrapping back to an
    earlier day would make every request a full render, a case real traffic never has)."""

    ticks: Iterator[int] = field(default_factory=itertools.count, compare=False, repr=False)

    def now(self) -> datetime:
        """`start`, plus one minute more at every call."""
        assert self.start is not None
        return self.start + timedelta(minutes=next(self.ticks))


@dataclass(frozen=True)
class AppUnderTest:
    """A Bolt app and what bot.slack.http.create_wsgi_app needs beside it."""

    app: Any
    version: Callable[[], str]
    database: Callable[[], bool] | None = None


def build_app(kind: str, settings: Any) -> AppUnderTest:
    """`ours`: the services and Bolt app `sco-bot serve` builds from `settings`;
    `ours-new-minute`: the same on a clock a minute later at every request; `ours-no-cache`: the
    same with the answer cache off; `bare`: a slack_bolt.App with the same options whose
    listener only acks."""
    if kind in OURS:
        from bot.services import build_services
        from bot.slack.app import build_bolt_app

        clock = SteppingClock(start=REHEARSAL_NOW) if kind == "ours-new-minute" else None
        if kind == "ours-no-cache":
            settings = dataclasses.replace(settings, answer_cache_mb=0)
        services = build_services(settings, clock, serving=True)
        return AppUnderTest(
            build_bolt_app(services),
            lambda: services.digests.current.version,
            services.database_ok,
        )
    if kind == "bare":
        return AppUnderTest(_bare_app(settings), lambda: "bare")
    if kind == SIZED:
        return AppUnderTest(_bare_app(settings, _answer_sizes(settings)), lambda: SIZED)
    raise ValueError(f"unknown app {kind!r} (one of {', '.join((*APPS, SIZED))})")


def _answer_sizes(settings: Any) -> dict[str, int]:
    """The length of our acknowledgement of each command of the mix (as of REHEARSAL_NOW)."""
    from bench.config import MIX
    from bot.services import build_services
    from bot.slack.replies import ack_body

    pipeline = build_services(settings, serving=True).pipeline
    return {text: len(ack_body(pipeline.respond(text, REHEARSAL_NOW))) for text in MIX}


def _bare_app(settings: Any, sizes: dict[str, int] | None = None) -> Any:
    """The reference: Bolt with our options (and a WebClient on the same fake), nothing else;
    with `sizes`, each command acknowledged with a JSON body of that many bytes."""
    from slack_bolt import Ack, App, BoltResponse
    from slack_sdk import WebClient

    bare = App(
        client=WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url),
        signing_secret=settings.slack_signing_secret,
        process_before_response=True,
        token_verification_enabled=False,
        name="bare",
    )

    def only_ack(ack: Ack) -> None:
        ack()

    if sizes is None:
        bare.command("/sco")(only_ack)
        return bare
    padded = {text: '{"text": "' + "x" * max(0, size - 12) + '"}' for text, size in sizes.items()}

    def ack_sized(command: dict[str, Any]) -> BoltResponse:
        body = padded.get(command.get("text") or "", "{}")
        return BoltResponse(status=200, body=body, headers={"content-type": "application/json"})

    bare.command("/sco")(ack_sized)
    return bare
