"""HTTP serving: Bolt's WSGI adapter behind waitress, plus a health endpoint.

Signatures are checked here, on the raw body, before Bolt parses anything: Bolt builds its
request (calling `.get` on whatever JSON the body holds) and answers `ssl_check` before any
middleware runs, so an unsigned `[]` was a 500 with a traceback and an unsigned `ssl_check`
a 200."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any, cast
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_sdk.signature import SignatureVerifier
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

from bot.slack.feed import CalendarFeed
from bot.slack.middleware import REQUEST_ORIGIN, SIGNATURE_CHECKED, RefusalLog, unsigned_because

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1024 * 1024
# /healthz answers within this, whatever the database does (a probe still running is reused).
HEALTH_SECONDS = 1.0
# Idle connections cost a socket, not a thread: hold many, and give each request this long to
# arrive whole (a client sending one header line every few seconds is dropped, not waited on).
CONNECTION_LIMIT = 1000
REQUEST_SECONDS = 10.0
IDLE_SECONDS = 30

# A host name and port as a link may carry it (a forged Host header never becomes markup).
_HOST = re.compile(r"^[A-Za-z0-9.\-]{1,253}(:\d{1,5})?$")

log = logging.getLogger("sco_bot.server")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _reply(start_response: StartResponse, status: str, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class HealthProbe:
    """Asks `database()` at most once at a time and answers within `seconds` of asking.

    While a question is out, other callers get the last answer at once ("unreachable" when
    there is none yet or the question is overdue): a burst of checks against a silent database
    holds one server thread, not all of them, and health is 503 within the bound."""

    def __init__(self, database: Callable[[], bool], seconds: float = HEALTH_SECONDS) -> None:
        self.database = database
        self.seconds = seconds
        self._pending: Future[bool] | None = None
        self._asked = 0.0
        self._last: bool | None = None
        self._lock = threading.Lock()

    def ok(self) -> bool:
        """True when the database answered within the bound."""
        with self._lock:
            pending, now = self._pending, time.monotonic()
            if pending is None or pending.done():
                pending = self._pending = self._ask()
                self._asked = now
            else:  # someone already waits for the answer: not known to be up is down
                return bool(self._last) and now - self._asked < self.seconds
            deadline = self._asked + self.seconds
        try:
            answer = pending.result(timeout=max(0.0, deadline - time.monotonic()))
        except Exception:  # timed out, or the check itself failed
            answer = False
        self._last = answer
        return answer

    def _ask(self) -> Future[bool]:
        # A daemon thread: a question stuck on a silent database never holds up the exit.
        answer: Future[bool] = Future()

        def ask() -> None:
            try:
                answer.set_result(bool(self.database()))
            except Exception as exc:
                answer.set_exception(exc)

        threading.Thread(target=ask, name="sco-health", daemon=True).start()
        return answer


def _body_is_an_object(raw: bytes, content_type: str) -> bool:
    """Whether Bolt will find a JSON object or a form where it expects one (else it raises)."""
    text = raw.decode("utf-8")
    if content_type.startswith("application/json") or text.startswith("{"):
        return isinstance(json.loads(text), dict)
    if "payload" in text:
        payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
        return payload is None or isinstance(json.loads(payload), dict)
    return True


def _unambiguous(text: str) -> str:
    """The form as Bolt will read it right: Bolt takes any body containing "payload" for an
    interactive payload, so a command typed with that word (or from a channel named like it)
    parsed as empty. "%70" decodes to "p": the fields are unchanged, the substring is gone."""
    if "payload" not in text or text.lstrip().startswith("{"):
        return text
    if any(key == "payload" for key, _ in parse_qsl(text, keep_blank_values=True)):
        return text
    return text.replace("payload", "%70ayload")


class _VerifiedHandler(SlackRequestHandler):
    """Bolt's WSGI adapter for requests whose signature we checked on the raw body."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        """Hand Bolt the body in a form it parses right, marked as verified."""
        body = request.get_body()
        headers = request.get_headers()
        if not str(request.environ.get("CONTENT_TYPE") or "").startswith("application/json"):
            body = _unambiguous(body)
        return self.app.dispatch(
            BoltRequest(
                body=body,
                query=request.query_string,
                headers=headers,
                context={SIGNATURE_CHECKED: True, REQUEST_ORIGIN: _origin(request.environ)},
            )
        )


def _origin(environ: dict[str, Any]) -> str | None:
    """Where the request came in (`https://host`), as waitress saw it (a trusted proxy's
    X-Forwarded-Proto and -Host applied); None for a host that is not a plain host name."""
    host = str(environ.get("HTTP_HOST") or "")
    scheme = str(environ.get("wsgi.url_scheme") or "http")
    if not _HOST.match(host) or scheme not in ("http", "https"):
        return None
    return f"{scheme}://{host}"


def _events(
    bolt: SlackRequestHandler,
    verifier: SignatureVerifier,
    refusals: RefusalLog,
    environ: dict[str, Any],
    start_response: StartResponse,
) -> Iterable[bytes]:
    """POST /slack/events: refused unless signed and parsable; then Bolt's."""
    invalid = {"error": "invalid request"}
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
    except ValueError:
        return _reply(start_response, "400 Bad Request", invalid)
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    why = unsigned_because(verifier, raw, timestamp, environ.get("HTTP_X_SLACK_SIGNATURE", ""))
    if why is not None:
        refusals.refused(why)
        return _reply(start_response, "401 Unauthorized", invalid)
    try:
        if not _body_is_an_object(raw, environ.get("CONTENT_TYPE") or ""):
            return _reply(start_response, "400 Bad Request", invalid)
    except (ValueError, UnicodeDecodeError):
        # Bolt would fail decoding it (a 500); Slack only ever sends UTF-8 JSON or forms.
        return _reply(start_response, "400 Bad Request", invalid)
    environ["wsgi.input"] = io.BytesIO(raw)
    environ["CONTENT_LENGTH"] = str(len(raw))
    try:
        return bolt(environ, start_response)
    except (ValueError, TypeError, AttributeError, LookupError) as exc:
        # Signed, yet shaped so that Bolt's request parsing fails: not ours to 500 on.
        log.warning("refused a signed request Bolt could not parse: %s", type(exc).__name__)
        return _reply(start_response, "400 Bad Request", invalid)


