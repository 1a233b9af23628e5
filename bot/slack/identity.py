"""Who the bot is, and whether Slack takes its token: authorizing a request never waits on Slack.

Bolt's single-workspace authorization calls `auth.test` on the first request, and on every
request until one call succeeds; its OAuth authorization calls it on every request: with Slack
slow or silent, each request waited for it before its ack. Here each request is authorized at
once: with the bot token (`BotIdentity`), or with its workspace's installation, read from the
database (`InstalledIdentity`: bot id and user id as stored at install, a rotating token
refreshed in the background before it expires). Whether Slack takes the token is asked apart
(`SlackCheck`): `auth.test` on the background executor at the first request, and when serving
at start and every CHECK_SECONDS; `/healthz` reports what it found."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_sdk.errors import SlackApiError

from bot.reminders.slack_scheduler import AUTH_ERRORS
from bot.reminders.workspace import TOKEN_WORKSPACE, Workspace
from bot.slack.installs import Tokens
from bot.slack.middleware import NOT_INSTALLED
from bot.slack.work import SlackWork

log = logging.getLogger("sco_bot")
RETRY_SECONDS = 60.0  # after a failed check
CHECK_SECONDS = 300.0  # between checks that succeeded

OK, UNAUTHORIZED, UNREACHABLE, UNKNOWN = "ok", "unauthorized", "unreachable", "unknown"


class SlackCheck:
    """Whether Slack takes the bot token (`auth.test`; with OAuth, whether Slack answers at
    all: `api.test`), asked at most once at a time; the answer is kept for /healthz."""

    def __init__(self, work: SlackWork, *, oauth: bool = False) -> None:
        self.work = work
        self.oauth = oauth
        self.state = UNKNOWN
        self.reason: str | None = None  # Slack's error, or why it could not be asked
        self.ids: dict[str, Any] | None = None  # auth.test's user_id, bot_id, team_id
        self._next_ask = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def ask_soon(self) -> None:
        """Ask on the background executor, unless asked lately (or a question is out)."""
        if self._due():
            self.work.later(self.check)

    def _due(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if now < self._next_ask:
                return False
            self._next_ask = now + RETRY_SECONDS  # one question out at a time
            return True

    def check(self) -> str:
        """Ask Slack now; the state (ok, unauthorized, unreachable)."""
        client = self.work.default_team.client  # with OAuth: no token (api.test needs none)
        try:
            answer = client.api_test() if self.oauth else client.auth_test()
        except SlackApiError as refused:
            error = str(refused.response.get("error") or "")
            state = UNAUTHORIZED if error in AUTH_ERRORS else UNREACHABLE
            self._found(state, error or f"HTTP {refused.response.status_code}")
            return self.state
        except Exception as failed:  # no answer: a timeout, a refused connection
            self._found(UNREACHABLE, f"{type(failed).__name__}: {failed}"[:200])
            return self.state
        if not self.oauth:
            self.ids = {k: answer.get(k) for k in ("user_id", "bot_id", "team_id")}
        self._found(OK, None, answer)
        return self.state

    def revoked(self, reason: str) -> None:
        """The app was removed: the token is no good (Slack says so too, from now on)."""
        self._found(UNAUTHORIZED, reason)

    def _found(self, state: str, reason: str | None, answer: Any = None) -> None:
        with self._lock:
            changed = state != self.state
            self.state, self.reason = state, reason
            self._next_ask = time.monotonic() + (CHECK_SECONDS if state == OK else RETRY_SECONDS)
        if not changed:
            return  # logged once per change, not every few minutes
        if state == OK and self.oauth:
            log.info("Slack answers (api.test)")
        elif state == OK:
            log.info(
                "Slack takes the bot token: workspace %s (%s), bot %s",
                answer.get("team"),
                answer.get("team_id"),
                answer.get("user"),
            )
        elif state == UNAUTHORIZED:
            log.error("Slack refuses the bot token (%s): /healthz answers 503", reason)
        else:
            log.warning("Slack does not answer (%s); asked again in %g s", reason, RETRY_SECONDS)

    def run(self) -> None:
        """Check at once, then whenever due, until `stop()` (a server's thread)."""
        while not self._stop.is_set():
            with self._lock:
                wait = self._next_ask - time.monotonic()
            if wait <= 0 and self._due():
                self.check()
                continue
            self._stop.wait(max(0.5, min(wait, CHECK_SECONDS)))

    def start(self) -> None:
        """Check in a daemon thread from now on."""
        threading.Thread(target=self.run, name="sco-slack-check", daemon=True).start()

    def stop(self) -> None:
        """End the checks."""
        self._stop.set()


class BotIdentity(Authorize):
    """Bolt's `authorize` with SLACK_BOT_TOKEN: the token, and the bot's ids once Slack has
    told them (`auth.test`, asked in the background)."""

    def __init__(self, work: SlackWork, check: SlackCheck, *, ask: bool = True) -> None:
        self.work = work
        self.check = check
        self.ask = ask
        self.token = work.settings.slack_bot_token or ""

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
        ids = self.check.ids
        if ids is None:
            if self.ask:
                self.check.ask_soon()
            ids = {}
        context["sco_workspace"] = TOKEN_WORKSPACE
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id or ids.get("team_id"),
            bot_user_id=ids.get("user_id"),
            bot_id=ids.get("bot_id"),
            bot_token=self.token,
            user_id=user_id,
        )


class InstalledIdentity(Authorize):
    """Bolt's `authorize` with OAuth: the installation of the request's workspace, from the
    database (no Slack call); a token close to expiring is refreshed in the background."""

    def __init__(self, work: SlackWork, tokens: Tokens) -> None:
        self.work = work
        self.tokens = tokens

    def __call__(
        self,
        *,
        context: Any,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **_actors: Any,
    ) -> AuthorizeResult:
        """Authorize a request with its workspace's installation (Bolt calls this for each)."""
        workspace = Workspace.of(
            enterprise_id, team_id, org_wide=bool(context.is_enterprise_install)
        )
        context["sco_workspace"] = workspace
        grant = self.tokens.grant(workspace, rotate=False)
        if grant is None:
            context[NOT_INSTALLED] = True
            # No token: the request is answered by our middleware, without calling Slack.
            return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)
        if grant.refresh_due:
            self.work.later(self.tokens.grant, workspace)  # refreshed before it expires
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_user_id=grant.bot_user_id,
            bot_id=grant.bot_id,
            bot_token=grant.token,
            user_id=user_id,
        )
