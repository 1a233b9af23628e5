"""Settings: declared once as a table (variable, parser, default, help), read from the
environment once, validated, frozen. The README's settings table is checked against it."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clock import Clock, parse_instant

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _shipped(name: str) -> Path:
    """A shipped directory: inside the package in an installed wheel (bot/data/NAME), else the
    repository's top-level NAME/ (a checkout or an editable install)."""
    installed = Path(__file__).resolve().parent / "data" / name
    return installed if installed.is_dir() else PROJECT_ROOT / name


DEFAULT_KNOWLEDGE_DIR = _shipped("knowledge")
DEFAULT_TEMPLATES_DIR = _shipped("templates")
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
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_redirect_uri: str | None = None
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
    slack_calls_per_minute: float = 45.0
    cache_dir: Path | None = None
    answer_cache_mb: float = 16.0
    state_dir: Path | None = None
    log_format: str = "text"
    log_level: str = "INFO"
    health_port: int | None = 3000
    public_url: str | None = None  # where `serve` is reached from outside (calendar links)
    trusted_proxy: str | None = None  # whose X-Forwarded-Proto/Host/For are believed

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

    @property
    def oauth(self) -> bool:
        """Installed through Slack's OAuth flow in any number of workspaces (SLACK_CLIENT_ID and
        SLACK_CLIENT_SECRET set), not one workspace's bot token."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def secrets(self) -> list[str]:
        """The configured secrets (logs replace them)."""
        found = [self.slack_bot_token, self.slack_signing_secret, self.slack_app_token]
        return [s for s in (*found, self.slack_client_secret) if s]

    def require_slack(self, socket_mode: bool) -> None:
        """Raise SettingsError naming every Slack setting that serving needs and lacks."""
        problems = []
        if self.oauth and self.slack_bot_token:
            problems.append(
                "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: serve one workspace with its "
                "bot token, or any number through Slack's install flow (OAuth), not both"
            )
        elif self.oauth and socket_mode:
            problems.append(
                "SLACK_CLIENT_ID (installing through OAuth) needs HTTP: Slack redirects the "
                "installer's browser to this server; unset SLACK_APP_TOKEN"
            )
        elif bool(self.slack_client_id) != bool(self.slack_client_secret):
            missing = "SLACK_CLIENT_SECRET" if self.slack_client_id else "SLACK_CLIENT_ID"
            problems.append(f"{missing} is not set (Basic Information > App Credentials)")
        elif not self.slack_bot_token and not self.oauth:
            problems.append(
                "SLACK_BOT_TOKEN is not set (the bot token, xoxb-...; or set SLACK_CLIENT_ID "
                "and SLACK_CLIENT_SECRET to install in any workspace)"
            )
        if socket_mode:
            if not self.slack_app_token:
                problems.append("SLACK_APP_TOKEN is not set (an app-level token, xapp-...)")
        elif not self.slack_signing_secret:
            problems.append("SLACK_SIGNING_SECRET is not set (Basic Information > Signing Secret)")
        if problems:
            raise SettingsError(problems)


class Invalid(ValueError):
    """A setting's value is malformed; the message says what was expected (never the value
    of a secret)."""


Parser = Callable[[str, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Setting:
    """One environment variable: the Settings field it fills, how its text is parsed, its
    default as the README shows it, and one line of help."""

    variable: str
    attribute: str
    parse: Parser
    default: str
    help: str
    secret: bool = False


_CREDENTIALS = re.compile(r"(//[^/:@]*):[^@/]*@")


def _shown(value: str, limit: int = 60) -> str:
    """A value as an error message shows it: any URL password masked, quoted, cut short."""
    masked = _CREDENTIALS.sub(r"\1:***@", value)
    return repr(masked if len(masked) <= limit else masked[: limit - 3] + "...")


def _text(value: str, _parsed: Mapping[str, Any]) -> str:
    return value


def _bot_token(value: str, _parsed: Mapping[str, Any]) -> str:
    if not value.startswith(("xoxb-", "xoxp-")):
        raise Invalid("must start with xoxb- (a bot token)")
    return value


def _client_id(value: str, _parsed: Mapping[str, Any]) -> str:
    if not re.fullmatch(r"[0-9]{3,20}\.[0-9]{3,20}", value):
        raise Invalid(f"{_shown(value)} is not a client id (like 1234567890.1234567890)")
    return value


def _redirect_uri(value: str, parsed: Mapping[str, Any]) -> str:
    url = _api_url(value, parsed).rstrip("/")
    if not url.endswith("/slack/oauth_redirect"):
        raise Invalid(f"must end with /slack/oauth_redirect, got {_shown(value)}")
    return url


def _app_token(value: str, _parsed: Mapping[str, Any]) -> str:
    if not value.startswith("xapp-"):
        raise Invalid("must start with xapp- (an app-level token)")
    return value


def _api_url(value: str, _parsed: Mapping[str, Any]) -> str:
    try:
        parsed = urlparse(value)
        parsed.port  # noqa: B018 (raises ValueError for a port that is not one)
    except ValueError:
        parsed = urlparse("")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise Invalid(f"must be an http(s) URL, got {_shown(value)}")
    return value if value.endswith("/") else value + "/"


def _public_url(value: str, _parsed: Mapping[str, Any]) -> str:
    return _api_url(value, _parsed).rstrip("/")


def _directory(value: str, _parsed: Mapping[str, Any]) -> Path:
    path = Path(value)
    try:
        found = path.is_dir()
    except OSError:  # a name too long, a folder we may not enter
        found = False
    if not found:
        raise Invalid(f"{_shown(value)} is not a directory")
    return path


def _zone(value: str, _parsed: Mapping[str, Any]) -> ZoneInfo:
    # A folder ("Europe") raises IsADirectoryError and an over-long name OSError.
    try:
        if len(value) > 64:
            raise ValueError(value)
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Invalid(f"{_shown(value)} is not an IANA timezone (e.g. Europe/Berlin)") from None


def _instant(value: str, parsed: Mapping[str, Any]) -> datetime:
    try:
        moment = parse_instant(value, parsed.get("timezone") or ZoneInfo("UTC"))
    except (ValueError, OverflowError):  # 0001-01-01T00:00+14:00 is before year 1 in UTC
        moment = None
    # Reminders are Unix times, and the clock must be able to run forward for centuries.
    if moment is None or not 1970 <= moment.year <= 9000:
        raise Invalid(f"{_shown(value)} is not an ISO date or datetime in 1970-9000")
    return moment


def _database_url(value: str, _parsed: Mapping[str, Any]) -> str:
    """Accept sqlite:///file and postgresql://...; plain postgresql URLs use psycopg 3."""
    for plain in ("postgresql://", "postgres://"):
        if value.startswith(plain):
            value = "postgresql+psycopg://" + value.removeprefix(plain)
    if not value.startswith(("sqlite://", "postgresql+psycopg://")):
        raise Invalid(f"must be sqlite:///FILE or postgresql+psycopg://..., got {_shown(value)}")
    if value.startswith("postgresql"):
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 (raises ValueError for a port that is not one)
        except ValueError:
            raise Invalid(f"has a malformed host or port: {_shown(value)}") from None
    return value


