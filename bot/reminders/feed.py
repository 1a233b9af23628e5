"""The calendar feed's secret links: one per workspace, an HMAC of the workspace under the
app's signing secret, so that a link can be checked without storing it (a wrong one is not
found) and never lets one workspace read as another."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from bot.reminders.workspace import Workspace

FEED_PATH = "/calendar/"
SUFFIX = ".ics"
_PURPOSE = b"sco-bot calendar feed\0"


class FeedLinks:
    """Makes and checks the calendar feed's links."""

    def __init__(self, secret: str, public_url: str | None = None) -> None:
        self._secret = secret.encode()
        self.public_url = public_url

    def token(self, workspace: Workspace) -> str:
        """The workspace's secret token: its ids, and their HMAC."""
        key = f"{workspace.enterprise_id}:{workspace.team_id}".encode()
        name = base64.urlsafe_b64encode(key).decode().rstrip("=")
        return f"{name}.{self._sign(key)}"

    def workspace_of(self, token: str) -> Workspace | None:
        """The workspace a token is for, or None when it is not one of ours."""
        name, _, signature = token.partition(".")
        try:
            key = base64.urlsafe_b64decode(name + "=" * (-len(name) % 4))
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(signature, self._sign(key)):
            return None
        enterprise, _, team = key.decode("utf-8", "replace").partition(":")
        return Workspace(enterprise, team)

    def link(self, workspace: Workspace, origin: str | None) -> str | None:
        """The feed's address for a workspace: SCO_PUBLIC_URL's, else the asking request's."""
        base = self.public_url or origin
        if not base:
            return None
        return f"{base.rstrip('/')}{FEED_PATH}{self.token(workspace)}{SUFFIX}"

    def _sign(self, key: bytes) -> str:
        return hmac.new(self._secret, _PURPOSE + key, hashlib.sha256).hexdigest()[:32]
