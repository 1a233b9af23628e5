"""The ledger as it was before migrations: subscriptions, reminders and greetings, one workspace.

A ledger that code before Alembic wrote (with SQLAlchemy's create_all) already has these
tables: they are left as they are (a ledger written before the greetings existed gets that
table), and the next migrations bring it up to date.

Revision ID: 0001
Revises:
Create Date: 2026-07-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create whichever of the three tables is missing."""
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "sco_subscriptions" not in existing:
        op.create_table(
            "sco_subscriptions",
            sa.Column("channel_id", sa.String(64), primary_key=True),
            sa.Column("leads", sa.String(200), nullable=False),
            sa.Column("at", sa.String(5), nullable=False),
            sa.Column("timezone", sa.String(64), nullable=False),
            sa.Column("subscriber", sa.String(64)),
            sa.Column("broken", sa.String(200)),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        )
    if "sco_reminders" not in existing:
        op.create_table(
            "sco_reminders",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("channel_id", sa.String(64), nullable=False, index=True),
            sa.Column("event_id", sa.String(80), nullable=False),
            sa.Column("lead_days", sa.Integer, nullable=False),
            sa.Column("post_at", sa.BigInteger, nullable=False),
            sa.Column("state", sa.String(16), nullable=False),
            sa.Column("scheduled_message_id", sa.String(64)),
            sa.Column("error", sa.String(200)),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint(
                "channel_id", "event_id", "lead_days", "post_at", name="sco_reminder_key"
            ),
        )
    if "sco_greetings" not in existing:
        op.create_table(
            "sco_greetings",
            sa.Column("team_id", sa.String(32), primary_key=True),
            sa.Column("user_id", sa.String(64), primary_key=True),
            sa.Column("surface", sa.String(16), primary_key=True),
            sa.Column("greeted_at", sa.DateTime(timezone=True), nullable=False),
        )


def downgrade() -> None:
    """Not supported: restore the database's backup instead."""
    raise NotImplementedError("restore the ledger from a backup")
