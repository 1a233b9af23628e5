"""A workspace removing the app: `app_uninstalled`, and `tokens_revoked` naming the bot's token.

Acknowledged at once; from then on no client calls Slack with that workspace's token, and on
the background executor (within seconds) the reminders Slack still lets us delete are
deleted, and its subscriptions, reminders, greetings, installation and cached clients are
forgotten (`Services.leave`). Bolt's own listener would delete only the bot's row."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.reminders.workspace import TOKEN_WORKSPACE, Workspace
from bot.services import Services
from bot.slack.identity import SlackCheck
from bot.slack.payloads import obj
from bot.slack.work import SlackWork


def register(app: App, services: Services, work: SlackWork, check: SlackCheck) -> None:
    """Attach the app_uninstalled and tokens_revoked listeners."""

    def workspace_of(context: Any) -> Workspace:
        if not services.settings.oauth:
            return TOKEN_WORKSPACE
        org_wide = bool(context.is_enterprise_install)
        return Workspace.of(context.enterprise_id, context.team_id, org_wide=org_wide)

    def leave(workspace: Workspace, why: str) -> None:
        services.revoked(workspace).set()  # not one more call with its token from here on
        work.forget(workspace)
        if not services.settings.oauth:
            check.revoked(why)
        work.later(services.leave, workspace)

    def uninstalled(context: Any) -> None:
        leave(workspace_of(context), "app_uninstalled")

    def revoked(context: Any, event: dict[str, Any]) -> None:
        tokens = obj(event, "tokens")
        bots = tokens.get("bot")
        if isinstance(bots, list) and bots:
            leave(workspace_of(context), "tokens_revoked")
            return
        users = tokens.get("oauth")
        if isinstance(users, list) and users:
            named = tuple(str(u)[:40] for u in users)
            work.later(services.leave, workspace_of(context), named)

    app.event("app_uninstalled")(uninstalled)
    app.event("tokens_revoked")(revoked)
