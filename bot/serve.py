"""`sco-bot serve`: the Slack app over HTTP (waitress) or Socket Mode, with the reloader and
the periodic reconcile running beside it."""

from __future__ import annotations

import logging
import signal
import sys

from slack_bolt import App

from bot.knowledge.errors import DigestError
from bot.reminders.periodic import PeriodicReconcile
from bot.services import Services
from bot.slack.app import build_bolt_app
from bot.slack.http import create_http_server, create_wsgi_app

log = logging.getLogger("sco_bot")


def serve(services: Services, *, socket_mode: bool, host: str, port: int, threads: int) -> None:
    """Serve Slack until interrupted (the digest reloads and reminders reconcile meanwhile)."""
    settings = services.settings
    app = build_bolt_app(services)
    periodic = PeriodicReconcile(services.delivery, services.clock.now, settings.reconcile_seconds)
    periodic.start()
    reloader = services.reloader(lambda invalid: _tell_admins(services, app, invalid))
    reloader.start()
    signal.signal(signal.SIGHUP, lambda *_: reloader.trigger())
    if socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        print("sco-bot: connecting to Slack in Socket Mode", file=sys.stderr)
        SocketModeHandler(app, settings.slack_app_token).start()  # type: ignore[no-untyped-call]
        return
    wsgi = create_wsgi_app(app, lambda: services.digests.current.version, services.database_ok)
    server = create_http_server(wsgi, host, port, threads)
    print(
        f"sco-bot: serving Slack requests at http://{host}:{server.effective_port}/slack/events",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        reloader.stop()
        periodic.stop()
        server.close()


def _tell_admins(services: Services, app: App, invalid: DigestError) -> None:
    """Post an invalid digest's problems to SCO_ADMIN_CHANNEL (the reloader does so once)."""
    channel = services.settings.admin_channel
    if not channel:
        return
    problems = [str(p) for p in invalid.problems]
    page = services.pipeline.render("digest_invalid.j2", problems=problems)[0]
    try:
        app.client.chat_postMessage(channel=channel, **page.payload())
    except Exception as exc:
        log.warning("could not tell the admin channel: %s", exc)
