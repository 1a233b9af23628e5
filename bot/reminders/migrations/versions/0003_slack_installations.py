"""slack-sdk's SQLAlchemy installation and OAuth state stores, in the ledger's database: the
workspaces installed through Slack's OAuth flow and the install links' states. Written out as
slack-sdk 3.48 defines them (a test compares them with the installed slack-sdk's).

Revision ID: 0003
Revises: 0002
Create Date: 2026-07-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _bot_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("enterprise_name", sa.String(200)),
    ]


def _token_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("bot_token", sa.String(200)),
        sa.Column("bot_id", sa.String(32)),
        sa.Column("bot_user_id", sa.String(32)),
        sa.Column("bot_scopes", sa.String(1000)),
        sa.Column("bot_refresh_token", sa.String(200)),
        sa.Column("bot_token_expires_at", sa.DateTime),
    ]


def upgrade() -> None:
    """Create slack_bots, slack_installations and slack_oauth_states where missing."""
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "slack_bots" not in existing:
        op.create_table(
            "slack_bots",
            *_bot_columns(),
            sa.Column("team_id", sa.String(32)),
            sa.Column("team_name", sa.String(200)),
            *_token_columns(),
            sa.Column("is_enterprise_install", sa.Boolean, nullable=False),
            sa.Column("installed_at", sa.DateTime, nullable=False),
        )
        op.create_index(
            "slack_bots_idx",
            "slack_bots",
            ["client_id", "enterprise_id", "team_id", "installed_at"],
        )
    if "slack_installations" not in existing:
        op.create_table(
            "slack_installations",
            *_bot_columns(),
            sa.Column("enterprise_url", sa.String(200)),
            sa.Column("team_id", sa.String(32)),
            sa.Column("team_name", sa.String(200)),
            *_token_columns(),
            sa.Column("user_id", sa.String(32), nullable=False),
            sa.Column("user_token", sa.String(200)),
            sa.Column("user_scopes", sa.String(1000)),
            sa.Column("user_refresh_token", sa.String(200)),
            sa.Column("user_token_expires_at", sa.DateTime),
            sa.Column("incoming_webhook_url", sa.String(200)),
            sa.Column("incoming_webhook_channel", sa.String(200)),
            sa.Column("incoming_webhook_channel_id", sa.String(200)),
            sa.Column("incoming_webhook_configuration_url", sa.String(200)),
            sa.Column("is_enterprise_install", sa.Boolean, nullable=False),
            sa.Column("token_type", sa.String(32)),
            sa.Column("installed_at", sa.DateTime, nullable=False),
        )
        op.create_index(
            "slack_installations_idx",
            "slack_installations",
            ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
        )
    if "slack_oauth_states" not in existing:
        op.create_table(
            "slack_oauth_states",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("state", sa.String(200), nullable=False),
            sa.Column("expire_at", sa.DateTime, nullable=False),
        )


def downgrade() -> None:
    """Not supported: restore the database's backup instead."""
    raise NotImplementedError("restore the ledger from a backup")
