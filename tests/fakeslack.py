"""A local fake of Slack's Web API and response_url over real HTTP, recording every call."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Call:
    """One request the fake received: the API method (or response_url path) and its body."""

    method: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    """Serves /api/<method> and /respond/<id> on an ephemeral loopback port."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    body = json.loads(raw or "{}")
                else:
                    body = {k: v[0] for k, v in parse_qs(raw).items()}
                status, reply = fake._answer(self.path, body, dict(self.headers))
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        """Base URL to give slack_sdk.WebClient(base_url=...)."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "1") -> str:
        """A response_url that posts back to this fake."""
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    def _answer(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
        method = path.removeprefix("/api/") if path.startswith("/api/") else path
        with self._cond:
            self.calls.append(Call(method, body, headers))
            self._cond.notify_all()
        if method == "auth.test":
            return 200, {
                "ok": True,
                "user_id": "UBOT",
                "bot_id": "BBOT",
                "team_id": "T1",
                "user": "sco-bot",
                "team": "Analysts",
                "url": "https://example.slack.com/",
            }
        return 200, {"ok": True}

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

    def __enter__(self) -> FakeSlack:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# Slack's Block Kit limits for a message (docs.slack.dev "Blocks" reference).
MAX_MESSAGE_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BLOCK_ID = 255
MAX_MESSAGE_TEXT = 40000


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
        elif kind != "divider":
            problems.append(f"blocks[{i}] has unexpected type {kind!r}")
    return problems
