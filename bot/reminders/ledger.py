"""The ledger: subscriptions and every reminder scheduled in Slack (SQLAlchemy)."""

from __future__ import annotations

import copy
import threading
import time as clock
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import (
    Engine,
    and_,
    delete,
    event,
    select,
    text,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from bot.reminders.database import bounded_engine
from bot.reminders.migrate import migrate
from bot.reminders.plan import MAX_LEADS, LeadError, Reminder, Subscription
from bot.reminders.records import LedgerRow, State
from bot.reminders.tables import (
    WORKSPACE_TABLES,
    follows,
    greetings,
    reminders,
    subscriptions,
)
from bot.reminders.workspace import TOKEN_WORKSPACE, Workspace


def _utcnow() -> datetime:
    # Row timestamps are bookkeeping only; planning never reads them.
    return datetime.now(UTC)


def _row_reminder(row: Any) -> Reminder:
    return Reminder(
        datetime.fromtimestamp(row.post_at, UTC), row.channel_id, row.event_id, row.lead_days
    )


def _row_subscription(row: Any) -> Subscription:
    hours, minutes = (int(x) for x in row.at.split(":"))
    return Subscription(
        channel_id=row.channel_id,
        leads=tuple(int(x) for x in row.leads.split(",") if x),
        at=time(hours, minutes),
        timezone=row.timezone,
        subscriber=row.subscriber,
        broken=row.broken,
    )


def _lock_key(workspace: Workspace, channel_id: str) -> int:
    # The bot token's workspace keeps the key it had before the ledger knew workspaces.
    name = channel_id if workspace == TOKEN_WORKSPACE else f"{workspace.label}:{channel_id}"
    return zlib.crc32(f"sco-bot:{name}".encode()) - 2**31


LOCK_POLL_SECONDS = 0.1


class LockLost(Exception):
    """The channel's lock is no longer held (its database session ended): stop, touch nothing."""


class ChannelLock:
    """A held channel lock. On PostgreSQL it is a session advisory lock on one connection:
    `check()` before every call to Slack proves that session still holds it, since a dead
    session (failover, idle timeout, a transaction-mode pooler) frees it for another instance."""

    def __init__(self, conn: Connection | None = None, key: int = 0) -> None:
        self.conn = conn
        unsigned = key & 0xFFFFFFFFFFFFFFFF
        self._parts = {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF}

    def check(self) -> None:
        """Raise LockLost unless this instance still holds the lock."""
        if self.conn is None:
            return
        try:
            held = self.conn.execute(_HOLDS_LOCK, self._parts).scalar()
            self.conn.commit()
        except Exception as exc:
            raise LockLost(type(exc).__name__) from None
        if not held:
            raise LockLost("the lock's session changed")


_HOLDS_LOCK = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND classid::bigint = :hi AND objid::bigint = :lo"
    " AND objsubid = 1)"
)


