"""Every subscription, reminder and greeting belongs to a workspace (enterprise id, team id):
two workspaces may have channels with the same id. The rows already there are the bot
token's (both ids ""), so nothing is lost and a ledger of one workspace carries on as it was.

Revision ID: 0002
Revises: 0001
Create Date: 2026-07-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The tables as 0001 left them, with their constraints named as PostgreSQL names them: SQLite
# is altered by copying the table (batch mode), from this definition rather than a reflection.
_V1 = sa.MetaData()
_SUBSCRIPTIONS = sa.Table(
    "sco_subscriptions",
    _V1,
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("leads", sa.String(200), nullable=False),
    sa.Column("at", sa.String(5), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("subscriber", sa.String(64)),
    sa.Column("broken", sa.String(200)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("channel_id", name="sco_subscriptions_pkey"),
)
_REMINDERS = sa.Table(
    "sco_reminders",
    _V1,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("event_id", sa.String(80), nullable=False),
    sa.Column("lead_days", sa.Integer, nullable=False),
    sa.Column("post_at", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("scheduled_message_id", sa.String(64)),
    sa.Column("error", sa.String(200)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("channel_id", "event_id", "lead_days", "post_at", name="sco_reminder_key"),
    sa.Index("ix_sco_reminders_channel_id", "channel_id"),
)
_GREETINGS = sa.Table(
    "sco_greetings",
    _V1,
    sa.Column("team_id", sa.String(32), nullable=False),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("surface", sa.String(16), nullable=False),
    sa.Column("greeted_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("team_id", "user_id", "surface", name="sco_greetings_pkey"),
)
WORKSPACE = ("enterprise_id", "team_id")


def _id_column(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=False, server_default="")


def upgrade() -> None:
    """Add the workspace to each table's key; existing rows are the bot token's ("", "")."""
    with op.batch_alter_table("sco_subscriptions", copy_from=_SUBSCRIPTIONS) as batch:
        for name in WORKSPACE:
            batch.add_column(_id_column(name))
        batch.drop_constraint("sco_subscriptions_pkey", type_="primary")
        batch.create_primary_key("sco_subscriptions_pkey", [*WORKSPACE, "channel_id"])
    with op.batch_alter_table("sco_reminders", copy_from=_REMINDERS) as batch:
        for name in WORKSPACE:
            batch.add_column(_id_column(name))
        batch.drop_constraint("sco_reminder_key", type_="unique")
        batch.create_unique_constraint(
            "sco_reminder_key", [*WORKSPACE, "channel_id", "event_id", "lead_days", "post_at"]
        )
        batch.drop_index("ix_sco_reminders_channel_id")
        batch.create_index("ix_sco_reminders_workspace_channel", [*WORKSPACE, "channel_id"])
    with op.batch_alter_table("sco_greetings", copy_from=_GREETINGS) as batch:
        batch.add_column(_id_column("enterprise_id"))
        batch.alter_column("team_id", server_default="")
        batch.drop_constraint("sco_greetings_pkey", type_="primary")
        batch.create_primary_key("sco_greetings_pkey", [*WORKSPACE, "user_id", "surface"])


def downgrade() -> None:
    """Not supported: restore the database's backup instead."""
    raise NotImplementedError("restore the ledger from a backup")
