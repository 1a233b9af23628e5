"""Real databases for tests: SQLite always, PostgreSQL where reachable (required in CI)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

POSTGRES_ADMIN = os.environ.get(
    "SCO_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_reachable() -> str | None:
    """None when PostgreSQL answers; else the reason it does not."""
    try:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as exc:
        return f"PostgreSQL at {POSTGRES_ADMIN} unreachable: {exc}".splitlines()[0]


def skip_without_postgres() -> None:
    """Skip with the reason, or fail when SCO_REQUIRE_POSTGRES=1 (CI)."""
    reason = postgres_reachable()
    if reason is None:
        return
    if os.environ.get("SCO_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"SCO_REQUIRE_POSTGRES=1 but {reason}")
    print(f"skipping: {reason}")
    pytest.skip(reason)


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, named after its xdist worker (one left
    behind by a killed run says whose it was); dropped afterwards."""
    import psycopg

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"sco_test_{worker}_{uuid.uuid4().hex[:12]}"
    admin = POSTGRES_ADMIN.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A database URL of the given kind ("sqlite" or "postgres")."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        return
    skip_without_postgres()
    with fresh_postgres() as url:
        yield url