class Ledger:
    """Subscriptions and the reminder ledger in SQLite (embedded) or PostgreSQL (shared), of one
    workspace (`workspace`; `scoped` gives another's over the same database)."""

    def __init__(self, url: str, workspace: Workspace = TOKEN_WORKSPACE) -> None:
        self.url = url
        self.workspace = workspace
        self.engine: Engine = bounded_engine(url)
        self.is_postgres = self.engine.dialect.name == "postgresql"
        self._locks: dict[tuple[Workspace, str], threading.Lock] = {}
        self._locks_guard = threading.Lock()
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        migrate(self.engine)

    def scoped(self, workspace: Workspace) -> Ledger:
        """The same database's ledger of another workspace (its pool and locks shared)."""
        if workspace == self.workspace:
            return self
        other = copy.copy(self)
        other.workspace = workspace
        return other

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    def ping(self) -> bool:
        """True when the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def _mine(self, table: Any) -> ColumnElement[bool]:
        """Rows of this ledger's workspace."""
        return and_(
            table.c.enterprise_id == self.workspace.enterprise_id,
            table.c.team_id == self.workspace.team_id,
        )

    def _keys(self) -> dict[str, str]:
        return {"enterprise_id": self.workspace.enterprise_id, "team_id": self.workspace.team_id}

    # Workspaces

    def workspaces(self) -> list[Workspace]:
        """Every workspace with a subscription, a reminder or a follow in the ledger."""
        columns = (subscriptions.c.enterprise_id, subscriptions.c.team_id)
        both = union(
            select(*columns),
            select(reminders.c.enterprise_id, reminders.c.team_id),
            select(follows.c.enterprise_id, follows.c.team_id),
        ).subquery()
        with self.engine.connect() as conn:
            rows = conn.execute(select(both).order_by(*both.c))
            return [Workspace(r[0], r[1]) for r in rows]

    def scheduled_messages(self) -> list[tuple[str, str]]:
        """(channel, Slack's scheduled message id) of every reminder Slack holds for this
        workspace, as far as the ledger knows."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(reminders.c.channel_id, reminders.c.scheduled_message_id)
                .where(
                    self._mine(reminders),
                    reminders.c.state == State.SCHEDULED.value,
                    reminders.c.scheduled_message_id.is_not(None),
                )
                .distinct()
            )
            return [(r[0], r[1]) for r in rows]

    def forget_workspace(self) -> int:
        """Delete every row of this workspace (subscriptions, reminders, greetings): it left.
        Returns how many rows were deleted."""
        deleted = 0
        with self.engine.begin() as conn:
            for table in WORKSPACE_TABLES:
                deleted += conn.execute(delete(table).where(self._mine(table))).rowcount or 0
        return deleted

    # Subscriptions

    def subscribe(self, sub: Subscription) -> None:
        """Create or replace a channel's subscription (clearing any broken mark), in one
        statement: concurrent first subscriptions of a channel all succeed, the last one wins."""
        if len(sub.leads) > MAX_LEADS:
            raise LeadError(f"at most {MAX_LEADS} lead times, not {len(sub.leads)}")
        values = {
            "leads": ",".join(str(d) for d in sub.leads),
            "at": sub.at.strftime("%H:%M"),
            "timezone": sub.timezone,
            "subscriber": sub.subscriber,
            "broken": None,
            "updated_at": _utcnow(),
        }
        insert = postgresql.insert if self.is_postgres else sqlite.insert
        statement = insert(subscriptions).values(
            channel_id=sub.channel_id, **self._keys(), **values
        )
        statement = statement.on_conflict_do_update(
            index_elements=[
                subscriptions.c.enterprise_id,
                subscriptions.c.team_id,
                subscriptions.c.channel_id,
            ],
            set_=values,
        )
        with self.engine.begin() as conn:
            conn.execute(statement)

    def unsubscribe(self, channel_id: str) -> bool:
        """Remove a channel's subscription; True when there was one."""
        with self.engine.begin() as conn:
            done = conn.execute(
                delete(subscriptions).where(
                    self._mine(subscriptions), subscriptions.c.channel_id == channel_id
                )
            )
            return bool(done.rowcount)

    def mark_broken(self, channel_id: str, reason: str) -> None:
        """Record that Slack refuses this channel (e.g. not_in_channel)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(subscriptions)
                .where(self._mine(subscriptions), subscriptions.c.channel_id == channel_id)
                .values(broken=reason, updated_at=_utcnow())
            )

    def subscription(self, channel_id: str) -> Subscription | None:
        """A channel's subscription, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(subscriptions).where(
                    self._mine(subscriptions), subscriptions.c.channel_id == channel_id
                )
            ).first()
        return _row_subscription(row) if row else None

    def first_contact(self, user_id: str, surface: str) -> bool:
        """Record that a user has been welcomed on a surface; True only the first time (an
        insert that a second, concurrent first contact loses)."""
        row = {**self._keys(), "user_id": user_id, "surface": surface}
        try:
            with self.engine.begin() as conn:
                conn.execute(greetings.insert().values(**row, greeted_at=_utcnow()))
        except IntegrityError:
            return False
        return True

    def subscriptions(self) -> list[Subscription]:
        """Every subscription of the workspace."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(subscriptions)
                .where(self._mine(subscriptions))
                .order_by(subscriptions.c.channel_id)
            )
            return [_row_subscription(r) for r in rows]

    def ledger_channels(self) -> list[str]:
        """Channels with ledger rows (subscribed or not)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(reminders.c.channel_id).where(self._mine(reminders)).distinct()
            )
            return [r[0] for r in rows]

    # Ledger

    def ledger(self, channel_id: str) -> list[LedgerRow]:
        """Every ledger row of a channel, soonest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(reminders)
                .where(self._mine(reminders), reminders.c.channel_id == channel_id)
                .order_by(reminders.c.post_at, reminders.c.id)
            )
            return [
                LedgerRow(r.id, _row_reminder(r), State(r.state), r.scheduled_message_id, r.error)
                for r in rows
            ]

    def reserve(self, reminder: Reminder) -> int | None:
        """Insert a pending row before asking Slack; None if the reminder is already there."""
        return self.reserve_many([reminder]).get(reminder.key)

    def reserve_many(self, wanted: Iterable[Reminder]) -> dict[tuple[str, str, int, int], int]:
        """Insert pending rows for these reminders in one transaction (one commit, not one a
        reminder); return the new row ids by reminder key, leaving out those already there."""
        reserved: dict[tuple[str, str, int, int], int] = {}
        with self.engine.begin() as conn:
            for reminder in wanted:
                row_id = self._reserve(conn, reminder)
                if row_id is not None:
                    reserved[reminder.key] = row_id
        return reserved

    def _reserve(self, conn: Connection, reminder: Reminder) -> int | None:
        channel_id, event_id, lead_days, post_at = reminder.key
        existing = conn.execute(
            select(reminders.c.id).where(
                self._mine(reminders),
                reminders.c.channel_id == channel_id,
                reminders.c.event_id == event_id,
                reminders.c.lead_days == lead_days,
                reminders.c.post_at == post_at,
            )
        ).first()
        if existing:
            return None
        try:
            # A savepoint keeps the transaction usable after a unique violation (PostgreSQL).
            with conn.begin_nested() if self.is_postgres else nullcontext():
                result = conn.execute(
                    reminders.insert().values(
                        **self._keys(),
                        channel_id=channel_id,
                        event_id=event_id,
                        lead_days=lead_days,
                        post_at=post_at,
                        state=State.PENDING.value,
                        updated_at=_utcnow(),
                    )
                )
        except IntegrityError:
            return None  # another writer reserved it first: the unique key decides
        key = result.inserted_primary_key
        return int(key[0]) if key else None

    def confirm(self, row_id: int, scheduled_message_id: str) -> None:
        """Slack scheduled it: record its id."""
        self._set(
            row_id,
            state=State.SCHEDULED.value,
            scheduled_message_id=scheduled_message_id,
            error=None,
        )

    def note_error(self, row_id: int, error: str) -> None:
        """Slack did not confirm: the row stays pending for the next reconcile."""
        self._set(row_id, error=error[:200])

    def mark_sent(self, row_id: int) -> None:
        """Its time has passed."""
        self._set(row_id, state=State.SENT.value)

    def mark_missed(self, row_id: int, why: str) -> None:
        """Its time passed before Slack confirmed it: kept (never scheduled again) and counted."""
        self._set(row_id, state=State.MISSED.value, error=why[:200])

    def forget(self, row_id: int) -> None:
        """Remove a row whose reminder is gone from Slack (deleted, or never scheduled)."""
        with self.engine.begin() as conn:
            conn.execute(delete(reminders).where(reminders.c.id == row_id))

    def _set(self, row_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(reminders)
                .where(reminders.c.id == row_id)
                .values(updated_at=_utcnow(), **values)
            )

    @contextmanager
    def channel_lock(self, channel_id: str, wait: float = 0.0) -> Iterator[ChannelLock | None]:
        """Hold the channel's lock across instances (PostgreSQL advisory lock), waiting up to
        `wait` seconds for another instance to release it; yield None if it still holds it.
        On SQLite (one instance) it always succeeds."""
        with self._local_lock(channel_id):
            if not self.is_postgres:
                yield ChannelLock()
                return
            with self._advisory_lock(channel_id, wait) as lock:
                yield lock

    @contextmanager
    def _local_lock(self, channel_id: str) -> Iterator[None]:
        with self._locks_guard:
            lock = self._locks.setdefault((self.workspace, channel_id), threading.Lock())
        with lock:
            yield

    @contextmanager
    def _advisory_lock(self, channel_id: str, wait: float) -> Iterator[ChannelLock | None]:
        key = _lock_key(self.workspace, channel_id)
        deadline = clock.monotonic() + wait
        with self.engine.connect() as conn:
            while True:
                got = bool(conn.execute(_TRY_LOCK, {"k": key}).scalar())
                conn.commit()
                if got or clock.monotonic() >= deadline:
                    break
                # Another instance's lock sends no event to wait on: poll it.
                clock.sleep(LOCK_POLL_SECONDS)
            try:
                yield ChannelLock(conn, key) if got else None
            finally:
                if got:
                    _unlock(conn, key)


_TRY_LOCK = text("SELECT pg_try_advisory_lock(:k)")


def _unlock(conn: Connection, key: int) -> None:
    try:
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        conn.commit()
    except Exception:  # the session died, and its lock with it
        conn.invalidate()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the CLI read while the server writes; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode, NORMAL survives a killed process (only a power loss can drop the last
    # commits); the reconcile after such a loss adopts what Slack holds, so nothing doubles.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