def _number(least: float, most: float, unit: str, *, zero_allowed: bool = True) -> Parser:
    """A number of `unit` within [least, most] (inf, nan and 1e309 would kill a thread's wait
    later); with `zero_allowed=False`, above `least`."""

    def parse(value: str, _parsed: Mapping[str, Any]) -> float:
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not (least <= number <= most) or (number == least and not zero_allowed):
            raise Invalid(f"{_shown(value)} is not a number of {unit} from {least:g} to {most:g}")
        return number

    return parse


def _seconds(least: float, most: float) -> Parser:
    """Seconds within [least, most]."""
    return _number(least, most, "seconds")


_per_minute = _number(0, 100_000, "calls a minute", zero_allowed=False)
_megabytes = _number(0, 4096, "megabytes")


def _user_ids(value: str, _parsed: Mapping[str, Any]) -> frozenset[str]:
    users = frozenset(re.split(r"[\s,]+", value)) - {""}
    for user in sorted(users):
        if not _USER_ID.match(user):
            raise Invalid(f"{_shown(user)} is not a Slack user id (like U012AB3CD)")
    return users


def _channel_id(value: str, _parsed: Mapping[str, Any]) -> str:
    if not _CHANNEL_ID.match(value):
        raise Invalid(f"{_shown(value)} is not a channel id (like C012AB3CD)")
    return value


