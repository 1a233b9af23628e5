"""Slack's real rate (Tier 3, about 50 calls a minute), simulated with a scaled clock: a bulk
reconcile paces itself, schedules the earliest reminders of every channel first, and a
`remind on` during it goes ahead of it; nothing doubled, nothing lost."""

from __future__ import annotations

from pathlib import Path

from bench.reminders_timeliness import simulate
from tests.slack.reminders.test_delivery_faults import hostile_knowledge


def test_a_subscription_during_a_bulk_run_goes_first_and_the_earliest_reminders_lead(
    tmp_path: Path,
) -> None:
    figures = simulate(
        channels=60,
        speedup=120,
        subscriptions=3,
        lead_minutes=90,
        knowledge=hostile_knowledge(tmp_path),
        wave=60,  # one post time (60 channels' reminders) a wave
    )
    print(figures)
    assert figures["doubled"] == figures["lost"] == figures["missed"] == 0
    assert figures["subscriptions"] >= 1
    # The priority lane: a change waits for a token or two, not for the bulk run.
    assert figures["confirm_seconds"]["max"] < figures["bulk_seconds"] / 4
    assert figures["every_first_before_any_later"], "a channel's first reminder waited"
    assert figures["last_decile_overlap"] < 1.0, "the same channels are always last"


def test_slack_clients_share_one_verifying_tls_context() -> None:
    import ssl

    from bot.settings import Settings
    from bot.slack.client import create_web_client

    settings = Settings(slack_bot_token="xoxb-test", slack_api_url="https://slack.test/api/")
    first, second = create_web_client(settings), create_web_client(settings)
    assert isinstance(first.ssl, ssl.SSLContext) and first.ssl is second.ssl
    assert first.ssl.verify_mode is ssl.CERT_REQUIRED and first.ssl.check_hostname
