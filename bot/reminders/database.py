"""The ledger's engine with every database wait bounded: connecting, each statement, and
waiting for a pooled connection. A database that stops answering makes calls fail within
seconds (and the next call try again) instead of holding a thread forever."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

CONNECT_SECONDS = 3  # TCP connect and PostgreSQL's start-up exchange, together
STATEMENT_SECONDS = 10  # one statement, lock waits included (PostgreSQL's statement_timeout)
POOL_SECONDS = 3  # waiting for a pooled connection when all are in use
BUSY_SECONDS = 5  # SQLite: waiting for another process's write lock
# A peer gone silent (packets dropped): TCP gives up on unacknowledged data after this long,
# and probes an idle connection after KEEPALIVE_IDLE seconds (3 probes, 2 s apart).
TCP_USER_TIMEOUT_MS = 10_000
KEEPALIVE_IDLE = 10


def engine_options(url: str) -> dict[str, Any]:
    """`create_engine` keyword arguments that bound every wait for the database at `url`."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if parsed.database not in (None, "", ":memory:"):  # an in-memory SQLite has no pool queue
        options["pool_timeout"] = POOL_SECONDS
    if backend == "postgresql":
        options["connect_args"] = {
            "connect_timeout": CONNECT_SECONDS,
            "options": f"-c statement_timeout={STATEMENT_SECONDS * 1000}",
            "keepalives": 1,
            "keepalives_idle": KEEPALIVE_IDLE,
            "keepalives_interval": 2,
            "keepalives_count": 3,
            "tcp_user_timeout": TCP_USER_TIMEOUT_MS,
        }
    elif backend == "sqlite":
        # A local file: no network to hang on; the one wait is another writer's lock.
        options["connect_args"] = {"timeout": BUSY_SECONDS}
    return options


def bounded_engine(url: str) -> Engine:
    """An engine for `url` whose waits are all bounded (see `engine_options`)."""
    return create_engine(url, **engine_options(url))
