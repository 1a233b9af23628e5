"""Requests that must not get through: Bolt's dispatch and the real waitress server alike.

Every forged, stale, tampered or malformed request is answered 401 (or another 4xx), never 500,
and never reaches a listener: a middleware added after Bolt's own verification records every
request that got past it, and the fake Slack records that not even `auth.test` was called.
Nothing of ours is mocked; the server is the production waitress + Bolt WSGI stack on loopback.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from freezegun import freeze_time
from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest

from bot.clock import Clock
from bot.pipeline import Pipeline
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.http import EVENTS_PATH, MAX_BODY_BYTES, create_wsgi_app
from testkit.fakeslack import FakeSlack, block_kit_problems
from testkit.servers import serve_wsgi
from testkit.slack_requests import HttpReply
from tests.conftest import signed_headers, slash_body

TIMEOUT = 10.0
MEETING_TIME = datetime(2021, 7, 29, 9, 0, tzinfo=UTC)
REFUSED = {"error": "invalid request"}


@dataclass
class Bot:
    """The production app, what got past its verification, and the fake Slack behind it."""

    app: App
    seen: list[str]
    fake: FakeSlack
    port: int | None = None

    def dispatch(self, body: bytes, headers: dict[str, str]) -> HttpReply:
        response = self.app.dispatch(BoltRequest(body=body.decode("utf-8"), headers=headers))
        return HttpReply(response.status, response.body.encode())

    def http(self, body: bytes | None, headers: dict[str, str], method: str = "POST") -> HttpReply:
        assert self.port is not None
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        with contextlib.closing(conn):
            conn.request(method, EVENTS_PATH, body=body, headers={**headers, "Connection": "close"})
            response = conn.getresponse()
            return HttpReply(response.status, response.read())

    def send(self, transport: str, body: bytes, headers: dict[str, str]) -> HttpReply:
        return self.dispatch(body, headers) if transport == "dispatch" else self.http(body, headers)


@pytest.fixture
def bot(settings: Settings, pipeline: Pipeline, fake_slack: FakeSlack) -> Bot:
    app = create_app(
        services=Services(settings, Clock(start=MEETING_TIME), pipeline.digest, pipeline.renderer)
    )
    seen: list[str] = []

    def record(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:
        # Global middleware runs after Bolt's request verification: whatever lands here
        # was accepted as coming from Slack.
        seen.append(str(body.get("text", body.get("type", ""))))
        return next()

    app.use(record)
    return Bot(app, seen, fake_slack)


@pytest.fixture
def served(bot: Bot, pipeline: Pipeline) -> Iterator[Bot]:
    """The same bot behind the real waitress server on an ephemeral loopback port."""
    with serve_wsgi(create_wsgi_app(bot.app, lambda: pipeline.digest().version)) as url:
        bot.port = urlsplit(url).port
        yield bot


@pytest.fixture(params=["dispatch", "http"])
def transport(request: pytest.FixtureRequest) -> tuple[str, Bot]:
    """Each test runs once through app.dispatch and once through the HTTP server."""
    fixture = "served" if request.param == "http" else "bot"
    return request.param, request.getfixturevalue(fixture)


def assert_valid_request_still_answers(bot: Bot, how: str) -> None:
    """The control: the same app answers a correctly signed request (and the recorder sees it)."""
    body = slash_body("brief").encode()
    reply = bot.send(how, body, signed_headers(body))
    assert reply.status == 200, reply.body[:300]
    assert block_kit_problems({k: reply.json()[k] for k in ("text", "blocks")}) == []
    assert bot.seen == ["brief"]


# --- forged, stale and tampered requests: 401, no listener -------------------------------------

FIVE_MINUTES = 5 * 60


def _bad_signature(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, {**signed_headers(body), "X-Slack-Signature": "v0=" + "0" * 64}


def _missing_signature(body: bytes) -> tuple[bytes, dict[str, str]]:
    headers = signed_headers(body)
    del headers["X-Slack-Signature"]
    return body, headers


def _empty_signature(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, {**signed_headers(body), "X-Slack-Signature": ""}


def _signature_without_version(body: bytes) -> tuple[bytes, dict[str, str]]:
    headers = signed_headers(body)
    return body, {**headers, "X-Slack-Signature": headers["X-Slack-Signature"][3:]}


def _missing_timestamp(body: bytes) -> tuple[bytes, dict[str, str]]:
    headers = signed_headers(body)
    del headers["X-Slack-Request-Timestamp"]
    return body, headers


def _stale(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, signed_headers(body, timestamp=int(time.time()) - FIVE_MINUTES - 10)


def _future(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, signed_headers(body, timestamp=int(time.time()) + 6 * 60)


def _altered(body: bytes) -> tuple[bytes, dict[str, str]]:
    headers = signed_headers(body)
    altered = body.replace(b"text=brief", b"text=remind+off")
    assert altered != body
    return altered, headers


def _replayed(body: bytes) -> tuple[bytes, dict[str, str]]:
    # A request Slack really sent an hour ago, captured and sent again byte for byte.
    return body, signed_headers(body, timestamp=int(time.time()) - 3600)


def _timestamp_swapped(body: bytes) -> tuple[bytes, dict[str, str]]:
    # Signed for one (recent) timestamp, sent with another (also recent) one.
    now = int(time.time())
    return body, {**signed_headers(body, timestamp=now - 60), "X-Slack-Request-Timestamp": str(now)}


def _wrong_secret(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, signed_headers(body, secret="another-apps-signing-secret-42")


FORGED: dict[str, Callable[[bytes], tuple[bytes, dict[str, str]]]] = {
    "bad-signature": _bad_signature,
    "missing-signature": _missing_signature,
    "empty-signature": _empty_signature,
    "signature-without-v0": _signature_without_version,
    "missing-timestamp": _missing_timestamp,
    "timestamp-over-5-minutes-old": _stale,
    "timestamp-6-minutes-ahead": _future,
    "body-altered-after-signing": _altered,
    "replayed-an-hour-later": _replayed,
    "signed-for-another-timestamp": _timestamp_swapped,
    "valid-signature-wrong-secret": _wrong_secret,
}


@pytest.mark.parametrize("forge", FORGED.values(), ids=FORGED.keys())
def test_a_forged_or_stale_request_is_401_and_runs_no_listener(
    transport: tuple[str, Bot], forge: Callable[[bytes], tuple[bytes, dict[str, str]]]
) -> None:
    how, bot = transport
    body, headers = forge(slash_body("brief").encode())

    reply = bot.send(how, body, headers)

    assert reply.status == 401, reply.body[:300]
    assert reply.json() == REFUSED
    assert bot.seen == []
    assert bot.fake.snapshot() == []  # not even auth.test
    assert_valid_request_still_answers(bot, how)


# Found by these tests: slack_sdk's SignatureVerifier does int(timestamp), and the ValueError
# went through Bolt's verification middleware to bot/listeners.py on_error(): HTTP 200 with the
# apology (and an ERROR log with a traceback) for an unauthenticated request. Fixed in bot/
# while these tests were written; kept as a regression.
@pytest.mark.parametrize("timestamp", ["not-a-number", "", "9" * 5000])
def test_an_unparsable_timestamp_is_401_and_runs_no_listener(
    transport: tuple[str, Bot], timestamp: str
) -> None:
    how, bot = transport
    body = slash_body("brief").encode()

    reply = bot.send(how, body, {**signed_headers(body), "X-Slack-Request-Timestamp": timestamp})

    assert reply.status == 401, (reply.status, reply.body[:200])
    assert reply.json() == REFUSED
    assert bot.seen == []
    assert bot.fake.snapshot() == []
    assert_valid_request_still_answers(bot, how)


def test_a_captured_request_is_valid_in_its_window_and_refused_after_it(
    settings: Settings, pipeline: Pipeline, fake_slack: FakeSlack
) -> None:
    body = slash_body("brief")
    sent_at = datetime(2021, 7, 29, 9, 0, tzinfo=UTC)
    headers = signed_headers(body.encode(), timestamp=int(sent_at.timestamp()))
    with freeze_time(sent_at):
        app = create_app(
            services=Services(settings, settings.clock(), pipeline.digest, pipeline.renderer)
        )
        assert app.dispatch(BoltRequest(body=body, headers=headers)).status == 200
    with freeze_time(datetime(2021, 7, 29, 9, 4, 59, tzinfo=UTC)):
        assert app.dispatch(BoltRequest(body=body, headers=headers)).status == 200
    with freeze_time(datetime(2021, 7, 29, 9, 5, 1, tzinfo=UTC)):
        replay = app.dispatch(BoltRequest(body=body, headers=headers))
    assert replay.status == 401
    assert json.loads(replay.body) == REFUSED


# --- malformed but signed: 4xx or an answer, never 500 ------------------------------------------


def _without(field: str) -> bytes:
    fields = dict(parse_qsl(slash_body("brief"), keep_blank_values=True))
    del fields[field]
    return urlencode(fields).encode()


@pytest.mark.parametrize("field", ["command", "text", "response_url", "channel_id", "user_id"])
def test_a_signed_form_missing_a_field_is_4xx_or_answered_never_500(
    transport: tuple[str, Bot], field: str
) -> None:
    how, bot = transport
    body = _without(field)

    reply = bot.send(how, body, signed_headers(body))

    assert reply.status == 200 or 400 <= reply.status < 500, (reply.status, reply.body[:300])
    assert b"Traceback" not in reply.body
    if reply.status == 200:
        data = reply.json()
        assert block_kit_problems({k: data[k] for k in ("text", "blocks")}) == []
    if field == "text":  # no text at all: the help
        assert reply.status == 200 and "/sco brief" in json.dumps(reply.json()["blocks"])


def test_an_empty_signed_body_is_4xx(transport: tuple[str, Bot]) -> None:
    how, bot = transport
    reply = bot.send(how, b"", signed_headers(b""))
    assert 400 <= reply.status < 500, (reply.status, reply.body[:300])


# --- HTTP only: what never reaches Bolt ----------------------------------------------------------


def raw_exchange(
    port: int, head: bytes, body_parts: list[bytes], *, half_close: bool = True
) -> bytes:
    """Send a raw request (body possibly larger than the server accepts) and read what comes
    back until the server closes, within a deadline."""
    deadline = time.monotonic() + TIMEOUT
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(head)

        def send_body() -> None:
            with contextlib.suppress(OSError):  # the server may stop reading and reset
                for part in body_parts:
                    sock.sendall(part)
                if half_close:
                    sock.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send_body, daemon=True)
        sender.start()
        received = b""
        with contextlib.suppress(ConnectionResetError):
            while time.monotonic() < deadline:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        sender.join(TIMEOUT)
    return received


def head_for(headers: dict[str, str], length: int) -> bytes:
    lines = [f"POST {EVENTS_PATH} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += [f"Content-Length: {length}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode()


def status_of(raw: bytes) -> int | None:
    if not raw.startswith(b"HTTP/1."):
        return None
    return int(raw.split(b" ", 2)[1])


def test_a_2_mb_body_is_413_not_500(served: Bot) -> None:
    body = slash_body("brief " + "x" * (2 * 1024 * 1024)).encode()
    parts = [body[i : i + 65536] for i in range(0, len(body), 65536)]

    raw = raw_exchange(served.port or 0, head_for(signed_headers(body), len(body)), parts)

    assert status_of(raw) == 413, raw[:300]
    assert served.seen == [] and served.fake.snapshot() == []
    assert_valid_request_still_answers(served, "http")


@pytest.mark.parametrize("ending", ["half-close", "reset"])
def test_a_truncated_body_does_not_crash_the_server(served: Bot, ending: str) -> None:
    body = slash_body("brief").encode()
    head = head_for(signed_headers(body), len(body) + 1000)  # promises 1000 bytes it never sends
    port = served.port or 0
    if ending == "half-close":
        raw = raw_exchange(port, head, [body])
        status = status_of(raw)
        assert status is None or 400 <= status < 500, raw[:300]
    else:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            sock.sendall(head + body)
            # Close with RST (SO_LINGER 0): the server sees the connection vanish mid-body.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    assert served.seen == []
    assert_valid_request_still_answers(served, "http")


def test_a_signed_body_that_is_not_utf8_is_4xx_or_help_never_500(served: Bot) -> None:
    body = slash_body("brief").encode().replace(b"text=brief", b"text=\xff\xfe\xc3(brief")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    # Slack signs and slack-sdk verifies the body as UTF-8 text, so no signature of these bytes
    # can verify: they carry the signature of the text a lenient reader would decode from them.
    reply = served.http(body, signed_headers(body.decode("utf-8", "replace")))

    assert reply.status == 200 or 400 <= reply.status < 500, (reply.status, reply.body[:300])
    assert b"Traceback" not in reply.body and b'File "' not in reply.body
    if reply.status == 200:
        assert "/sco brief" in json.dumps(reply.json()["blocks"])
    assert_valid_request_still_answers(served, "http")


def test_percent_encoded_bytes_that_are_not_utf8_get_help(served: Bot) -> None:
    body = slash_body("brief").encode().replace(b"text=brief", b"text=%FF%FE")
    reply = served.http(body, signed_headers(body))
    assert reply.status == 200, reply.body[:300]
    assert "is not a `/sco` command" in json.dumps(reply.json()["blocks"])


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_on_the_events_path_are_4xx(served: Bot, method: str) -> None:
    reply = served.http(None if method == "GET" else b"x=1", {}, method=method)
    assert 400 <= reply.status < 500, (reply.status, reply.body[:300])
    assert served.seen == []


# Found by these tests: Bolt's WSGI adapter parses the body (json.loads for a body starting with
# "{", a "payload=" field, or Content-Type: application/json) before the signature is checked,
# and the JSONDecodeError escaped bot/server.py create_wsgi_app(): waitress answered 500 to an
# unsigned request. Fixed in bot/ while these tests were written; kept as a regression.
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/x-www-form-urlencoded"),
        (b"payload=not-json", "application/x-www-form-urlencoded"),
        (b"command=%2Fsco&text=brief", "application/json"),
    ],
    ids=["brace", "payload-field", "form-as-json"],
)
def test_an_unsigned_unparsable_body_is_4xx_not_500(
    served: Bot, body: bytes, content_type: str
) -> None:
    reply = served.http(body, {"Content-Type": content_type})

    assert 400 <= reply.status < 500, (reply.status, reply.body[:200])
    assert b"Traceback" not in reply.body
    assert served.seen == [] and served.fake.snapshot() == []
    assert_valid_request_still_answers(served, "http")


# Issue 12, item 1: Bolt parses the body into a dict and calls .get on it before any middleware
# runs; a JSON array, null, number, string or boolean (or such a `payload=`) raised
# AttributeError, answered 500 and logged a traceback, for any unsigned client. And Bolt's
# ssl_check answered 200 before the signature was looked at.
NOT_OBJECTS = [
    (b"[]", "application/json"),
    (b"null", "application/json"),
    (b"123", "application/json"),
    (b'"s"', "application/json"),
    (b"true", "application/json"),
    (b"payload=123", "application/x-www-form-urlencoded"),
    (b"payload=null", "application/x-www-form-urlencoded"),
    (b'{"authorizations": 5}', "application/json"),
    (b"ssl_check=1&token=x", "application/x-www-form-urlencoded"),
]


@pytest.mark.parametrize(
    ("body", "content_type"), NOT_OBJECTS, ids=[b.decode() for b, _ in NOT_OBJECTS]
)
def test_an_unsigned_body_of_any_shape_is_401_and_logs_no_traceback(
    served: Bot, body: bytes, content_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        reply = served.http(body, {"Content-Type": content_type})

    assert reply.status == 401, (reply.status, reply.body[:200])
    assert [
        r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR
    ] == []
    assert served.seen == [] and served.fake.snapshot() == []
    assert_valid_request_still_answers(served, "http")


@pytest.mark.parametrize("body", [b"[]", b"null", b"payload=123", b'{"authorizations": [5]}'])
def test_a_signed_body_that_is_not_an_object_is_400_not_500(
    served: Bot, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        reply = served.http(body, signed_headers(body))

    assert 400 <= reply.status < 500, (reply.status, reply.body[:200])
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


def test_a_body_of_exactly_1_mb_is_accepted_and_one_byte_more_is_413(served: Bot) -> None:
    """Issue 12, item 8: the README says bodies *over* 1 MB get 413; exactly 1 MB did too."""
    statuses = []
    for size in (MAX_BODY_BYTES, MAX_BODY_BYTES + 1):
        prefix = slash_body("brief").encode() + b"&pad="
        body = prefix + b"x" * (size - len(prefix))
        assert len(body) == size
        parts = [body[i : i + 65536] for i in range(0, len(body), 65536)]
        statuses.append(
            status_of(raw_exchange(served.port or 0, head_for(signed_headers(body), size), parts))
        )

    assert statuses == [200, 413]


# Found while hardening (issue 12): Bolt parses any form body containing the letters "payload"
# as an interactive payload, finds no `payload` field and sees an empty request: a command
# typed with the word "payload", or from a channel named like it, got 404 "Unhandled request".
@pytest.mark.parametrize(
    "body",
    [slash_body("positions payload"), slash_body("brief", channel_name="payload-team")],
    ids=["in-the-text", "in-the-channel-name"],
)
def test_a_signed_command_mentioning_payload_is_answered(served: Bot, body: str) -> None:
    reply = served.http(body.encode(), signed_headers(body.encode()))

    assert reply.status == 200, (reply.status, reply.body[:200])
    assert block_kit_problems({k: reply.json()[k] for k in ("text", "blocks")}) == []
    assert len(served.seen) == 1


def test_report_how_many_verification_cases_were_tried() -> None:
    both = len(FORGED) + 3 + 5 + 1  # forged, unparsable timestamps, missing fields, empty body
    # 2 MB, truncated x2, non-UTF-8 x2, methods, unparsable, not objects (unsigned, signed),
    # 1 MB, "payload" x2
    http_only = 1 + 2 + 2 + 3 + 3 + len(NOT_OBJECTS) + 4 + 1 + 2
    print(
        f"\nverification cases: {both} x 2 transports (dispatch, HTTP) + {http_only} HTTP-only "
        f"+ 1 replay-window = {both * 2 + http_only + 1}"
    )
