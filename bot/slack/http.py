"""HTTP serving: Bolt's WSGI adapter behind waitress, plus a health endpoint."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1024 * 1024

log = logging.getLogger("sco_bot.server")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _reply(start_response: StartResponse, status: str, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def create_wsgi_app(
    app: App, version: Callable[[], str], database: Callable[[], bool] | None = None
) -> WsgiApp:
    """Route POST /slack/events to Bolt and GET /healthz to a JSON status: the digest version
    and, when `database` is given, whether the ledger answers (503 when it does not)."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == HEALTH_PATH:
            status: dict[str, Any] = {"status": "ok", "digest": version()}
            if database is not None:
                reachable = database()
                status["database"] = "ok" if reachable else "unreachable"
                if not reachable:
                    status["status"] = "unavailable"
            code = "200 OK" if status["status"] == "ok" else "503 Service Unavailable"
            return _reply(start_response, code, status)
        if path == EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                raw = environ["wsgi.input"].read(length) if length > 0 else b""
                raw.decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                # Bolt would fail decoding it (a 500); Slack only ever sends UTF-8.
                return _reply(start_response, "400 Bad Request", {"error": "invalid request"})
            environ["wsgi.input"] = io.BytesIO(raw)
            environ["CONTENT_LENGTH"] = str(len(raw))
            try:
                return slack(environ, start_response)
            except ValueError:
                # Bolt parses JSON bodies before checking the signature; junk is not a 500.
                return _reply(start_response, "400 Bad Request", {"error": "invalid request"})
        return slack(environ, start_response)

    return wsgi


def create_http_server(wsgi: WsgiApp, host: str, port: int, threads: int = 8) -> Any:
    """A waitress server (port 0 picks a free one: see `.effective_port`); call `.run()`."""
    return create_server(
        wsgi,
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=MAX_BODY_BYTES,
        ident="sco-bot",
        clear_untrusted_proxy_headers=True,
        channel_timeout=30,
    )
