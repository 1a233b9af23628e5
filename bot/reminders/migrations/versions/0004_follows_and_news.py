"""What channels follow of the digest, what each was told (once per view), the digests they
were told about, and the view each user last saw on their Home tab.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _workspace() -> list[sa.Column[str]]:
    return [
        sa.Column("enterprise_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("team_id", sa.String(32), nullable=False, server_default=""),
    ]


def upgrade() -> None:
    """Four new tables; nothing already there changes."""
    op.create_table(
        "sco_follows",
        *_workspace(),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("subscriber", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "enterprise_id", "team_id", "channel_id", "kind", "value", name="sco_follows_pkey"
        ),
    )
    op.create_table(
        "sco_news",
        *_workspace(),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("view_id", sa.String(120), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("post_at", sa.BigInteger, nullable=False),
        sa.Column("tag", sa.String(32), nullable=False),
        sa.Column("scheduled_message_id", sa.String(64)),
        sa.Column("told_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "enterprise_id", "team_id", "channel_id", "view_id", name="sco_news_pkey"
        ),
    )
    op.create_table(
        "sco_digests",
        sa.Column("version", sa.String(40), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sco_home_visits",
        *_workspace(),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("view_id", sa.String(120), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", "team_id", "user_id", name="sco_home_visits_pkey"),
    )


def downgrade() -> None:
    """Drop the four tables."""
    for name in ("sco_home_visits", "sco_digests", "sco_news", "sco_follows"):
        op.drop_table(name)
