"""Who the bot is: authorizing a request never waits on Slack.

Bolt's single-workspace authorization calls `auth.test` on the first request, and on every
request until one call succeeds: with Slack slow or silent at start, each request waited for it
before its ack. Here each request is authorized with the bot token at once. When serving,
`auth.test` (which checks the token, and tells the bot's user and bot ids that Bolt uses to
ignore the bot's own events; the listeners ignore every bot's messages anyway) is asked on the
background executor at the first request, and again a minute after a failure."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize

from bot.slack.work import SlackWork

log = logging.getLogger("sco_bot")
RETRY_SECONDS = 60.0


class BotIdentity(Authorize):
    """Bolt's `authorize`: the bot token, and the bot's ids once Slack has told them."""

    def __init__(self, token: str, work: SlackWork, *, ask: bool = True) -> None:
        self.token = token
        self.work = work
        self._ids: dict[str, Any] | None = None
        self._next_ask = 0.0 if ask else float("inf")
        self._lock = threading.Lock()

    def __call__(
        self,
        *,
        context: Any,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **_actors: Any,
    ) -> AuthorizeResult:
        """Authorize a request (Bolt calls this for each)."""
        ids = self._ids
        if ids is None:
            self._ask_soon()
            ids = {}
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id or ids.get("team_id"),
            bot_user_id=ids.get("user_id"),
            bot_id=ids.get("bot_id"),
            bot_token=self.token,
            user_id=user_id,
        )

    def _ask_soon(self) -> None:
        with self._lock:
            now = time.monotonic()
            if now < self._next_ask:
                return
            self._next_ask = now + RETRY_SECONDS  # one question out at a time
        self.work.later(self._ask)

    def _ask(self) -> None:
        try:
            answer = self.work.client.auth_test()
        except Exception as exc:
            log.warning("auth.test failed (asked again in %g s): %s", RETRY_SECONDS, exc)
            return
        self._ids = {k: answer.get(k) for k in ("user_id", "bot_id", "team_id")}