def _cache_dir(value: str, _parsed: Mapping[str, Any]) -> Path | None:
    return None if value.casefold() in ("off", "none", "0") else Path(value)


def _state_dir(value: str, _parsed: Mapping[str, Any]) -> Path:
    return Path(value).expanduser()


def _log_format(value: str, _parsed: Mapping[str, Any]) -> str:
    if value.casefold() not in ("text", "json"):
        raise Invalid(f"must be text or json, got {value!r}")
    return value.casefold()


def _log_level(value: str, _parsed: Mapping[str, Any]) -> str:
    if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise Invalid(f"must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {value!r}")
    return value.upper()


def _proxy(value: str, _parsed: Mapping[str, Any]) -> str:
    if value == "*":
        return value
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise Invalid(f"must be an IP address or *, got {_shown(value)}") from None


def _port_or_off(value: str, _parsed: Mapping[str, Any]) -> int | None:
    if value.casefold() == "off":
        return None
    if not value.isdigit() or int(value) > 65535:
        raise Invalid(f"must be a TCP port (0 picks a free one) or off, got {value!r}")
    return int(value)


SETTINGS: tuple[Setting, ...] = (
    Setting("SLACK_BOT_TOKEN", "slack_bot_token", _bot_token, "one of it and OAuth's",
            "bot token (`xoxb-`): serve the one workspace it was issued for", secret=True),
    Setting("SLACK_SIGNING_SECRET", "slack_signing_secret", _text, "required for HTTP",
            "verifies each request's signature (HTTP mode)", secret=True),
    Setting("SLACK_CLIENT_ID", "slack_client_id", _client_id, "unset",
            "with `SLACK_CLIENT_SECRET`: install through Slack's OAuth flow in any number of "
            "workspaces (`GET /slack/install`), instead of `SLACK_BOT_TOKEN`"),
    Setting("SLACK_CLIENT_SECRET", "slack_client_secret", _text, "unset",
            "the app's client secret (Basic Information > App Credentials), for OAuth",
            secret=True),
    Setting("SLACK_REDIRECT_URI", "slack_redirect_uri", _redirect_uri, "the app's first",
            "OAuth: where Slack sends the installer back (`https://…/slack/oauth_redirect`), "
            "when the app lists several redirect URLs"),
    Setting("SLACK_APP_TOKEN", "slack_app_token", _app_token, "unset",
            "app-level token (`xapp-`); when set, `serve` uses Socket Mode", secret=True),
    Setting("SLACK_API_URL", "slack_api_url", _api_url, "`https://slack.com/api/`",
            "base URL of Slack's Web API (point it at a local fake in development)"),
    Setting("SCO_KNOWLEDGE_DIR", "knowledge_dir", _directory, "the project's `knowledge/`",
            "the digest directory"),
    Setting("SCO_TIMEZONE", "timezone", _zone, "`UTC`",
            "IANA timezone for \"now\", for events without their own, and the default for "
            "`remind on`"),
    Setting("SCO_DATABASE_URL", "database_url", _database_url,
            "`ledger.sqlite3` in `SCO_STATE_DIR`",
            "the ledger: `sqlite:///FILE` (one instance) or `postgresql://user@host/db` "
            "(several instances; psycopg 3)"),
    Setting("SCO_CLOCK", "clock_start", _instant, "real time",
            "ISO datetime at which the bot's clock starts and then runs forward (rehearsals; "
            "`serve` too)"),
    Setting("SCO_RECONCILE_SECONDS", "reconcile_seconds", _seconds(1, 7 * 86400), "`3600`",
            "how often `serve` reconciles reminders with Slack (1 s to 7 days)"),
    Setting("SCO_RELOAD_SECONDS", "reload_seconds", _seconds(0.1, 3600), "`2`",
            "how often `serve` looks for changes under `SCO_KNOWLEDGE_DIR` (0.1 to 3600; "
            "SIGHUP reloads at once)"),
    Setting("SCO_ADMINS", "admins", _user_ids, "everyone",
            "Slack user ids (comma or space separated); when set, only they may `remind on/off`"),
    Setting("SCO_ADMIN_CHANNEL", "admin_channel", _channel_id, "unset",
            "channel id told (once per distinct set of problems) when an edited digest is "
            "invalid"),
    Setting("SLACK_APP_ID", "slack_app_id", _text, "unset",
            "when set, signed requests for another app (`api_app_id`) are refused with 401"),
    Setting("SCO_SLACK_TIMEOUT", "slack_timeout_seconds", _seconds(0.1, 300), "`10`",
            "seconds to wait for one Slack call, `response_url` posts included (0.1 to 300)"),
    Setting("SCO_SLACK_CALLS_PER_MINUTE", "slack_calls_per_minute", _per_minute, "`45`",
            "reminder calls a minute per Slack method (Tier 3 allows about 50)"),
    Setting("SCO_CACHE_DIR", "cache_dir", _cache_dir,
            "`$XDG_CACHE_HOME/sco-bot` or `~/.cache/sco-bot`",
            "where validated digests (by content hash), compiled templates and the terminal's "
            "rendered answers are kept; `off` disables"),
    Setting("SCO_ANSWER_CACHE_MB", "answer_cache_mb", _megabytes, "`16`",
            "memory for answers rendered once a day and restamped each minute (`0`: every "
            "answer rendered in full, and `ask` keeps no answers in `SCO_CACHE_DIR`)"),
    Setting("SCO_STATE_DIR", "state_dir", _state_dir,
            "`$XDG_STATE_HOME/sco-bot` or `~/.local/state/sco-bot`",
            "where the default SQLite ledger and the console's history live (`serve` prints "
            "the ledger's path at start)"),
    Setting("SCO_LOG_FORMAT", "log_format", _log_format, "`text`",
            "`json`: one JSON object per line (level, event, request id, team, channel, "
            "duration; never a token)"),
    Setting("SCO_LOG_LEVEL", "log_level", _log_level, "`INFO`",
            "`DEBUG`, `INFO`, `WARNING` or `ERROR`"),
    Setting("SCO_HEALTH_PORT", "health_port", _port_or_off, "`3000`",
            "in Socket Mode, the port serving only `GET /healthz` (`off` for none); HTTP mode "
            "serves it beside `/slack/events`"),
    Setting("SCO_PUBLIC_URL", "public_url", _public_url,
            "the address of the request that asks",
            "where `serve` is reached from outside (`https://sco.example.org`): the calendar "
            "feed's links start with it"),
    Setting("SCO_TRUSTED_PROXY", "trusted_proxy", _proxy, "none: those headers are dropped",
            "the reverse proxy's address (or `*`) whose `X-Forwarded-Proto`, `-Host` and "
            "`-For` `serve` believes: the calendar link then has the public scheme and host"),
)  # fmt: skip


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment, reporting every malformed value at once."""
    env = os.environ if env is None else env
    problems: list[str] = []
    values: dict[str, Any] = {
        "cache_dir": _default_cache_dir(env),
        "state_dir": _default_state_dir(env),
    }
    for setting in SETTINGS:
        text = env.get(setting.variable, "").strip()
        if not text:
            continue
        try:
            values[setting.attribute] = setting.parse(text, values)
        except Invalid as bad:
            problems.append(f"{setting.variable} {bad}")
        except Exception:  # a parser's own bug must still be one line, without the value
            problems.append(f"{setting.variable} is malformed")
    if problems:
        raise SettingsError(problems)
    if "database_url" not in values and values["state_dir"] is not None:
        values["database_url"] = f"sqlite:///{values['state_dir'] / 'ledger.sqlite3'}"
    return Settings(**values)


def _default_cache_dir(env: Mapping[str, str]) -> Path | None:
    base = env.get("XDG_CACHE_HOME") or (
        str(Path(env["HOME"]) / ".cache") if env.get("HOME") else None
    )
    return Path(base) / "sco-bot" if base else None


def _default_state_dir(env: Mapping[str, str]) -> Path | None:
    base = env.get("XDG_STATE_HOME") or (
        str(Path(env["HOME"]) / ".local" / "state") if env.get("HOME") else None
    )
    return Path(base) / "sco-bot" if base else None
