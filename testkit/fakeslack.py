"""A local fake of Slack's Web API and response_url over real HTTP, recording every call."""

from __future__ import annotations

import contextlib
import json
import math
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

RESET = -1  # fail(status=RESET): drop the connection without an answer
STALL = -2  # fail(status=STALL): never answer (the client times out)
STALL_SECONDS = 30.0


@dataclass(frozen=True)
class Fault:
    """An injected failure of one call."""

    method: str
    status: int
    error: str | None
    after: bool
    retry_after: int = 1

    def answer(self) -> tuple[int, Any]:
        if self.status == STALL:
            return STALL, STALL_SECONDS
        if self.status == RESET:
            return RESET, None
        if self.error is not None:
            return 200, {"ok": False, "error": self.error}
        if self.status == 429:
            return 429, {"ok": False, "error": "ratelimited", "retry_after": self.retry_after}
        return self.status, {"ok": False, "error": f"http_{self.status}"}


@dataclass
class Call:
    """One request the fake received: the API method (or response_url path) and its body."""

    method: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def token(self) -> str | None:
        """The bearer token the call carried (None without one)."""
        auth = self.headers.get("Authorization") or self.headers.get("authorization") or ""
        return auth.removeprefix("Bearer ") or None


@dataclass
class Workspace:
    """A workspace the app is installed in (through `FakeSlack.install`), with its tokens."""

    team_id: str
    enterprise_id: str | None = None
    org_wide: bool = False  # an Enterprise Grid org-wide install: team_id is the installer's
    rotating: bool = False  # token rotation on: tokens expire, refresh tokens renew them
    tokens: list[str] = field(default_factory=list)
    refresh_token: str | None = None

    @property
    def token(self) -> str:
        """Its current bot token."""
        return self.tokens[-1]


