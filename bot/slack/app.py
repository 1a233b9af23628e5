"""The Slack app: Bolt, with our middleware, listeners by surface and one error handler."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt import App
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.oauth_settings import OAuthSettings

from bot.clock import Clock
from bot.services import Services, build_services
from bot.settings import Settings, load_settings
from bot.slack import errors
from bot.slack.client import create_web_client
from bot.slack.deps import Deps
from bot.slack.identity import BotIdentity, InstalledIdentity, SlackCheck
from bot.slack.installs import BOT_SCOPES, Installations
from bot.slack.listeners import register_listeners
from bot.slack.logging_middleware import NoteRequest
from bot.slack.middleware import ServeWorkspace, SlackGate
from bot.slack.replies import SlackViews
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
    return build_slack(services).app


@dataclass(frozen=True)
class Slack:
    """The Bolt app, the work it hands on, and the check of Slack's answer to the token."""

    app: App
    work: SlackWork
    check: SlackCheck
    deps: Deps  # what the listeners are given


class _BoltTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and, given our client (which
    carries SLACK_API_URL and the timeouts), warns that it will not use it: it does not, the
    token comes from `authorize`. That one line is dropped, every other Bolt line kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def build_bolt_app(services: Services) -> App:
    """Bolt wired to the services (see `build_slack`)."""
    return build_slack(services).app


def build_slack(services: Services) -> Slack:
    """Bolt wired to the services: verification first, then authorization (the bot token, or
    the workspace's installation), then listeners, then the error handler; with OAuth, Bolt's
    install flow at /slack/install and /slack/oauth_redirect."""
    settings = services.settings
    work = SlackWork(settings, services.background, services.answers, services.revoked)
    check = SlackCheck(work, oauth=settings.oauth)
    oauth = None
    if settings.oauth:
        tokens = services.tokens()
        assert isinstance(tokens, Installations)
        authorize: BotIdentity | InstalledIdentity = InstalledIdentity(work, tokens)
        oauth = OAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            scopes=list(BOT_SCOPES),  # exactly the manifest's bot scopes
            user_scopes=[],
            redirect_uri=settings.slack_redirect_uri,
            installation_store=tokens.store,
            state_store=tokens.states,
        )
    else:
        authorize = BotIdentity(work, check, ask=services.serving)
    logging.getLogger("slack_bolt.App").addFilter(_BoltTokenWarning())
    app = App(
        # Bolt's client gives each request's client its settings and runs the install flow
        # (oauth.v2.access at SLACK_API_URL); tokens come from `authorize`, which never calls
        # Slack (bot/slack/identity.py).
        client=create_web_client(settings, with_token=False),
        authorize=authorize,
        oauth_settings=oauth,
        signing_secret=settings.slack_signing_secret or "",
        # Verified by our own middleware, first: Bolt's lets a malformed timestamp raise.
        request_verification_enabled=False,
        before_authorize=SlackGate(settings.slack_signing_secret or "", settings.slack_app_id),
        # The listener runs inline and its ack becomes the HTTP response: no 10 ms ack polling.
        # So listeners never call Slack: they queue that work on `work` and return.
        process_before_response=True,
        name="sco-bot",
    )
    app.use(ServeWorkspace(work))
    app.use(NoteRequest())
    # One dependency object for every listener, built here once: each listener is given it.
    deps = Deps(services, work, check, SlackViews(services.pipeline))
    register_listeners(app, deps)
    errors.register(app, deps)
    return Slack(app, work, check, deps)
