"""The ledger's book of what channels follow and what each was told (SQLAlchemy): follows,
"what's new" posts (one per channel and view of the digest, reserved before Slack holds them
and confirmed after, as reminders are), the digests told about, and each user's last Home
visit. One workspace's rows, on the ledger's own database."""

from __future__ import annotations

import pickle
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from bot.knowledge.digest import Digest
from bot.queries.news import Follow
from bot.reminders.ledger import Ledger
from bot.reminders.tables import digests, follows, home_visits, news

ALL = "all"
ACTOR = "actor"
TOPIC = "topic"


class Told(StrEnum):
    """What became of a view for a channel."""

    START = "start"  # the channel began following here: nothing before it is news to it
    QUIET = "quiet"  # nothing the channel follows changed: no post
    PENDING = "pending"  # reserved; Slack may or may not hold the post yet
    POSTED = "posted"  # Slack holds (or has posted) the post
    MISSED = "missed"  # its time passed before Slack confirmed it: never sent again


@dataclass(frozen=True)
class NewsRow:
    """A view of the digest as one channel was told about it."""

    channel_id: str
    view_id: str
    state: Told
    post_at: int
    tag: str
    scheduled_message_id: str | None
    told_at: datetime


def _now() -> datetime:
    # Bookkeeping only: what is told when is decided by the caller's `now`.
    return datetime.now(UTC)


class FollowBook:
    """What one workspace's channels follow and were told, in the ledger's database."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.engine = ledger.engine

    def _mine(self, table: Any) -> Any:
        return self.ledger._mine(table)

    def _keys(self) -> dict[str, str]:
        return self.ledger._keys()

    # Follows

    def follow(self, channel_id: str, kind: str, value: str, subscriber: str | None) -> bool:
        """Follow `value` (an actor id, topic words, or ALL) in a channel; False when it was
        followed already."""
        row = {**self._keys(), "channel_id": channel_id, "kind": kind, "value": value}
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    follows.insert().values(**row, subscriber=subscriber, created_at=_now())
                )
        except IntegrityError:
            return False
        return True

    def unfollow(self, channel_id: str, kind: str | None = None, value: str | None = None) -> int:
        """Stop following one thing in a channel, or (no kind) everything; how many rows went."""
        where = [self._mine(follows), follows.c.channel_id == channel_id]
        if kind is not None:
            where.append(follows.c.kind == kind)
        if value is not None:
            where.append(follows.c.value == value)
        with self.engine.begin() as conn:
            gone = conn.execute(delete(follows).where(*where)).rowcount or 0
            if not conn.execute(
                select(follows.c.kind).where(
                    self._mine(follows), follows.c.channel_id == channel_id
                )
            ).first():
                # Following nothing: a later follow starts afresh, not with a backlog.
                conn.execute(delete(news).where(self._mine(news), news.c.channel_id == channel_id))
            return gone

    def following(self, channel_id: str) -> Follow:
        """What a channel follows."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(follows.c.kind, follows.c.value).where(
                    self._mine(follows), follows.c.channel_id == channel_id
                )
            ).all()
        return Follow(
            everything=any(r.kind == ALL for r in rows),
            actors=frozenset(r.value for r in rows if r.kind == ACTOR),
            topics=tuple(sorted(r.value for r in rows if r.kind == TOPIC)),
        )

    def following_channels(self) -> list[str]:
        """Every channel of the workspace that follows something."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(follows.c.channel_id)
                .where(self._mine(follows))
                .distinct()
                .order_by(follows.c.channel_id)
            )
            return [r[0] for r in rows]

    def begin(self, channel_id: str, view: Digest) -> None:
        """A channel begins following: what the digest says now is no news to it (a channel
        that joins later is not flooded with history)."""
        self.keep_digest(view.whole or view)
        self.reserve(channel_id, view.view_id, Told.START, 0, "")

    # What each channel was told

    def told(self, channel_id: str) -> list[NewsRow]:
        """Every view a channel was told about (or is being told), the newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(news)
                .where(self._mine(news), news.c.channel_id == channel_id)
                .order_by(news.c.told_at.desc())
            ).all()
        return [
            NewsRow(
                r.channel_id,
                r.view_id,
                Told(r.state),
                r.post_at,
                r.tag,
                r.scheduled_message_id,
                r.told_at,
            )
            for r in rows
        ]

    def reserve(self, channel_id: str, view_id: str, state: Told, post_at: int, tag: str) -> bool:
        """Record a view as told (or being told) to a channel; False when another instance, or
        an earlier `tell`, already did: the primary key makes the view one channel's once."""
        row = {
            **self._keys(),
            "channel_id": channel_id,
            "view_id": view_id,
            "state": state.value,
            "post_at": post_at,
            "tag": tag,
            "told_at": _now(),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(news.insert().values(**row))
        except IntegrityError:
            return False
        return True

    def settle(
        self, channel_id: str, view_id: str, state: Told, message_id: str | None = None
    ) -> None:
        """Record what became of a reserved post."""
        with self.engine.begin() as conn:
            conn.execute(
                update(news)
                .where(self._mine(news), news.c.channel_id == channel_id, news.c.view_id == view_id)
                .values(state=state.value, scheduled_message_id=message_id)
            )

    # The digests told about

    def keep_digest(self, digest: Digest) -> None:
        """Keep a digest (by version) so that a later view can be compared with it (once per
        digest and database: every Home visit and pass asks)."""
        kept = ("kept in", str(self.engine.url))
        if digest.memo.get(kept):
            return
        data = zlib.compress(pickle.dumps(digest, protocol=pickle.HIGHEST_PROTOCOL))
        insert = postgresql.insert if self.ledger.is_postgres else sqlite.insert
        statement = insert(digests).values(version=digest.version, data=data, saved_at=_now())
        with self.engine.begin() as conn:
            conn.execute(statement.on_conflict_do_nothing(index_elements=[digests.c.version]))
        digest.memo[kept] = True

    def digest(self, version: str) -> Digest | None:
        """A digest kept before, by version (None when it never was)."""
        with self.engine.connect() as conn:
            data = conn.execute(select(digests.c.data).where(digests.c.version == version)).scalar()
        if data is None:
            return None
        found = pickle.loads(zlib.decompress(data))
        return found if isinstance(found, Digest) else None

    # Home visits

    def visited(self, user_id: str, view_id: str) -> str | None:
        """Record a user's Home visit at a view; the view of their previous visit, if any."""
        keys = {**self._keys(), "user_id": user_id}
        with self.engine.begin() as conn:
            before = conn.execute(
                select(home_visits.c.view_id).where(
                    self._mine(home_visits), home_visits.c.user_id == user_id
                )
            ).scalar()
            insert = postgresql.insert if self.ledger.is_postgres else sqlite.insert
            values = {"view_id": view_id, "visited_at": _now()}
            conn.execute(
                insert(home_visits)
                .values(**keys, **values)
                .on_conflict_do_update(
                    index_elements=[
                        home_visits.c.enterprise_id,
                        home_visits.c.team_id,
                        home_visits.c.user_id,
                    ],
                    set_=values,
                )
            )
        return str(before) if before is not None else None