class FakeSlack:
    """Serves /api/<method> and /respond/<id> on an ephemeral loopback port."""

    def __init__(self, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.calls: list[Call] = []
        # Slack's side of scheduling: its clock (Unix seconds), what it holds, what it posted.
        self.now: float | None = None
        self.clock: Callable[[], float] | None = None  # a moving clock (scaled simulations)
        self.scheduled: dict[str, dict[str, Any]] = {}
        self.posted: list[dict[str, Any]] = []
        self.channel_errors: dict[str, str] = {}
        # users.info answers: user id -> profile fields (e.g. {"tz": "Asia/Tokyo"}).
        self.users: dict[str, dict[str, Any]] = {}
        # Workspaces installed through the OAuth flow: each code is good once, each token
        # belongs to one workspace; a refused token is answered with its error.
        self.codes: dict[str, Workspace] = {}
        self.workspaces: dict[str, Workspace] = {}  # by token (current and past ones)
        self.tokens_issued: list[str] = []
        self.refused_tokens: dict[str, str] = {}
        self.expires_in = 43200  # seconds a rotating token lives (Slack's 12 hours)
        self.answered_429 = 0
        self._limits: dict[str, tuple[int, float]] = {}
        self._recent: dict[str, list[float]] = {}
        self._faults: list[Fault] = []
        self.faults_injected = 0
        # Every n-th call (API or response_url) answered 429 with this Retry-After: (n, seconds).
        self._throttle: tuple[int, int] | None = None
        self._counted = 0
        # Cleared by hold(): every call waits, unanswered, until release() (Slack gone silent).
        self._open = threading.Event()
        self._open.set()
        self.latency = 0.0  # seconds each API call takes, like a real network round trip
        # False: record each call's method only (a long load test keeps no bodies).
        self.keep_bodies = True
        self.counts: dict[str, int] = {}  # calls per method (or response_url path)
        # (method, body) once a call is carried out, before its answer: a test interleaves there
        self.after_call: Callable[[str, dict[str, Any]], None] | None = None
        self._stalled = threading.Event()
        self._next_id = 0
        self._held = 0
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.scheme = self._secure(tls)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _secure(self, tls: ssl.SSLContext | None) -> str:
        """Serve HTTPS with `tls` (to measure what TLS costs the client); the URL scheme."""
        if tls is None:
            return "http"
        self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        return "https"

    @property
    def api_url(self) -> str:
        """Base URL to give slack_sdk.WebClient(base_url=...)."""
        return f"{self.scheme}://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "1") -> str:
        """A response_url that posts back to this fake."""
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    def install(
        self,
        team_id: str,
        *,
        enterprise_id: str | None = None,
        org_wide: bool = False,
        rotating: bool = False,
    ) -> str:
        """A workspace approves the install: the code Slack sends back to the redirect URL
        (oauth.v2.access exchanges it for the workspace's bot token)."""
        self._next_id += 1
        code = f"code-{team_id}-{self._next_id}"
        self.codes[code] = Workspace(team_id, enterprise_id, org_wide, rotating)
        return code

    def uninstall(self, token: str, error: str = "invalid_auth") -> None:
        """The workspace removed the app: its tokens are refused from now on."""
        workspace = self.workspaces.get(token)
        for old in workspace.tokens if workspace else [token]:
            self.refused_tokens[old] = error

    def refuse(self, token: str, error: str = "invalid_auth") -> None:
        """Refuse one token with `error` (account_inactive, team_not_found...)."""
        self.refused_tokens[token] = error

    def team_of(self, token: str | None) -> str:
        """The team a token was issued for ("" for a token the fake did not issue)."""
        workspace = self.workspaces.get(token or "")
        if workspace is None:
            return ""
        return workspace.enterprise_id or "" if workspace.org_wide else workspace.team_id

    def calls_with(self, token: str) -> list[Call]:
        """The recorded API calls that carried `token`."""
        return [c for c in self.snapshot() if c.token == token]

    def limit(self, method: str, per_second: float, window: float = 1.0) -> None:
        """Answer `method` with HTTP 429 and Retry-After past `per_second` calls a second."""
        self._limits[method] = (max(1, round(per_second * window)), window)

    def fail(
        self,
        method: str,
        status: int = 500,
        error: str | None = None,
        times: int = 1,
        after: bool = False,
        retry_after: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail: an HTTP status (RESET drops the
        connection, STALL never answers, 429 says `Retry-After: retry_after`), or ok:false
        `error`. With `after`, the call is carried out first and only its answer fails (the
        worst case for a non-idempotent call). `method` may be a response_url path
        (`/respond/<name>`)."""
        self._faults += [Fault(method, status, error, after, retry_after)] * times

    def throttle_every(self, calls: int, retry_after: int = 1) -> None:
        """Answer every `calls`-th call (of any method, response_url posts included) with HTTP
        429 and `Retry-After: retry_after`, as a busy Slack does now and then."""
        self._throttle = (calls, retry_after)

    def hold(self) -> None:
        """Slack goes silent: every call from now on waits, unanswered, until release()."""
        self._open.clear()

    def release(self) -> None:
        """Answer the calls held since hold(), and every call after."""
        self._open.set()

    def held(self) -> int:
        """How many calls arrived while Slack was silent (recorded, not yet answered)."""
        with self._cond:
            return self._held

    def _clock(self) -> float:
        if self.clock is not None:
            return self.clock()
        return time.time() if self.now is None else self.now

    def _answer(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
        method = path.removeprefix("/api/") if path.startswith("/api/") else path
        if self.latency:
            self._stalled.wait(self.latency)
        if not self._open.is_set():
            with self._cond:
                self._held += 1
                self.counts[method] = self.counts.get(method, 0) + 1
                self.calls.append(Call(method, body, headers))
                self._cond.notify_all()
            while not self._open.wait(0.1) and not self._stalled.is_set():
                pass
            return 200, {"ok": True}  # answered late, if the client still waits
        with self._cond:
            self.counts[method] = self.counts.get(method, 0) + 1
            if self.keep_bodies:
                self.calls.append(Call(method, body, headers))
                self._cond.notify_all()
            throttled = self._throttled()
            if throttled is not None:
                return throttled
            fault = self._fault(method)
            if fault is not None and not fault.after:
                return fault.answer()
            refused = self._rate_limited(method)
            if refused is not None:
                return refused
            token = Call(method, body, headers).token
            if token in self.refused_tokens and path.startswith("/api/"):
                return 200, {"ok": False, "error": self.refused_tokens[token]}
            if method == "oauth.v2.access":
                return 200, self._oauth(body)
            if method.startswith("chat.schedule") or method == "chat.deleteScheduledMessage":
                done = self._scheduling(method, body, self.team_of(token))
                return fault.answer() if fault is not None else (200, done)
            if fault is not None:
                return fault.answer()
        if method == "users.info":
            return 200, self._user(str(body.get("user", "")))
        if method in ("views.publish", "views.open", "views.update"):
            view = body.get("view")
            view = json.loads(view) if isinstance(view, str) else view or {}
            return 200, {"ok": True, "view": {"id": f"V{len(self.calls)}", **view}}
        if method == "auth.test":
            return 200, self._auth_test(Call(method, body, headers).token)
        return 200, {"ok": True}

    def _auth_test(self, token: str | None) -> dict[str, Any]:
        workspace = self.workspaces.get(token or "")
        if workspace is None:
            return {
                "ok": True,
                "user_id": "UBOT",
                "bot_id": "BBOT",
                "team_id": "T1",
                "user": "sco-bot",
                "team": "Analysts",
                "url": "https://example.slack.com/",
            }
        return {
            "ok": True,
            "user_id": f"UBOT{workspace.team_id}",
            "bot_id": f"BBOT{workspace.team_id}",
            "team_id": workspace.team_id,
            "enterprise_id": workspace.enterprise_id,
            "is_enterprise_install": workspace.org_wide,
            "user": "sco-bot",
            "team": f"Team {workspace.team_id}",
            "url": f"https://{workspace.team_id.lower()}.example.slack.com/",
        }

    def _oauth(self, body: dict[str, Any]) -> dict[str, Any]:
        """oauth.v2.access: a code exchanged for a bot token, or a refresh token renewed."""
        if body.get("grant_type") == "refresh_token":
            refresh = body.get("refresh_token")
            found = [w for w in self.workspaces.values() if w.refresh_token == refresh]
            if not found:
                return {"ok": False, "error": "invalid_refresh_token"}
            return self._issue(found[0])
        workspace = self.codes.pop(str(body.get("code")), None)
        if workspace is None:
            return {"ok": False, "error": "invalid_code"}
        return self._issue(workspace)

    def _issue(self, workspace: Workspace) -> dict[str, Any]:
        self._next_id += 1
        prefix = "xoxe.xoxb" if workspace.rotating else "xoxb"
        token = f"{prefix}-{workspace.team_id}-{self._next_id}"
        workspace.tokens.append(token)
        self.workspaces[token] = workspace
        self.tokens_issued.append(token)
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": "A1",
            "authed_user": {"id": "UINSTALLER"},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": f"UBOT{workspace.team_id}",
            "team": None if workspace.org_wide else {"id": workspace.team_id, "name": "Team"},
            "enterprise": {"id": workspace.enterprise_id, "name": "Org"}
            if workspace.enterprise_id
            else None,
            "is_enterprise_install": workspace.org_wide,
        }
        if workspace.rotating:
            workspace.refresh_token = f"xoxe-1-refresh-{self._next_id}"
            answer |= {"refresh_token": workspace.refresh_token, "expires_in": self.expires_in}
        return answer

    def _user(self, user_id: str) -> dict[str, Any]:
        """users.info: the profile set in `users`, else user_not_found."""
        if user_id not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": {"id": user_id, "tz": "UTC", **self.users[user_id]}}

    def _throttled(self) -> tuple[int, Any] | None:
        if self._throttle is None:
            return None
        self._counted += 1
        every, wait = self._throttle
        if self._counted % every:
            return None
        self.answered_429 += 1
        return 429, {"ok": False, "error": "ratelimited", "retry_after": wait}

    def _fault(self, method: str) -> Fault | None:
        for i, fault in enumerate(self._faults):
            if fault.method == method:
                del self._faults[i]
                self.faults_injected += 1
                return fault
        return None

    def _rate_limited(self, method: str) -> tuple[int, Any] | None:
        if method in self._limits:
            allowed, window = self._limits[method]
            moment = time.monotonic()
            recent = [t for t in self._recent.get(method, []) if moment - t < window]
            if len(recent) >= allowed:
                self._recent[method] = recent
                self.answered_429 += 1
                wait = max(1, math.ceil(window - (moment - recent[0])))
                return 429, {"ok": False, "error": "ratelimited", "retry_after": wait}
            self._recent[method] = [*recent, moment]
        return None

    def _scheduling(self, method: str, body: dict[str, Any], team: str = "") -> dict[str, Any]:
        """Slack's scheduled messages, each workspace's apart (two may share a channel id)."""
        now = self._clock()
        for ident, message in list(self.scheduled.items()):
            if message["post_at"] <= now:  # Slack posts it and forgets the schedule
                self.posted.append(self.scheduled.pop(ident))
        channel = str(body.get("channel", ""))
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        if method == "chat.scheduleMessage":
            if "metadata" in body:
                return {"ok": False, "error": "metadata_not_supported_by_this_fake"}
            try:
                post_at = int(body["post_at"])
            except (KeyError, ValueError):
                return {"ok": False, "error": "invalid_time"}
            if post_at <= now:
                return {"ok": False, "error": "time_in_past"}
            if post_at > now + 120 * 86400:
                return {"ok": False, "error": "time_too_far"}
            near = [
                m
                for m in self.scheduled.values()
                if m["channel"] == channel
                and m["team"] == team
                and abs(m["post_at"] - post_at) < 300
            ]
            if len(near) >= 30:
                return {"ok": False, "error": "restricted_too_many"}
            self._next_id += 1
            ident = f"Q{self._next_id:08d}"
            self.scheduled[ident] = {
                "id": ident,
                "team": team,
                "channel": channel,
                "post_at": post_at,
                "text": body.get("text", ""),
                "blocks": body.get("blocks"),
            }
            return {
                "ok": True,
                "channel": channel,
                "scheduled_message_id": ident,
                "post_at": post_at,
            }
        if method == "chat.deleteScheduledMessage":
            ident = str(body.get("scheduled_message_id", ""))
            held = self.scheduled.get(ident, {})
            if held.get("channel") != channel or held.get("team") != team:
                return {"ok": False, "error": "invalid_scheduled_message_id"}
            del self.scheduled[ident]
            return {"ok": True}
        return self._list_scheduled(channel, body, now, team)

    def _list_scheduled(
        self, channel: str, body: dict[str, Any], now: float, team: str = ""
    ) -> dict[str, Any]:
        """chat.scheduledMessages.list, paginated with a numeric cursor."""
        held = sorted(
            (m for m in self.scheduled.values() if m["channel"] == channel and m["team"] == team),
            key=lambda m: m["id"],
        )
        start = int(body.get("cursor") or 0)
        size = int(body.get("limit") or 100)
        page = held[start : start + size]
        more = start + size < len(held)
        return {
            "ok": True,
            "scheduled_messages": [
                {
                    "id": m["id"],
                    "channel_id": channel,
                    "post_at": m["post_at"],
                    "date_created": int(now),
                    "text": m["text"],
                }
                for m in page
            ],
            "response_metadata": {"next_cursor": str(start + size) if more else ""},
        }

    def wait_for(self, predicate: Callable[[list[Call]], bool], timeout: float = 5.0) -> list[Call]:
        """Wait (with a deadline, no fixed sleep) until the recorded calls satisfy `predicate`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.calls):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out; calls so far: {[c.method for c in self.calls]}"
                    )
                self._cond.wait(remaining)
            return list(self.calls)

    def snapshot(self) -> list[Call]:
        """A copy of the calls recorded so far, taken under the lock."""
        with self._cond:
            return list(self.calls)

    def calls_to(self, prefix: str) -> list[Call]:
        """The recorded calls whose method (or response_url path) starts with `prefix`."""
        return [c for c in self.snapshot() if c.method.startswith(prefix)]

    def serve_quickly(self, poll_interval: float = 0.02) -> FakeSlack:
        """Before `with`: poll for shutdown every `poll_interval` s (the default 0.5 s is a
        half-second wait in every teardown)."""
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True
        )
        return self

    def __enter__(self) -> FakeSlack:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stalled.set()
        self._open.set()
        self.server.shutdown()
        self.server.server_close()


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    """The request handler class serving `fake`."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            # slack_sdk sends a few read methods (users.info) as GET with a query string.
            path, _, query = self.path.partition("?")
            self._serve(path, {k: v[0] for k, v in parse_qs(query).items()})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            if "json" in (self.headers.get("Content-Type") or ""):
                body = json.loads(raw or "{}")
            else:
                body = {k: v[0] for k, v in parse_qs(raw).items()}
            self._serve(self.path, body)

        def _serve(self, path: str, body: dict[str, Any]) -> None:
            status, reply = fake._answer(path, body, dict(self.headers))
            if fake.after_call is not None:
                fake.after_call(path.removeprefix("/api/"), body)
            if status == RESET:
                # Drop the connection without a response, as a network failure would.
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if status == STALL:
                fake._stalled.wait(reply)  # longer than the client waits: it times out
                return
            data = json.dumps(reply).encode()
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", str(reply.get("retry_after", 1)))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)  # the client may have been killed meanwhile

    return Handler


# Slack's Block Kit limits for a message (docs.slack.dev "Blocks" reference).
MAX_MESSAGE_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BLOCK_ID = 255
MAX_MESSAGE_TEXT = 40000
MAX_VIEW_BLOCKS = 100
MAX_VIEW_TITLE = 24


def block_kit_problems(message: dict[str, Any]) -> list[str]:
    """What Slack would refuse (or truncate) in a message payload: [] when it is within limits."""
    problems: list[str] = []
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append("no notification fallback text")
    elif len(text) > MAX_MESSAGE_TEXT:
        problems.append(f"text is {len(text)} characters")
    blocks = message.get("blocks") or []
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        problems.append(f"{len(blocks)} blocks")
    for i, block in enumerate(blocks):
        problems += _block_problems(i, block)
    return problems


def view_problems(view: dict[str, Any]) -> list[str]:
    """What Slack would refuse in a Home tab or modal view: [] when it is within limits."""
    problems: list[str] = []
    kind = view.get("type")
    blocks = view.get("blocks") or []
    if kind not in ("home", "modal"):
        problems.append(f"view type {kind!r}")
    if len(blocks) > MAX_VIEW_BLOCKS:
        problems.append(f"{len(blocks)} blocks in a view")
    for key in ("title", "submit", "close"):
        label = view.get(key)
        if label is not None and not 0 < len(label.get("text", "")) <= MAX_VIEW_TITLE:
            problems.append(f"view {key} {label!r}")
    if kind == "modal" and "title" not in view:
        problems.append("a modal needs a title")
    if any(b.get("type") == "input" for b in blocks) and "submit" not in view:
        problems.append("a modal with inputs needs submit")
    if len(str(view.get("private_metadata", ""))) > 3000:
        problems.append("private_metadata too long")
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(ids) != len(set(ids)):
        problems.append("a block_id repeats")
    for i, block in enumerate(blocks):
        problems += _block_problems(i, block, inputs=kind == "modal")
    return problems


def _block_problems(i: int, block: dict[str, Any], inputs: bool = False) -> list[str]:
    """Slack's limits on one block (input blocks only where allowed: views)."""
    problems: list[str] = []
    kind = block.get("type")
    if len(block.get("block_id") or "") > MAX_BLOCK_ID:
        problems.append(f"blocks[{i}].block_id too long")
    if kind == "header":
        if block["text"]["type"] != "plain_text":
            problems.append(f"blocks[{i}] header is not plain_text")
        if not 0 < len(block["text"]["text"]) <= MAX_HEADER_TEXT:
            problems.append(f"blocks[{i}] header text is {len(block['text']['text'])} chars")
    elif kind == "section":
        if not 0 < len(block["text"]["text"]) <= MAX_SECTION_TEXT:
            problems.append(f"blocks[{i}] section text is {len(block['text']['text'])} chars")
    elif kind == "context":
        if not 0 < len(block["elements"]) <= MAX_CONTEXT_ELEMENTS:
            problems.append(f"blocks[{i}] context has {len(block['elements'])} elements")
    elif kind == "actions":
        problems += _actions_problems(i, block)
    elif kind == "input" and inputs:
        label = block.get("label") or {}
        if label.get("type") != "plain_text" or not 0 < len(label.get("text", "")) <= 2000:
            problems.append(f"blocks[{i}] input label {label!r}")
        if not block.get("element", {}).get("action_id"):
            problems.append(f"blocks[{i}] input element has no action_id")
    elif kind != "divider":
        problems.append(f"blocks[{i}] has unexpected type {kind!r}")
    return problems