def create_wsgi_app(
    app: App,
    version: Callable[[], str],
    database: Callable[[], bool] | None = None,
    *,
    signing_secret: str | None = None,
    slack: Callable[[], str] | None = None,
    feed: CalendarFeed | None = None,
) -> WsgiApp:
    """Route POST /slack/events (signed only) to Bolt, with OAuth GET /slack/install and
    /slack/oauth_redirect to Bolt's install flow, and GET /healthz to a JSON status: the
    digest version, when `database` is given whether the ledger answers (503 if not), and when
    `slack` is given what Slack makes of the token (ok, unauthorized: 503, unreachable)."""
    bolt = _VerifiedHandler(app, path=EVENTS_PATH)
    # Bolt keeps the secret it was built with and has no public accessor for it.
    verifier = SignatureVerifier(app._signing_secret if signing_secret is None else signing_secret)
    probe = HealthProbe(database) if database is not None else None
    refusals = RefusalLog()  # each refused signature's reason, once a minute

    def health(start_response: StartResponse) -> Iterable[bytes]:
        status: dict[str, Any] = {"status": "ok", "digest": version()}
        if probe is not None:
            reachable = probe.ok()
            status["database"] = "ok" if reachable else "unreachable"
            if not reachable:
                status["status"] = "unavailable"
        if slack is not None:
            # Slack's own outage is reported, not a reason to restart us; a refused token is.
            status["slack"] = slack()
            if status["slack"] == "unauthorized":
                status["status"] = "unavailable"
        code = "200 OK" if status["status"] == "ok" else "503 Service Unavailable"
        return _reply(start_response, code, status)

    flow = app.oauth_flow
    install_paths = {flow.install_path, flow.redirect_uri_path} if flow is not None else set()

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == HEALTH_PATH:
            return health(start_response)
        if path == EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
            return _events(bolt, verifier, refusals, environ, start_response)
        if path in install_paths and environ.get("REQUEST_METHOD") == "GET":
            return bolt(environ, start_response)  # Bolt's install flow: its state checks
        if (
            feed is not None
            and feed.handles(str(path))
            and environ.get("REQUEST_METHOD")
            in (
                "GET",
                "HEAD",
            )
        ):
            return feed(environ, start_response)  # the calendar feed: its own secret token
        # Nothing else reaches Bolt: only a verified POST is ever dispatched.
        return _reply(start_response, "404 Not Found", {"error": "not found"})

    return wsgi


class _Channel(HTTPChannel):
    """A connection that remembers when its current request began to arrive."""

    request_began = 0.0

    def received(self, data: bytes) -> bool:
        if self.request is None:
            self.request_began = time.monotonic()
        return bool(super().received(data))


class _Server(TcpWSGIServer):
    """waitress's server, also closing connections whose request takes too long to arrive."""

    channel_class = _Channel
    request_seconds = REQUEST_SECONDS

    def maintenance(self, now: int) -> None:
        super().maintenance(now)
        cutoff = time.monotonic() - self.request_seconds
        # (waitress's stubs type active_channels as one channel; it is the fd -> channel map)
        channels = cast("dict[int, HTTPChannel]", self.active_channels)
        for channel in list(channels.values()):
            if (
                isinstance(channel, _Channel)
                and channel.request is not None
                and not channel.requests
                and channel.request_began < cutoff
            ):
                channel.will_close = True


def create_http_server(
    wsgi: WsgiApp,
    host: str,
    port: int,
    threads: int = 8,
    *,
    request_seconds: float = REQUEST_SECONDS,
    trusted_proxy: str | None = None,
) -> Any:
    """A waitress server (port 0 picks a free one: see `.effective_port`); call `.run()`.

    Slow or idle clients cannot lock Slack out: up to CONNECTION_LIMIT connections are held
    (poll(), not select(), so past 1,024 descriptors), and a request that has not arrived
    whole within `request_seconds` has its connection closed. Forwarded headers are dropped
    unless they come from `trusted_proxy` (then waitress applies them to the request)."""
    proxy: dict[str, Any] = {}
    if trusted_proxy:
        proxy = {
            "trusted_proxy": trusted_proxy,
            "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-host", "x-forwarded-for"},
        }
    adj = Adjustments(
        host=host,
        port=port,
        threads=threads,
        # waitress refuses a body of exactly max_request_body_size: 1 MB itself is allowed.
        max_request_body_size=MAX_BODY_BYTES + 1,
        ident="sco-bot",
        clear_untrusted_proxy_headers=True,
        channel_timeout=IDLE_SECONDS,
        connection_limit=CONNECTION_LIMIT,
        cleanup_interval=1,
        asyncore_use_poll=True,
        **proxy,
    )
    try:
        server = _Server(wsgi, map={}, _start=True, adj=adj, dispatcher=_workers(threads))
    except OSError as exc:  # address in use, not ours to bind: the operator's to fix
        raise ListenError(
            f"sco-bot: cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None
    server.request_seconds = request_seconds
    return server


def _workers(threads: int) -> ThreadedTaskDispatcher:
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(threads)
    return dispatcher


class ListenError(SystemExit):
    """The server cannot listen where it was told to: the process ends with this one line
    (a SystemExit, so `sco-bot serve` prints no traceback)."""
