"""Alembic's environment: migrate the connection `bot/reminders/migrate.py` hands over, or (the
`alembic` command, for a developer) the database of SCO_DATABASE_URL or sqlalchemy.url."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from bot.reminders.tables import every_table

config = context.config
# What autogenerate compares against: our tables and slack-sdk's stores' tables.
target = every_table()


def _migrate_on(connection: Connection) -> None:
    # render_as_batch: SQLite alters a table by copying it; Alembic's batch mode does that.
    context.configure(connection=connection, target_metadata=target, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


given = config.attributes.get("connection")
if given is not None:
    _migrate_on(given)
else:
    url = os.environ.get("SCO_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set SCO_DATABASE_URL (or sqlalchemy.url) to the ledger's database")
    with create_engine(url).connect() as connection:
        _migrate_on(connection)
        connection.commit()
