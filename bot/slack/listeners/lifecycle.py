"""A workspace removing the app: `app_uninstalled`, and `tokens_revoked` naming the bot's token.

Acknowledged at once; from then on no client calls Slack with that workspace's token, and on
the background executor (within seconds) the reminders Slack still lets us delete are
deleted, and its subscriptions, reminders, greetings, installation and cached clients are
forgotten (`Services.leave`). Bolt's own listener would delete only the bot's row."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.reminders.workspace import TOKEN_WORKSPACE, Workspace
from bot.slack.deps import Deps, bind
from bot.slack.payloads import obj


def register(app: App, deps: Deps) -> None:
    """Attach the app_uninstalled and tokens_revoked listeners."""
    app.event("app_uninstalled")(bind(uninstalled, deps))
    app.event("tokens_revoked")(bind(revoked, deps))


def uninstalled(deps: Deps, context: Any) -> None:
    """The workspace removed the app."""
    _leave(deps, _workspace_of(deps, context), "app_uninstalled")


def revoked(deps: Deps, context: Any, event: dict[str, Any]) -> None:
    """Tokens were revoked: the bot's (the workspace leaves), or only some users'."""
    tokens = obj(event, "tokens")
    bots = tokens.get("bot")
    if isinstance(bots, list) and bots:
        _leave(deps, _workspace_of(deps, context), "tokens_revoked")
        return
    users = tokens.get("oauth")
    if isinstance(users, list) and users:
        named = tuple(str(u)[:40] for u in users)
        deps.work.later(deps.services.leave, _workspace_of(deps, context), named)


def _workspace_of(deps: Deps, context: Any) -> Workspace:
    if not deps.services.settings.oauth:
        return TOKEN_WORKSPACE
    org_wide = bool(context.is_enterprise_install)
    return Workspace.of(context.enterprise_id, context.team_id, org_wide=org_wide)


def _leave(deps: Deps, workspace: Workspace, why: str) -> None:
    services = deps.services
    services.revoked(workspace).set()  # not one more call with its token from here on
    deps.work.forget(workspace)
    if not services.settings.oauth:
        deps.check.revoked(why)
    deps.work.later(services.leave, workspace)
