"""Logging: plain text or one JSON object per line (SCO_LOG_FORMAT), at SCO_LOG_LEVEL.

Each Slack request runs inside `request_scope`: its id, team, channel and, when it ends, its
duration are added to every line logged meanwhile. Anything shaped like a Slack token, and the
configured secrets themselves, are replaced before a line is written. Both formats write one
line per record: control characters from a payload (a newline in a channel id) are escaped, and
each part is cut (a field at FIELD_CHARS, the message at MESSAGE_CHARS), so no request can forge
a line or write a 200 KB one."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("sco_bot.request")
START_LOGGER = "sco_bot.start"  # start-up lines: written at any SCO_LOG_LEVEL

_TOKEN = re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
REDACTED = "[redacted]"
FIELDS = ("request_id", "team", "channel", "command", "status", "duration_ms")
FIELD_CHARS = 200
MESSAGE_CHARS = 4000
TRACEBACK_CHARS = 20_000
# C0 and C1 controls and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def cut(text: str, limit: int) -> str:
    """`text` at most `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more characters]"


def escaped(text: str) -> str:
    """`text` with every control character written as a JSON escape (\\n, \\u0085...)."""
    return _CONTROL.sub(lambda m: json.dumps(m.group())[1:-1], text)


def _field(value: object) -> str:
    return cut(str(value), FIELD_CHARS)


@dataclass
class RequestFields:
    """What is known about the Slack request being handled (filled in as it is parsed)."""

    request_id: str
    team: str | None = None
    channel: str | None = None
    command: str | None = None
    status: str | None = None


_CURRENT: ContextVar[RequestFields | None] = ContextVar("sco_bot_request", default=None)


def current_request() -> RequestFields | None:
    """The request being handled on this thread, if any."""
    return _CURRENT.get()


@contextmanager
def request_scope(request_id: str | None = None) -> Iterator[RequestFields]:
    """Handle one request: its fields join every log line meanwhile; one line when it ends."""
    if not _valid_id(request_id):
        import uuid  # here: the terminal's cached answers start without it

        request_id = uuid.uuid4().hex[:16]
    assert request_id is not None
    fields = RequestFields(request_id)
    token = _CURRENT.set(fields)
    started = time.perf_counter()
    try:
        yield fields
    except BaseException:
        fields.status = "error"
        raise
    finally:
        duration = round((time.perf_counter() - started) * 1000, 1)
        log.info("slack request handled", extra={"duration_ms": duration})
        _CURRENT.reset(token)


def _valid_id(request_id: str | None) -> bool:
    return request_id is not None and bool(_REQUEST_ID.match(request_id))


StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def logged_wsgi(wsgi: WsgiApp, path: str) -> WsgiApp:
    """Wrap a WSGI app so each POST to `path` runs in a request scope logged with its status."""

    def logged(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != path or environ.get("REQUEST_METHOD") != "POST":
            return wsgi(environ, start_response)
        with request_scope(environ.get("HTTP_X_REQUEST_ID")) as fields:

            def recording(code: str, headers: Any, *rest: Any) -> Any:
                fields.status = code.split(" ", 1)[0]
                return start_response(code, headers, *rest)

            return wsgi(environ, recording)

    return logged


class _RequestFilter(logging.Filter):
    """Adds the current request's fields to each record (those not already set)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _CURRENT.get()
        if fields is not None:
            for name in ("request_id", "team", "channel", "command", "status"):
                if getattr(record, name, None) is None:
                    setattr(record, name, getattr(fields, name))
        return True


class _Redacting(logging.Formatter):
    def __init__(self, secrets: Iterable[str], fmt: str | None = None) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if len(s) >= 6]

    def redact(self, text: str) -> str:
        """The text with tokens and configured secrets replaced."""
        text = _TOKEN.sub(lambda m: f"{m.group(1)}-{REDACTED}", text)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


class TextFormatter(_Redacting):
    """Time, level, logger, message, then the request's fields as key=value: one line, with a
    traceback's lines after it each prefixed by "  | " (none can pass for a record)."""

    def format(self, record: logging.LogRecord) -> str:
        message = cut(escaped(record.getMessage()), MESSAGE_CHARS)
        head = f"{self.formatTime(record)} {record.levelname} {record.name} {message}"
        extras = [
            f"{k}={_field(escaped(str(getattr(record, k))))}"
            for k in FIELDS
            if getattr(record, k, None)
        ]
        line = " ".join([head, *extras])
        trace = self._trace(record)
        if trace:
            line += "".join(f"\n  | {escaped(part)}" for part in trace.splitlines())
        return self.redact(line)

    def _trace(self, record: logging.LogRecord) -> str:
        parts = []
        if record.exc_info:
            parts.append(self.formatException(record.exc_info))
        if record.stack_info:
            parts.append(self.formatStack(record.stack_info))
        return cut("\n".join(parts), TRACEBACK_CHARS)


class JsonFormatter(_Redacting):
    """One JSON object per line: time, level, logger, event, the request's fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": self.redact(cut(record.getMessage(), MESSAGE_CHARS)),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value if isinstance(value, int | float) else _field(value)
        if record.exc_info:
            trace = cut(self.formatException(record.exc_info), TRACEBACK_CHARS)
            entry["exception"] = self.redact(trace)
        # json.dumps leaves C1 controls and U+2028/9 raw: escaped, no reader splits the line.
        return self.redact(escaped(json.dumps(entry, ensure_ascii=False, default=str)))


def configure(fmt: str = "text", level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Send every logger's records to stderr in `fmt` (text or json) from `level` up."""
    handler = logging.StreamHandler(sys.stderr)
    formatter = JsonFormatter(secrets) if fmt == "json" else TextFormatter(secrets)
    handler.setFormatter(formatter)
    handler.addFilter(_RequestFilter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # Python's warnings (a library's DeprecationWarning) are records too: one format for all.
    logging.captureWarnings(True)
    # Where the server listens and keeps its ledger is written whatever the level (the
    # lines an operator, and a health check's script, look for first).
    logging.getLogger(START_LOGGER).setLevel(min(logging.getLevelName(level), logging.INFO))
    # Alembic says which context it runs in each time the ledger is opened: not news.
    logging.getLogger("alembic").setLevel(max(logging.getLevelName(level), logging.WARNING))
