"""Which Slack workspace (an installation) a subscription, a reminder or a greeting belongs to."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Workspace:
    """An installation's identity: its Enterprise Grid org (when there is one) and its team.

    With one bot token (SLACK_BOT_TOKEN) both are "": everything belongs to that token. An
    org-wide Enterprise Grid install has the org's id and team "": its channels are the org's."""

    enterprise_id: str = ""
    team_id: str = ""

    @classmethod
    def of(
        cls, enterprise_id: str | None, team_id: str | None, *, org_wide: bool = False
    ) -> Workspace:
        """The installation a request or an install belongs to (org-wide: the org's own)."""
        return cls(enterprise_id or "", "" if org_wide else team_id or "")

    @property
    def org_wide(self) -> bool:
        """An Enterprise Grid org-wide installation (one token for every team of the org)."""
        return bool(self.enterprise_id) and not self.team_id

    @property
    def label(self) -> str:
        """How logs name it: "T123", "E1/T123", "E1 (org-wide)", or "the bot token's"."""
        if not self.enterprise_id and not self.team_id:
            return "the bot token's workspace"
        if self.org_wide:
            return f"{self.enterprise_id} (org-wide)"
        return f"{self.enterprise_id}/{self.team_id}" if self.enterprise_id else self.team_id


# One workspace's bot token (SLACK_BOT_TOKEN): the ledger's rows before workspaces had keys.
TOKEN_WORKSPACE = Workspace()


_CURRENT: ContextVar[Workspace] = ContextVar("sco_bot_workspace", default=TOKEN_WORKSPACE)


def current_workspace() -> Workspace:
    """The workspace the current request (or the work it handed on) serves: set once a Slack
    request is authorized, carried to its background jobs (bot/background.py copies the
    context); the bot token's outside a request (the terminal)."""
    return _CURRENT.get()


@contextmanager
def serving(workspace: Workspace) -> Iterator[Workspace]:
    """Serve `workspace` within the block (a job of one workspace: its reminders, its leaving)."""
    token = _CURRENT.set(workspace)
    try:
        yield workspace
    finally:
        _CURRENT.reset(token)


def serve_request(workspace: Workspace) -> None:
    """Serve `workspace` from now on in this context: a request, after its authorization (the
    listener runs after the middleware returns, so it cannot be a block)."""
    _CURRENT.set(workspace)