def _actions_problems(i: int, block: dict[str, Any]) -> list[str]:
    """Slack's limits on an actions block: 1-25 elements, labels <= 75, values <= 2000, action
    ids unique in the message block."""
    problems = []
    elements = block.get("elements") or []
    if not 0 < len(elements) <= 25:
        problems.append(f"blocks[{i}] actions has {len(elements)} elements")
    ids = [e.get("action_id") for e in elements]
    if len(ids) != len(set(ids)):
        problems.append(f"blocks[{i}] repeats an action_id")
    for element in elements:
        label = element.get("text") or element.get("placeholder") or {}
        if label.get("type") != "plain_text" or not 0 < len(label.get("text", "")) <= 75:
            problems.append(f"blocks[{i}] element label {label!r}")
        if len(str(element.get("value", ""))) > 2000:
            problems.append(f"blocks[{i}] element value too long")
        for option in element.get("options", []):
            if len(option["value"]) > 150 or not 0 < len(option["text"]["text"]) <= 75:
                problems.append(f"blocks[{i}] option {option!r}")
    return problems


def main() -> None:
    """Run the fake standalone for rehearsals: `python -m testkit.fakeslack --port 8099`."""
    import argparse
    from datetime import datetime

    parser = argparse.ArgumentParser(description="A local fake of Slack's Web API.")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--now", help="Slack's clock as an ISO datetime (default: real time)")
    args = parser.parse_args()
    fake = FakeSlack(port=args.port)
    if args.now:
        fake.now = datetime.fromisoformat(args.now).timestamp()
    print(f"fake Slack Web API at {fake.api_url}", flush=True)
    with fake, contextlib.suppress(KeyboardInterrupt):
        fake.thread.join()


if __name__ == "__main__":
    main()
