"""HTTP serving: Bolt's WSGI adapter behind waitress, plus a health endpoint."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1024 * 1024

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def create_wsgi_app(app: App, version: Callable[[], str]) -> WsgiApp:
    """Route POST /slack/events to Bolt and GET /healthz to a JSON status."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            body = json.dumps({"status": "ok", "digest": version()}).encode()
            start_response(
                "200 OK",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
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
    )
