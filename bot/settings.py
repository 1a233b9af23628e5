"""Settings: read from the environment once, validated, frozen."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clock import Clock, parse_instant

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
DEFAULT_TEMPLATES_DIR = PROJECT_ROOT / "templates"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///sco-bot.sqlite3"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,20}$")


class SettingsError(ValueError):
    """One or more settings are missing or malformed; the message names each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid settings: " + "; ".join(problems))


@dataclass(frozen=True)
class Settings:
    """Everything the bot is configured with."""

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    templates_dir: Path = DEFAULT_TEMPLATES_DIR
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    clock_start: datetime | None = None
    database_url: str = DEFAULT_DATABASE_URL
    reconcile_seconds: float = 3600.0
    slack_app_id: str | None = None
    admins: frozenset[str] = frozenset()
    admin_channel: str | None = None
    reload_seconds: float = 2.0
    slack_timeout_seconds: float = 10.0
    cache_dir: Path | None = None

    def __repr__(self) -> str:
        # Tokens and secrets never reach logs through a repr.
        return (
            f"Settings(knowledge_dir={str(self.knowledge_dir)!r}, "
            f"slack_api_url={self.slack_api_url!r}, timezone={self.timezone.key!r}, "
            f"clock_start={self.clock_start!r}, database={self.database_url.split('@')[-1]!r})"
        )

    def clock(self) -> Clock:
        """The clock the bot runs on: real time, or started at SCO_CLOCK and running forward."""
        return Clock(start=self.clock_start)

    def require_slack(self, socket_mode: bool) -> None:
        """Raise SettingsError naming every Slack setting that serving needs and lacks."""
        problems = []
        if not self.slack_bot_token:
            problems.append("SLACK_BOT_TOKEN is not set (the bot token, xoxb-...)")
        if socket_mode:
            if not self.slack_app_token:
                problems.append("SLACK_APP_TOKEN is not set (an app-level token, xapp-...)")
        elif not self.slack_signing_secret:
            problems.append("SLACK_SIGNING_SECRET is not set (Basic Information > Signing Secret)")
        if problems:
            raise SettingsError(problems)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment, reporting every malformed value at once."""
    env = os.environ if env is None else env
    problems: list[str] = []

    def text(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    bot_token = text("SLACK_BOT_TOKEN")
    if bot_token and not bot_token.startswith(("xoxb-", "xoxp-")):
        problems.append("SLACK_BOT_TOKEN must start with xoxb- (a bot token)")
    app_token = text("SLACK_APP_TOKEN")
    if app_token and not app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN must start with xapp- (an app-level token)")

    api_url = text("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    parsed = urlparse(api_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(f"SLACK_API_URL must be an http(s) URL, got {api_url!r}")
    if not api_url.endswith("/"):
        api_url += "/"

    knowledge_dir = Path(text("SCO_KNOWLEDGE_DIR") or DEFAULT_KNOWLEDGE_DIR)
    if not knowledge_dir.is_dir():
        problems.append(f"SCO_KNOWLEDGE_DIR {str(knowledge_dir)!r} is not a directory")

    tz_name = text("SCO_TIMEZONE") or "UTC"
    timezone = ZoneInfo("UTC")
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"SCO_TIMEZONE {tz_name!r} is not an IANA timezone (e.g. Europe/Berlin)")

    clock_start = None
    clock_text = text("SCO_CLOCK")
    if clock_text:
        try:
            clock_start = parse_instant(clock_text, timezone)
        except ValueError:
            problems.append(f"SCO_CLOCK {clock_text!r} is not an ISO date or datetime")

    database_url = _database_url(text("SCO_DATABASE_URL") or DEFAULT_DATABASE_URL, problems)

    def seconds(name: str, default: float, least: float) -> float:
        value = text(name)
        if not value:
            return default
        try:
            number = float(value)
            if not number >= least:
                raise ValueError
            return number
        except ValueError:
            problems.append(f"{name} {value!r} is not a number of seconds >= {least:g}")
            return default

    reconcile_seconds = seconds("SCO_RECONCILE_SECONDS", 3600.0, 1)
    reload_seconds = seconds("SCO_RELOAD_SECONDS", 2.0, 0.1)
    slack_timeout = seconds("SCO_SLACK_TIMEOUT", 10.0, 0.1)

    admins = frozenset(re.split(r"[\s,]+", text("SCO_ADMINS") or "")) - {""}
    for user in sorted(admins):
        if not _USER_ID.match(user):
            problems.append(f"SCO_ADMINS: {user!r} is not a Slack user id (like U012AB3CD)")
    admin_channel = text("SCO_ADMIN_CHANNEL")
    if admin_channel and not _CHANNEL_ID.match(admin_channel):
        problems.append(f"SCO_ADMIN_CHANNEL {admin_channel!r} is not a channel id (like C012AB3CD)")

    cache_text = text("SCO_CACHE_DIR")
    cache_dir: Path | None = _default_cache_dir(env)
    if cache_text:
        cache_dir = None if cache_text.casefold() in ("off", "none", "0") else Path(cache_text)

    if problems:
        raise SettingsError(problems)
    return Settings(
        slack_bot_token=bot_token,
        slack_signing_secret=text("SLACK_SIGNING_SECRET"),
        slack_app_token=app_token,
        slack_api_url=api_url,
        knowledge_dir=knowledge_dir,
        timezone=timezone,
        clock_start=clock_start,
        database_url=database_url,
        reconcile_seconds=reconcile_seconds,
        slack_app_id=text("SLACK_APP_ID"),
        admins=admins,
        admin_channel=admin_channel,
        reload_seconds=reload_seconds,
        slack_timeout_seconds=slack_timeout,
        cache_dir=cache_dir,
    )


def _default_cache_dir(env: Mapping[str, str]) -> Path | None:
    base = env.get("XDG_CACHE_HOME") or (
        str(Path(env["HOME"]) / ".cache") if env.get("HOME") else None
    )
    return Path(base) / "sco-bot" if base else None


def _database_url(url: str, problems: list[str]) -> str:
    """Accept sqlite:///file and postgresql://...; plain postgresql URLs use psycopg 3."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url.removeprefix(plain)
    if not url.startswith(("sqlite://", "postgresql+psycopg://")):
        problems.append(
            f"SCO_DATABASE_URL must be sqlite:///FILE or postgresql+psycopg://..., got {url!r}"
        )
    return url
