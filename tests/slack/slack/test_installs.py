"""Issue 26: installed through Slack's OAuth flow in any number of workspaces, each answered with
its own token, and leaving no trace when removed.

The real Bolt app behind the real waitress server, installed through `GET /slack/install` and
`GET /slack/oauth_redirect` as a browser would, against the fake Slack over real HTTP (which
issues a token per workspace, answers `oauth.v2.access` and keeps each workspace's scheduled
messages apart: two workspaces here have a channel of the same id)."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from bot.clock import Clock
from bot.knowledge.digest import Digest
from bot.reminders.periodic import PeriodicReconcile
from bot.reminders.plan import Subscription
from bot.reminders.workspace import Workspace
from bot.rendering.renderer import Renderer
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import Slack, build_slack
from bot.slack.http import create_wsgi_app
from bot.slack.installs import BOT_SCOPES
from testkit.fakeslack import FakeSlack
from testkit.servers import serve_wsgi
from testkit.slack_requests import event_body, fetch, slash_body
from testkit.waiting import wait_until
from tests.conftest import PROJECT, SIGNING_SECRET, TEST_DIGEST, ServedApp
from tests.slack_payloads import home_opened

TIMEOUT = 20.0
# The 2021 meeting's festival lies ahead: `remind on` schedules reminders for it.
NOW = datetime(2021, 7, 29, 9, 0, tzinfo=UTC)
CLIENT_ID = "1111111111.2222222222"
CHANNEL = "C1"  # the same channel id in both workspaces


@dataclass
class OAuthBot(ServedApp):
    """The app behind waitress in OAuth mode, its services and the fake Slack."""

    services: Services
    slack: Slack
    timeout = TIMEOUT

    def get(self, path: str, cookie: str = "") -> tuple[int, Message, str]:
        headers = {"Cookie": cookie} if cookie else {}
        reply = fetch(self.url + path, headers=headers, timeout=TIMEOUT)
        return reply.status, reply.headers, reply.body.decode()

    def install(self, team: str, **kinds: Any) -> str:
        """Install the app as a workspace's admin would: the install page, Slack's consent
        (the fake's code), the redirect back; the token Slack issued."""
        status, headers, page = self.get("/slack/install")
        assert status == 200, page
        link = unescape(re.search(r'href="(https://slack\.com/oauth/v2/authorize[^"]+)"', page)[1])
        query = parse_qs(urlsplit(link).query)
        assert query["scope"] == [",".join(BOT_SCOPES)]  # exactly the manifest's bot scopes
        state = query["state"][0]
        cookie = headers["Set-Cookie"].split(";")[0]
        code = self.fake.install(team, **kinds)
        back = urlencode({"code": code, "state": state})
        status, _, done = self.get(f"/slack/oauth_redirect?{back}", cookie)
        assert status == 200, done
        return self.fake.tokens_issued[-1]

    def idle(self) -> None:
        assert wait_until(lambda: self.services.background.pending() == 0, TIMEOUT)
        assert wait_until(lambda: self.services._reconciles.pending() == 0, TIMEOUT)


@pytest.fixture
def oauth(fake_slack: FakeSlack, digest: Digest, tmp_path: Path) -> Iterator[OAuthBot]:
    settings = Settings(
        slack_client_id=CLIENT_ID,
        slack_client_secret="client-secret-0123456789",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        knowledge_dir=TEST_DIGEST,
        database_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
    )
    services = Services(
        settings, Clock(start=NOW), digest, Renderer(settings.templates_dir), background=True
    )
    fake_slack.now = NOW.timestamp()  # Slack's clock, for what it holds and posts
    slack = build_slack(services)
    wsgi = create_wsgi_app(
        slack.app, lambda: digest.version, services.database_ok, slack=lambda: slack.check.state
    )
    try:
        with serve_wsgi(wsgi, timeout=TIMEOUT) as url:
            try:
                yield OAuthBot(url, fake_slack, services, slack)
            finally:
                fake_slack.release()
    finally:
        services.close(TIMEOUT)


def command(text: str, team: str, channel: str = CHANNEL, **extra: str) -> str:
    return slash_body(text, team_id=team, channel_id=channel, **extra)


def scheduled_by_team(fake: FakeSlack) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for message in fake.scheduled.values():
        found.setdefault(message["team"], set()).add(message["channel"])
    return found


def test_two_workspaces_installed_through_the_flow_each_get_their_own_token(
    oauth: OAuthBot,
) -> None:
    first, second = oauth.install("T1"), oauth.install("T2")
    assert first != second
    oauth.fake.users = {"U123": {"tz": "Europe/Berlin"}}
    for team in ("T1", "T2"):
        reply = oauth.post(command("remind on 7d", team))
        assert reply.status == 200
    oauth.idle()
    # One channel id, two workspaces: each subscribed apart, each scheduled with its token.
    ledger = oauth.services.ledger()
    for team in ("T1", "T2"):
        subs = ledger.scoped(Workspace("", team)).subscriptions()
        assert [s.channel_id for s in subs] == [CHANNEL]
    assert scheduled_by_team(oauth.fake) == {"T1": {CHANNEL}, "T2": {CHANNEL}}
    # A mention, a Home tab and the reminders' reconcile: each with the right token.
    mention = {"type": "app_mention", "user": "U123", "text": "<@UBOT> who hosted?",
               "channel": CHANNEL, "ts": "1.2"}  # fmt: skip
    assert oauth.post(event_body(mention, "EvT1", team_id="T1"), json_body=True).status == 200
    assert oauth.post(home_opened(event_id="EvT2", team_id="T2"), json_body=True).status == 200
    oauth.idle()
    for delivery in oauth.services.deliveries():
        delivery.reconcile(NOW)
    [post] = oauth.fake.calls_to("chat.postMessage")
    [home] = oauth.fake.calls_to("views.publish")
    assert (post.token, home.token) == (first, second)
    for call in oauth.fake.snapshot():
        if call.method.startswith(("chat.", "views.", "users.")):
            assert call.token in (first, second), call.method
    # Never the other's: Slack holds each workspace's reminders under its own token, as many
    # for one as for the other (the same subscription in each).
    held = Counter(m["team"] for m in oauth.fake.scheduled.values())
    assert set(held) == {"T1", "T2"} and held["T1"] == held["T2"] > 0


def test_an_uninstalled_workspace_gets_no_further_call_and_leaves_no_trace(
    oauth: OAuthBot, caplog: pytest.LogCaptureFixture
) -> None:
    gone, stays = oauth.install("T1"), oauth.install("T2")
    for team in ("T1", "T2"):
        assert oauth.post(command("remind on 7d 1d", team)).status == 200
    oauth.idle()
    assert scheduled_by_team(oauth.fake)["T1"] == {CHANNEL}
    # Slack revokes the token and tells us; the reminders it held are deleted while it lets us.
    uninstalled = {"type": "app_uninstalled"}
    assert oauth.post(event_body(uninstalled, "EvGone", team_id="T1"), json_body=True).status == 200
    oauth.idle()
    ledger = oauth.services.ledger().scoped(Workspace("", "T1"))
    assert ledger.subscriptions() == [] and ledger.ledger(CHANNEL) == []
    assert oauth.services.tokens().grant(Workspace("", "T1")) is None
    assert "T1" not in scheduled_by_team(oauth.fake)  # deleted in Slack: it still allowed it
    calls = len(oauth.fake.calls_with(gone))
    # From now on: the periodic reconcile, a retried command, a mention: nothing with its token.
    for delivery in oauth.services.deliveries():
        delivery.reconcile(NOW)
    reply = oauth.post(command("remind status", "T1"))
    assert reply.status == 200 and "not installed" in reply.json()["text"]
    oauth.idle()
    assert len(oauth.fake.calls_with(gone)) == calls
    assert oauth.services.deliveries()[0].ledger.workspace == Workspace("", "T2")
    assert scheduled_by_team(oauth.fake)["T2"] == {CHANNEL}
    assert oauth.post(command("remind status", "T2")).status == 200
    assert stays in {c.token for c in oauth.fake.snapshot()}


def test_tokens_revoked_naming_the_bot_removes_the_whole_installation(oauth: OAuthBot) -> None:
    token = oauth.install("T1")
    assert oauth.post(command("remind on", "T1")).status == 200
    oauth.idle()
    oauth.fake.uninstall(token, "token_revoked")  # Slack refuses it already: deletes fail
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOTT1"]}}
    assert oauth.post(event_body(revoked, "EvRev", team_id="T1"), json_body=True).status == 200
    oauth.idle()
    store = oauth.services.tokens().store  # type: ignore[attr-defined]
    gone = Workspace("", "T1")
    assert store.find_installation(enterprise_id=None, team_id="T1") is None
    assert store.find_bot(enterprise_id=None, team_id="T1") is None
    assert oauth.services.ledger().scoped(gone).subscriptions() == []
    # One deletion was attempted, refused: the first refusal ended the attempts.
    assert len([c for c in oauth.fake.calls_with(token) if "delete" in c.method]) == 1


def test_a_refused_token_ends_its_workspace_work_and_is_logged_once(
    oauth: OAuthBot, caplog: pytest.LogCaptureFixture
) -> None:
    token = oauth.install("T1")
    assert oauth.post(command("remind on", "T1")).status == 200
    oauth.idle()
    oauth.fake.refuse(token, "account_inactive")
    # Something to change in Slack: the reconcile has to call it.
    ledger = oauth.services.ledger().scoped(Workspace("", "T1"))
    ledger.subscribe(Subscription(CHANNEL, leads=(1,)))
    before = len(oauth.fake.calls_with(token))
    loop = PeriodicReconcile(oauth.services.deliveries, lambda: NOW, 3600, retry=0.02)
    with caplog.at_level(logging.INFO):
        for full in (True, False, False, True, False):
            loop._once(full)  # the loop's passes, without its waits
    refused = [r for r in caplog.records if "refuses the token" in r.getMessage()]
    assert len(refused) == 1 and "account_inactive" in refused[0].getMessage()
    # One pass asked Slack (and stopped at its first refusal); no later pass did.
    assert len(oauth.fake.calls_with(token)) == before + 1
    assert oauth.services.deliveries() == []


def test_a_rotating_token_is_refreshed_before_it_expires(oauth: OAuthBot) -> None:
    oauth.fake.expires_in = 3600  # within the two hours before expiry: refreshed at once
    first = oauth.install("T1", rotating=True)
    oauth.fake.expires_in = 43200  # the refreshed one lives 12 hours
    assert oauth.post(command("help", "T1")).status == 200  # answered with the current one
    oauth.idle()
    refreshed = [c for c in oauth.fake.calls_to("oauth.v2.access") if "refresh_token" in c.body]
    assert len(refreshed) == 1
    grant = oauth.services.tokens().grant(Workspace("", "T1"), rotate=False)
    assert grant is not None and grant.token != first
    assert grant.token == oauth.fake.tokens_issued[-1]
    oauth.fake.refuse(first)  # the old token is dead now
    assert oauth.post(command("remind on", "T1")).status == 200
    oauth.idle()
    assert {c.token for c in oauth.fake.calls_to("chat.s")} == {grant.token}


def test_an_enterprise_grid_org_wide_install_answers_every_team_of_the_org(
    oauth: OAuthBot,
) -> None:
    token = oauth.install("T9", enterprise_id="E1", org_wide=True)
    body = command("remind on", "T3", enterprise_id="E1", is_enterprise_install="true")
    assert oauth.post(body).status == 200
    oauth.idle()
    org = oauth.services.ledger().scoped(Workspace("E1", ""))
    assert [s.channel_id for s in org.subscriptions()] == [CHANNEL]
    assert {c.token for c in oauth.fake.calls_to("chat.s")} == {token}


def test_a_workspace_without_installation_is_told_so_without_any_slack_call(
    oauth: OAuthBot,
) -> None:
    oauth.fake.hold()  # Slack silent: the answer must not wait for it
    reply = oauth.post(command("brief", "TNEW"))
    assert reply.status == 200 and "not installed" in reply.json()["text"]
    assert oauth.fake.snapshot() == []


def test_every_command_is_acknowledged_while_slack_is_silent(oauth: OAuthBot) -> None:
    oauth.install("T1")
    oauth.fake.hold()
    for text in ("brief", "help", "remind status", "what did china say about afghanistan"):
        reply = oauth.post(command(text, "T1"))  # the client waits TIMEOUT at most
        assert reply.status == 200


def test_the_install_flow_checks_its_state(oauth: OAuthBot) -> None:
    code = oauth.fake.install("T1")
    status, _, _ = oauth.get(f"/slack/oauth_redirect?{urlencode({'code': code, 'state': 'x'})}")
    assert status >= 400
    assert oauth.fake.calls_to("oauth.v2.access") == []  # no state, no exchange


def test_the_install_link_asks_for_exactly_the_manifests_bot_scopes() -> None:
    import yaml

    manifest = yaml.safe_load((PROJECT / "manifest.yaml").read_text())
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
