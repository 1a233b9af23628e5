"""Bring the ledger's database to the code's tables (bot/reminders/tables.py) with Alembic.

A new database gets the tables at once and is stamped with the latest revision; a database an
earlier version wrote (with or without Alembic's version table) is upgraded by the migrations
in bot/reminders/migrations/versions/, in one transaction where the database allows it. On
PostgreSQL an advisory lock makes several instances starting together migrate once."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import Connection

from bot.reminders.tables import every_table

log = logging.getLogger("sco_bot.ledger")
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock's key for migrating (any fixed number no other lock of ours uses).
MIGRATION_LOCK = 0x5C0B07


def alembic_config() -> Config:
    """Alembic's configuration: the migrations folder inside the package (a new one each
    time: a migration hands its connection over in the configuration's attributes)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def head() -> str:
    """The latest revision."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


def migrate(engine: Engine) -> None:
    """Bring the database to the latest revision (nothing to do when it is there)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Released at commit: a second instance waits, then finds the work done.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        current = MigrationContext.configure(conn).get_current_revision()
        if current == head():
            return
        if current is None and not _has_ledger(conn):
            every_table().create_all(conn)
            _alembic(conn, "stamp")
            return
        log.info("upgrading the ledger's database from %s to %s", current or "before 0001", head())
        _alembic(conn, "upgrade")


def _has_ledger(conn: Connection) -> bool:
    names = set(inspect(conn).get_table_names())
    return bool(names & {"sco_subscriptions", "sco_reminders", "sco_greetings"})


def _alembic(conn: Connection, what: str) -> None:
    """Alembic's `stamp` or `upgrade` to head, on this connection."""
    config = alembic_config()
    config.attributes["connection"] = conn
    try:
        if what == "stamp":
            command.stamp(config, "head")
        else:
            command.upgrade(config, "head")
    finally:
        config.attributes.pop("connection", None)
