"""The ledger's tables as the code uses them now (SQLAlchemy). The database is brought to this
shape by the migrations in bot/reminders/migrations/ (`migrate.py`); a test checks that an
upgraded old ledger and a new one created from these tables are the same."""

from __future__ import annotations

from functools import cache

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()


def _workspace() -> tuple[Column[str], Column[str]]:
    """The installation a row belongs to ("" and "" with one bot token): two workspaces may
    have channels with the same id."""
    return (
        Column("enterprise_id", String(32), nullable=False, server_default=""),
        Column("team_id", String(32), nullable=False, server_default=""),
    )


subscriptions = Table(
    "sco_subscriptions",
    metadata,
    *_workspace(),
    Column("channel_id", String(64), nullable=False),
    Column("leads", String(200), nullable=False),
    Column("at", String(5), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("subscriber", String(64)),
    Column("broken", String(200)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("enterprise_id", "team_id", "channel_id", name="sco_subscriptions_pkey"),
)

reminders = Table(
    "sco_reminders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_workspace(),
    Column("channel_id", String(64), nullable=False),
    Column("event_id", String(80), nullable=False),
    Column("lead_days", Integer, nullable=False),
    Column("post_at", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    Column("scheduled_message_id", String(64)),
    Column("error", String(200)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The same reminder can be in the ledger once only, whichever instance writes it.
    UniqueConstraint(
        "enterprise_id",
        "team_id",
        "channel_id",
        "event_id",
        "lead_days",
        "post_at",
        name="sco_reminder_key",
    ),
    Index("ix_sco_reminders_workspace_channel", "enterprise_id", "team_id", "channel_id"),
)

# Who has been welcomed where (the Home tab, a direct message): a first contact gets a short
# onboarding, once per user and surface, whichever instance answers it.
greetings = Table(
    "sco_greetings",
    metadata,
    *_workspace(),
    Column("user_id", String(64), nullable=False),
    Column("surface", String(16), nullable=False),
    Column("greeted_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint(
        "enterprise_id", "team_id", "user_id", "surface", name="sco_greetings_pkey"
    ),
)

# What a channel follows of the digest: everything (kind "all"), an actor (its id), a topic
# (its words); set by an admin, as reminders are.
follows = Table(
    "sco_follows",
    metadata,
    *_workspace(),
    Column("channel_id", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("value", String(200), nullable=False),
    Column("subscriber", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint(
        "enterprise_id", "team_id", "channel_id", "kind", "value", name="sco_follows_pkey"
    ),
)

# Each view of the digest (version@cutoff) a following channel was told about, once: the row
# is reserved (pending) before the message is held by Slack and confirmed with its id after,
# as reminders are; a view told, or found to hold nothing the channel follows, is never told
# again (a digest that changes back and forth posts nothing twice).
news = Table(
    "sco_news",
    metadata,
    *_workspace(),
    Column("channel_id", String(64), nullable=False),
    Column("view_id", String(120), nullable=False),
    Column("state", String(16), nullable=False),  # pending, posted, quiet, start, missed
    Column("post_at", BigInteger, nullable=False),
    Column("tag", String(32), nullable=False),
    Column("scheduled_message_id", String(64)),
    Column("told_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("enterprise_id", "team_id", "channel_id", "view_id", name="sco_news_pkey"),
)

# The digests channels were told about, by version: what a later view is compared with (the
# files may have changed since, a restart may have come between). zlib of a pickle.
digests = Table(
    "sco_digests",
    metadata,
    Column("version", String(40), primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
)

# The view of the digest each user last saw on their Home tab: what is "new since your last
# visit".
home_visits = Table(
    "sco_home_visits",
    metadata,
    *_workspace(),
    Column("user_id", String(64), nullable=False),
    Column("view_id", String(120), nullable=False),
    Column("visited_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("enterprise_id", "team_id", "user_id", name="sco_home_visits_pkey"),
)

# Tables of the workspace (enterprise_id, team_id) columns: what leaving a workspace deletes.
WORKSPACE_TABLES = (subscriptions, reminders, greetings, follows, news, home_visits)

# slack-sdk's SQLAlchemy installation and OAuth state stores keep their own tables in the same
# database (created by the migrations; see installation_tables()).
SLACK_BOTS = "slack_bots"
SLACK_INSTALLATIONS = "slack_installations"
SLACK_OAUTH_STATES = "slack_oauth_states"


@cache
def every_table() -> MetaData:
    """Our tables and slack-sdk's own definitions of its stores' tables, in one MetaData: what
    a new database is created with (a test compares slack-sdk's with what the migrations
    create, so an upgrade of slack-sdk that changes them is caught)."""
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    every = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(every)
    SQLAlchemyInstallationStore.build_bots_table(every, SLACK_BOTS)
    SQLAlchemyInstallationStore.build_installations_table(every, SLACK_INSTALLATIONS)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(every, SLACK_OAUTH_STATES)
    return every
