"""Settings (bot/settings.py, issue 12 item 5): every setting validated at start, in one line
each, never showing a secret; bounded settings accepted at their limits."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.settings import SettingsError, load_settings
from testkit.servers import clean_env
from tests.conftest import PROJECT

CLI_TIMEOUT = 60.0
SECRET = "S3cr3tPW"


def cli(
    env: dict[str, str], *args: str, timeout: float = CLI_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    base = clean_env()
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=PROJECT,
        env={**base, "SCO_CACHE_DIR": "off", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --- item 5: every setting validated at start, in one line, never showing a secret ------------

BAD_SETTINGS = {
    "SCO_DATABASE_URL": f"mysql://admin:{SECRET}@db/x",
    "SCO_CLOCK": "0001-01-01T00:00+14:00",
    "SLACK_API_URL": "http://[::1",
    "SCO_SLACK_TIMEOUT": "inf",
    "SCO_RECONCILE_SECONDS": "inf",
    "SCO_RELOAD_SECONDS": "1e309",
    "SCO_TIMEZONE": "Europe",
    "SCO_KNOWLEDGE_DIR": "k" * 5000,
}
BAD_SETTINGS_TOO = {
    "SCO_SLACK_TIMEOUT": "1e10",
    "SCO_RECONCILE_SECONDS": "nan",
    "SCO_TIMEZONE": "A" * 300,
    "SLACK_API_URL": "http://host:99999/",
    "SCO_CLOCK": "9999-12-31T23:59-14:00",
    "SCO_DATABASE_URL": f"postgres+bad://u:{SECRET}@h/db",
    "SLACK_APP_TOKEN": "xapp" + SECRET,
}
MORE_BAD_SETTINGS = {
    "SCO_DATABASE_URL": f"postgresql://u:{SECRET}@db:99999/x",
    "SCO_ADMINS": "U1," + "U" * 500,
    "SLACK_BOT_TOKEN": SECRET,
}


@pytest.mark.parametrize(
    ("variable", "value"),
    [*BAD_SETTINGS.items(), *BAD_SETTINGS_TOO.items(), *MORE_BAD_SETTINGS.items()],
    ids=[
        f"{k}={v[:30]}"
        for k, v in [*BAD_SETTINGS.items(), *BAD_SETTINGS_TOO.items(), *MORE_BAD_SETTINGS.items()]
    ],
)
def test_a_bad_setting_is_one_line_naming_it_without_its_secret(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({variable: value})
    (problem,) = refused.value.problems
    assert problem.startswith(variable + " "), problem
    assert "\n" not in problem and len(problem) < 200, problem
    assert SECRET not in str(refused.value)


def test_bad_settings_are_all_listed_by_the_cli_in_one_line_each() -> None:
    result = cli(BAD_SETTINGS, "ask", "brief")
    assert result.returncode == 2, (result.stdout, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and SECRET not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert sorted(line.split()[1] for line in lines) == sorted(BAD_SETTINGS), lines


def test_a_database_url_password_is_masked_but_the_rest_is_shown() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"SCO_DATABASE_URL": f"mysql://admin:{SECRET}@db/x"})
    assert "mysql://admin:***@db/x" in str(refused.value)


def test_bounded_settings_at_their_limits_are_accepted() -> None:
    settings = load_settings(
        {
            "SCO_SLACK_TIMEOUT": "300",
            "SCO_RECONCILE_SECONDS": str(7 * 86400),
            "SCO_RELOAD_SECONDS": "0.1",
            "SCO_CLOCK": "1970-01-01T00:00Z",
            "SLACK_API_URL": "http://[::1]:8080/api",
        }
    )
    assert settings.slack_timeout_seconds == 300 and settings.slack_api_url.endswith("/api/")
