"""The Slack app: Bolt, with our middleware, listeners by surface and one error handler."""

from __future__ import annotations

from slack_bolt import App

from bot.clock import Clock
from bot.services import Services, build_services
from bot.settings import Settings, load_settings
from bot.slack import errors
from bot.slack.listeners import register_listeners
from bot.slack.logging_middleware import NoteRequest
from bot.slack.middleware import SlackGate


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    clock: Clock | None = None,
    socket_mode: bool = False,
) -> App:
    """Build the configured Bolt app (from `services`, else from settings or the environment)."""
    if services is None:
        settings = settings or load_settings()
        settings.require_slack(socket_mode)
        services = build_services(settings, clock, serving=True)
    else:
        services.settings.require_slack(socket_mode)
    return build_bolt_app(services)


def build_bolt_app(services: Services) -> App:
    """Bolt wired to the services: verification first, then listeners, then the error handler."""
    settings = services.settings
    app = App(
        client=services.web_client(),
        signing_secret=settings.slack_signing_secret or "",
        # Verified by our own middleware, first: Bolt's lets a malformed timestamp raise.
        request_verification_enabled=False,
        before_authorize=SlackGate(settings.slack_signing_secret or "", settings.slack_app_id),
        # The listener runs inline and its ack becomes the HTTP response: no 10 ms ack polling.
        process_before_response=True,
        # No network call at construction; Bolt checks the token on the first request.
        token_verification_enabled=False,
        name="sco-bot",
    )
    app.use(NoteRequest())
    register_listeners(app, services.pipeline, services.clock)
    errors.register(app, services.pipeline)
    return app
