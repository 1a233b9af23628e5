"""The Slack app: Bolt, with our middleware, listeners by surface and one error handler."""

from __future__ import annotations

from slack_bolt import App

from bot.clock import Clock
from bot.services import Services, build_services
from bot.settings import Settings, load_settings
from bot.slack import errors
from bot.slack.client import create_web_client
from bot.slack.identity import BotIdentity
from bot.slack.listeners import register_listeners
from bot.slack.logging_middleware import NoteRequest
from bot.slack.middleware import SlackGate
from bot.slack.work import SlackWork


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
    work = SlackWork(settings, services.background, services.answers)
    app = App(
        # Bolt's client only gives each request's client its settings; the token comes from
        # `authorize`, which never calls Slack (bot/slack/identity.py).
        client=create_web_client(settings, with_token=False),
        authorize=BotIdentity(settings.slack_bot_token or "", work, ask=services.serving),
        signing_secret=settings.slack_signing_secret or "",
        # Verified by our own middleware, first: Bolt's lets a malformed timestamp raise.
        request_verification_enabled=False,
        before_authorize=SlackGate(settings.slack_signing_secret or "", settings.slack_app_id),
        # The listener runs inline and its ack becomes the HTTP response: no 10 ms ack polling.
        # So listeners never call Slack: they queue that work on `work` and return.
        process_before_response=True,
        name="sco-bot",
    )
    app.use(NoteRequest())
    register_listeners(app, services.pipeline, services.clock, work)
    errors.register(app, services.pipeline)
    return app
