"""Each workspace's bot token: SLACK_BOT_TOKEN's one workspace, or the workspaces installed
through Slack's OAuth flow, kept by slack-sdk's SQLAlchemy installation store in the ledger's
database (rotating tokens refreshed before they expire). No lookup here calls Slack except a
token's refresh; none before an acknowledgement unless the token has already expired."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.reminders.workspace import TOKEN_WORKSPACE, Workspace
from bot.settings import Settings
from bot.slack.client import create_web_client

if TYPE_CHECKING:
    from slack_sdk.oauth.installation_store.models.bot import Bot
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
    from sqlalchemy import Engine

log = logging.getLogger("sco_bot.installs")
# A rotating token (12 h) is refreshed this long before it expires, in the background.
ROTATE_AHEAD_MINUTES = 120
# ... and inline, before a request's acknowledgement, only when it expires sooner than this.
ROTATE_NOW_SECONDS = 60
STATE_SECONDS = 600  # an install link's state lives this long
# The bot scopes the install link asks for: exactly manifest.yaml's (a test compares them).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "app_mentions:read",
    "im:history",
    "users:read",
)


@dataclass(frozen=True)
class Grant:
    """A workspace's bot token and what Slack told of the bot when it was installed."""

    workspace: Workspace
    token: str
    bot_id: str | None = None
    bot_user_id: str | None = None
    refresh_due: bool = False  # a rotating token within ROTATE_AHEAD_MINUTES of expiring


class Tokens(Protocol):
    """Where each workspace's bot token comes from."""

    def grant(self, workspace: Workspace, *, rotate: bool = True) -> Grant | None:
        """The workspace's bot token (refreshed first when it expires soon, if `rotate`);
        None when it is not installed."""
        ...

    def installed(self) -> list[Workspace]:
        """Every workspace installed."""
        ...

    def forget(self, workspace: Workspace, users: tuple[str, ...] = ()) -> None:
        """Delete a workspace's installation (or only these users' tokens)."""
        ...


class OneToken:
    """SLACK_BOT_TOKEN: one workspace, whatever a request's team."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.gone = False  # the app was uninstalled: the token is dead until a restart

    def grant(self, workspace: Workspace, *, rotate: bool = True) -> Grant | None:
        """The token, for the one workspace it serves."""
        if self.gone or workspace != TOKEN_WORKSPACE:
            return None
        return Grant(TOKEN_WORKSPACE, self.token)

    def installed(self) -> list[Workspace]:
        """The token's workspace (until the app is uninstalled)."""
        return [] if self.gone else [TOKEN_WORKSPACE]

    def forget(self, workspace: Workspace, users: tuple[str, ...] = ()) -> None:
        """The app was uninstalled: no token any more."""
        if workspace == TOKEN_WORKSPACE and not users:
            self.gone = True


class Installations:
    """Workspaces installed through the OAuth flow: slack-sdk's SQLAlchemy installation store
    (bots and installations) and OAuth state store, on the ledger's engine."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
        from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
        from slack_sdk.oauth.token_rotation import TokenRotator

        assert settings.slack_client_id and settings.slack_client_secret
        self.store: SQLAlchemyInstallationStore = SQLAlchemyInstallationStore(
            settings.slack_client_id, engine, logger=log
        )
        self.states: SQLAlchemyOAuthStateStore = SQLAlchemyOAuthStateStore(
            STATE_SECONDS, engine, logger=log
        )
        # oauth.v2.access (refreshing a token) goes to SLACK_API_URL like every other call.
        self.rotator = TokenRotator(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            client=create_web_client(settings, with_token=False),
        )
        self._rotating: dict[Workspace, threading.Lock] = {}
        self._guard = threading.Lock()

    def grant(self, workspace: Workspace, *, rotate: bool = True) -> Grant | None:
        """The workspace's bot (find_bot: the latest one with a token); a rotating token is
        refreshed first when it expires within ROTATE_AHEAD_MINUTES (if `rotate`), or when it
        expires within ROTATE_NOW_SECONDS whatever `rotate` says."""
        bot = self._bot(workspace)
        if bot is None or not bot.bot_token:
            return None
        expires = bot.bot_token_expires_at
        due = bool(bot.bot_refresh_token) and expires is not None
        soon = due and expires is not None and expires - time.time() < ROTATE_AHEAD_MINUTES * 60
        urgent = due and expires is not None and expires - time.time() < ROTATE_NOW_SECONDS
        if soon and (rotate or urgent):
            bot = self._rotate(workspace, bot)
            soon = False
        return Grant(workspace, str(bot.bot_token), bot.bot_id, bot.bot_user_id, soon)

    def _bot(self, workspace: Workspace) -> Bot | None:
        return self.store.find_bot(
            enterprise_id=workspace.enterprise_id or None,
            team_id=workspace.team_id or None,
            is_enterprise_install=workspace.org_wide,
        )

    def _rotate(self, workspace: Workspace, bot: Bot) -> Bot:
        """Refresh a rotating token (once at a time per workspace) and save it."""
        with self._guard:
            lock = self._rotating.setdefault(workspace, threading.Lock())
        with lock:
            latest = self._bot(workspace) or bot  # another thread may have refreshed it
            refreshed = self.rotator.perform_bot_token_rotation(
                bot=latest, minutes_before_expiration=ROTATE_AHEAD_MINUTES
            )
            if refreshed is None:
                return latest
            self.store.save_bot(refreshed)
            log.info("refreshed the bot token of %s", workspace.label)
            return refreshed

    def installed(self) -> list[Workspace]:
        """Every workspace with a bot token in the store."""
        from sqlalchemy import select

        bots = self.store.bots
        query = (
            select(bots.c.enterprise_id, bots.c.team_id, bots.c.is_enterprise_install)
            .where(bots.c.client_id == self.store.client_id, bots.c.bot_token.is_not(None))
            .distinct()
        )
        with self.store.engine.connect() as conn:
            rows = conn.execute(query).all()
        return sorted({Workspace.of(e, t, org_wide=bool(org)) for e, t, org in rows})

    def forget(self, workspace: Workspace, users: tuple[str, ...] = ()) -> None:
        """Delete the workspace's bots and installations (or only these users' installations,
        when the tokens revoked were theirs alone)."""
        enterprise_id = workspace.enterprise_id or None
        team_id = workspace.team_id or None
        if users:
            for user in users:
                self.store.delete_installation(
                    enterprise_id=enterprise_id, team_id=team_id, user_id=user
                )
            return
        self.store.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self.store.delete_installation(enterprise_id=enterprise_id, team_id=team_id)
