"""`sco-bot serve`: the Slack app over HTTP (waitress) or Socket Mode, with the reloader and
the periodic reconcile running beside it.

SIGTERM (or SIGINT) stops it cleanly: no new connections are accepted, requests in flight are
answered, the current reconcile finishes, and the process exits 0 within STOP_SECONDS."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from waitress import wasyncore

from bot.knowledge.errors import DigestError
from bot.logs import START_LOGGER, logged_wsgi, request_scope
from bot.reminders.periodic import PeriodicReconcile
from bot.reminders.workspace import Workspace
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import build_slack
from bot.slack.feed import CalendarFeed
from bot.slack.http import EVENTS_PATH, HEALTH_PATH, create_http_server, create_wsgi_app

log = logging.getLogger("sco_bot")
start_log = logging.getLogger(START_LOGGER)  # written at any SCO_LOG_LEVEL

STOP_SECONDS = 9.0  # a container runtime sends SIGKILL 10 s after SIGTERM
DRAIN_SECONDS = 7.0  # of which in-flight requests may take this long
DRAIN_THREAD = "sco-drain"
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def calendar_feed(services: Services) -> CalendarFeed | None:
    """The calendar feed served beside /slack/events (None without a secret to sign links)."""
    links = services.pipeline.feed
    if links is None:
        return None
    settings = services.settings

    def installed(workspace: Workspace) -> bool:
        # With OAuth, a workspace that removed the app has no feed any more.
        return not settings.oauth or services.tokens().grant(workspace) is not None

    return CalendarFeed(
        links,
        services.digests,
        services.clock.now,
        settings.timezone,
        services.renderer,
        installed,
    )


def serve(services: Services, *, socket_mode: bool, host: str, port: int, threads: int) -> None:
    """Serve Slack until SIGTERM or SIGINT (the digest reloads and reminders reconcile
    meanwhile)."""
    settings = services.settings
    # Start-up lines go through logging like every other: JSON under SCO_LOG_FORMAT=json.
    start_log.info("sco-bot: reminders ledger at %s", ledger_location(settings))
    slack = build_slack(services)
    app = slack.app
    slack.check.start()  # auth.test now (with OAuth: api.test), then every few minutes
    periodic = PeriodicReconcile(
        services.deliveries,
        services.clock.now,
        settings.reconcile_seconds,
        after=services.tell_news,
    )
    periodic.start()
    reloader = services.reloader(lambda invalid: _tell_admins(services, app, invalid))
    reloader.start()
    signal.signal(signal.SIGHUP, lambda *_: reloader.trigger())
    wsgi = logged_wsgi(
        create_wsgi_app(
            app,
            lambda: services.digests.current.version,
            services.database_ok,
            slack=lambda: slack.check.state,
            feed=calendar_feed(services),
        ),
        EVENTS_PATH,
    )
    stopping = threading.Event()
    started = [0.0]

    def stop(*_: object) -> None:
        if not stopping.is_set():
            started[0] = time.monotonic()
            log.info("stopping: no new requests; finishing those in flight")
            stopping.set()
            periodic.stop()
            reloader.stop()
            slack.check.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if socket_mode:
        _serve_socket_mode(app, settings, wsgi, host, stopping)
    else:
        _serve_http(wsgi, host, port, threads, stopping, settings.trusted_proxy)
    left = STOP_SECONDS - (time.monotonic() - started[0])
    if not services.close(max(left, 0.1)):
        log.warning("stopped with Slack work unfinished (answers not posted, a reconcile cut)")
    left = STOP_SECONDS - (time.monotonic() - started[0])
    if not periodic.join(max(left, 0.1)):
        log.warning("stopped during a reconcile; the next start resumes it (the ledger is kept)")
    log.info("stopped")


def ledger_location(settings: Settings) -> str:
    """Where the reminders ledger is, without a password: a file path or host/database."""
    url = settings.database_url
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    return url.split("://", 1)[0] + "://" + url.split("@")[-1]


def _serve_http(
    wsgi: WsgiApp,
    host: str,
    port: int,
    threads: int,
    stopping: threading.Event,
    trusted_proxy: str | None = None,
) -> None:
    server = create_http_server(wsgi, host, port, threads, trusted_proxy=trusted_proxy)
    where = f"http://{host}:{server.effective_port}"
    start_log.info("sco-bot: serving Slack requests at %s/slack/events", where)
    _run_until(server, stopping)


def _run_until(server: Any, stopping: threading.Event) -> None:
    """Run a waitress server until `stopping` is set, then drain it and return."""
    drained = threading.Event()
    drainer = threading.Thread(
        target=_drain, args=(server, stopping, drained), name=DRAIN_THREAD, daemon=True
    )
    drainer.start()
    adj = server.adj
    while server._map and not drained.is_set():  # server.run(), a turn at a time
        wasyncore.loop(adj.asyncore_loop_timeout, adj.asyncore_use_poll, server._map, count=1)
    # The trigger is closed here, once the drainer has pulled it for the last time: closed by
    # a thunk it queued, the loop could close it between the drainer's queueing and its write,
    # which then hit a closed descriptor (a traceback at SIGTERM, about one stop in five).
    drainer.join()
    wasyncore.close_all(server._map)
    server.task_dispatcher.shutdown(cancel_pending=False, timeout=1)


def _drain(server: Any, stopping: threading.Event, drained: threading.Event) -> None:
    # waitress's loop is single-threaded: socket changes are handed to it through its trigger.
    stopping.wait()
    server.trigger.pull_trigger(lambda: _stop_accepting(server))
    deadline = time.monotonic() + DRAIN_SECONDS
    pause = threading.Event()
    while not _idle(server) and time.monotonic() < deadline:
        pause.wait(0.02)
    drained.set()
    server.trigger.pull_trigger()  # wakes the loop to see it: it then closes every channel


def _stop_accepting(server: Any) -> None:
    server.accepting = False
    server.del_channel()
    server.socket.close()


def _idle(server: Any) -> bool:
    """No request queued, running, half-received or with an answer still being sent."""
    tasks = server.task_dispatcher
    if tasks.active_count or tasks.queue:
        return False
    return all(
        not channel.requests and channel.request is None and not channel.total_outbufs_len
        for channel in list(server.active_channels.values())
    )


def _serve_socket_mode(
    app: App, settings: Settings, wsgi: WsgiApp, host: str, stopping: threading.Event
) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    class LoggedHandler(SocketModeHandler):
        def handle(self, client: Any, req: Any) -> None:
            with request_scope(getattr(req, "envelope_id", None)):
                super().handle(client, req)

    handler = LoggedHandler(app, settings.slack_app_token)
    health = None
    if settings.health_port is not None:
        health = create_http_server(_health_only(wsgi), host, settings.health_port, threads=2)
        where = f"http://{host}:{health.effective_port}{HEALTH_PATH}"
        start_log.info("sco-bot: health at %s", where)
        threading.Thread(target=_run_until, args=(health, stopping), daemon=True).start()
    start_log.info("sco-bot: connecting to Slack in Socket Mode")
    threading.Thread(target=_connect, args=(handler, stopping), daemon=True).start()
    while not stopping.wait(0.5):
        pass
    handler.close()  # type: ignore[no-untyped-call]


def _connect(handler: Any, stopping: threading.Event) -> None:
    """Connect to Slack, retrying with backoff: a Slack outage at start is not a crash."""
    delay = 1.0
    while not stopping.is_set():
        try:
            handler.connect()
        except Exception as exc:
            log.warning("could not connect in Socket Mode (%s); retrying in %g s", exc, delay)
            stopping.wait(delay)
            delay = min(delay * 2, 60.0)
        else:
            log.info("connected to Slack in Socket Mode")
            return


def _health_only(wsgi: WsgiApp) -> WsgiApp:
    def health(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            return wsgi(environ, start_response)
        body = json.dumps({"error": "not found"}).encode()
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [body]

    return health


def _tell_admins(services: Services, app: App, invalid: DigestError) -> None:
    """Post an invalid digest's problems to SCO_ADMIN_CHANNEL (the reloader does so once)."""
    channel = services.settings.admin_channel
    if not channel:
        return
    problems = [str(p) for p in invalid.problems]
    page = services.pipeline.render("digest_invalid.j2", problems=problems)[0]
    try:
        services.web_client().chat_postMessage(channel=channel, **page.payload())
    except Exception as exc:
        log.warning("could not tell the admin channel: %s", exc)
