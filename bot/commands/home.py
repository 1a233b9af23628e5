"""The App Home tab: what lies ahead, the latest meeting, the caller's reminder subscriptions.

Not a `/sco` subcommand (the registry's): the Home tab is published, not typed."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bot.commands.situation import Reply, Situation
from bot.queries.calendar import upcoming
from bot.queries.lookup import NoMeetingYet, latest_held
from bot.queries.news import EVERYTHING, News, whats_new

if TYPE_CHECKING:
    from bot.knowledge.model import Meeting
    from bot.reminders.plan import Subscription

HOME_EVENTS = 8
log = logging.getLogger("sco_bot")


def handle(situation: Situation, loaded: datetime | None, notice: str | None = None) -> Reply:
    """The Home tab of the caller: next events, the latest meeting, their subscriptions."""
    digest = situation.digest
    found = upcoming(digest, situation.now, situation.timezone)
    context = situation.context(
        ahead=found.ahead[:HOME_EVENTS],
        more=max(0, len(found.ahead) - HOME_EVENTS) + found.more,
        latest=_latest(situation),
        subscriptions=_subscriptions(situation),
        loaded=loaded,
        welcome=first_contact(situation, "home") if notice is None else False,
        notice=notice,
        news=news_since_last_visit(situation),
    )
    return Reply("home.j2", context)


def news_since_last_visit(situation: Situation) -> News | None:
    """What the digest learnt since the caller's last Home visit (recorded now); None on a
    first visit, without a ledger, or when nothing changed."""
    caller = situation.caller
    if not situation.reminders.available or caller is None or not caller.user_id:
        return None
    from sqlalchemy.exc import SQLAlchemyError

    from bot.reminders.following import FollowBook
    from bot.reminders.news_desk import view_of

    view = situation.digest
    whole = view.whole or view
    try:
        book = FollowBook(situation.reminders.ledger)
        book.keep_digest(whole)
        before = book.visited(caller.user_id, view.view_id)
        if before is None or before == view.view_id:
            return None
        version = before.partition("@")[0]
        old = whole if version == whole.version else book.digest(version)
    except (SQLAlchemyError, OSError) as error:
        log.warning("Home tab without what's new: the ledger did not answer: %s", error)
        return None
    if old is None:
        return None
    found = whats_new(view_of(old, before), view, EVERYTHING, situation.now, situation.timezone)
    return None if found.empty else found


def first_contact(situation: Situation, surface: str) -> bool:
    """Whether this is the caller's first visit on a surface (recorded now: once per user).
    False when reminders are not set up or the ledger does not answer: no welcome twice."""
    caller = situation.caller
    if not situation.reminders.available or caller is None or not caller.user_id:
        return False
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return situation.reminders.ledger.first_contact(caller.user_id, surface)
    except (SQLAlchemyError, OSError) as error:
        log.warning("no welcome: the ledger did not answer: %s", error)
        return False


def _latest(situation: Situation) -> Meeting | None:
    """The latest meeting as of now; None before the digest's first document."""
    try:
        return latest_held(situation.digest, situation.now)
    except NoMeetingYet:
        return None


def _subscriptions(situation: Situation) -> list[Subscription] | Unreadable | None:
    """The reminder subscriptions the caller set up (None: reminders not configured)."""
    caller = situation.caller
    if not situation.reminders.available or caller is None or caller.user_id is None:
        return None
    # Imported here: the ledger (and SQLAlchemy with it) is opened only when a Home tab is
    # published; `sco-bot ask` never pays for it.
    from sqlalchemy.exc import SQLAlchemyError

    try:
        ledger = situation.reminders.ledger
        return [s for s in ledger.subscriptions() if s.subscriber == caller.user_id]
    except (SQLAlchemyError, OSError) as error:
        # The rest of the Home tab does not need the database: it is published all the same.
        log.warning("Home tab without subscriptions: the ledger did not answer: %s", error)
        return Unreadable()


class Unreadable:
    """The subscriptions could not be read (the ledger's database did not answer)."""

    unreadable = True
