"""Telling following channels what's new, once: each channel is told each view of the digest
(what the documents published by now say) at most once, with the guarantees of reminders.

For a channel and the current view: a view already recorded for it is done; otherwise what is
new since the view it was last told (whats_new) is worked out. Nothing it follows changed: the
view is recorded quiet. Something did: the view is reserved (the ledger's key makes it one
instance's and one `tell`'s), the post is held by Slack a little ahead (chat.scheduleMessage,
carrying a tag), then confirmed with Slack's id. A reservation left pending (the process died,
the answer was lost) is settled by the tag against what Slack holds: held, it is confirmed;
not held while its time is still ahead, it is held now; its time gone, it is never sent
again (`missed`, logged)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from bot.knowledge.digest import Digest
from bot.queries.news import Follow, News, whats_new
from bot.reminders.following import FollowBook, NewsRow, Told
from bot.reminders.plan import Batch, Reminder
from bot.reminders.scheduler import DeliveryError, Failure, Scheduler
from bot.rendering.blocks import Message

log = logging.getLogger("sco_bot.news")
# How far ahead the post is held: time to confirm it, and for a restarted process to find it
# among what Slack holds, before it posts.
POST_LEAD = timedelta(seconds=30)
NEWS_EVENT = "news"  # what the tag of a post is derived from, with its channel, view and time


@dataclass
class NewsReport:
    """What one pass told."""

    posted: int = 0
    quiet: int = 0
    started: int = 0
    missed: int = 0
    failed: int = 0


Render = Callable[[News, Digest, Follow, datetime], Message]


def view_of(whole: Digest, view_id: str) -> Digest:
    """The view of `whole` a view id names (`version` or `version@cutoff`)."""
    _, _, cutoff = view_id.partition("@")
    return whole.as_of(datetime.fromisoformat(cutoff)) if cutoff else whole


class NewsDesk:
    """Tells one workspace's following channels what's new."""

    def __init__(
        self,
        book: FollowBook,
        scheduler: Scheduler,
        render: Render,
        digest: Callable[[], Digest],
        tz: tzinfo,
    ) -> None:
        self.book = book
        self.scheduler = scheduler
        self.render = render
        self.digest = digest
        self.tz = tz

    def tell(self, now: datetime) -> NewsReport:
        """Tell every following channel of the workspace what's new as of `now`, once."""
        whole = self.digest()
        view = whole.as_of(now)
        report = NewsReport()
        channels = self.book.following_channels()
        if channels:
            self.book.keep_digest(whole)
        for channel in channels:
            try:
                self._tell(channel, view, now, report)
            except DeliveryError as failed:
                report.failed += 1
                log.warning("what's new in %s not told yet: %s", channel, failed.error)
                if failed.failure is Failure.AUTH:
                    raise
            except Exception:  # one channel's failure never stops the others'
                report.failed += 1
                log.exception("what's new in %s failed", channel)
        return report

    def _tell(self, channel: str, view: Digest, now: datetime, report: NewsReport) -> None:
        told = self.book.told(channel)
        for row in told:
            if row.state is Told.PENDING:
                self._settle(row, now, report)
        if any(row.view_id == view.view_id for row in told):
            return  # told already, or being told
        if not told:
            self.book.reserve(channel, view.view_id, Told.START, 0, "")
            report.started += 1
            return
        follow = self.book.following(channel)
        news = self._news(told[0], view, follow, now)
        if news is None or news.empty:
            self.book.reserve(channel, view.view_id, Told.QUIET, 0, "")
            report.quiet += 1
            return
        post = Reminder(now + POST_LEAD, channel, f"{NEWS_EVENT}:{view.view_id}"[:80], 0)
        stamp = int(post.post_at.timestamp())
        if not self.book.reserve(channel, view.view_id, Told.PENDING, stamp, post.tag):
            return  # another instance reserved it first
        message = self.render(news, view, follow, now)
        message_id = self.scheduler.schedule(Batch((post,)), message)
        self.book.settle(channel, view.view_id, Told.POSTED, message_id)
        report.posted += 1

    def _news(self, last: NewsRow, view: Digest, follow: Follow, now: datetime) -> News | None:
        """What is new since the view last told (None when that digest is no longer known)."""
        version = last.view_id.partition("@")[0]
        whole = view.whole or view
        old_whole = whole if whole.version == version else self.book.digest(version)
        if old_whole is None:
            log.warning("what's new: digest %s is not kept; starting afresh", version)
            return None
        return whats_new(view_of(old_whole, last.view_id), view, follow, now, self.tz)

    def _settle(self, row: NewsRow, now: datetime, report: NewsReport) -> None:
        """A reservation an earlier `tell` left: confirm it, hold it or give it up (never twice)."""
        held = [h for h in self.scheduler.held(row.channel_id) if row.tag in h.tags]
        if held:
            self.book.settle(row.channel_id, row.view_id, Told.POSTED, held[0].id)
            return
        if row.post_at <= int(now.timestamp()):
            log.warning(
                "what's new in %s for %s: its time passed unconfirmed; not sent again",
                row.channel_id,
                row.view_id,
            )
            self.book.settle(row.channel_id, row.view_id, Told.MISSED)
            report.missed += 1
            return
        # Reserved, never held (the process died before asking Slack): hold it now.
        view = view_of(self._whole(row), row.view_id)
        previous = [r for r in self.book.told(row.channel_id) if r.view_id != row.view_id]
        follow = self.book.following(row.channel_id)
        news = self._news(previous[0], view, follow, now) if previous else None
        if news is None or news.empty:
            self.book.settle(row.channel_id, row.view_id, Told.QUIET)
            return
        post_at = datetime.fromtimestamp(row.post_at, now.tzinfo)
        post = Reminder(post_at, row.channel_id, f"{NEWS_EVENT}:{row.view_id}"[:80], 0)
        message_id = self.scheduler.schedule(Batch((post,)), self.render(news, view, follow, now))
        self.book.settle(row.channel_id, row.view_id, Told.POSTED, message_id)
        report.posted += 1

    def _whole(self, row: NewsRow) -> Digest:
        whole = self.digest()
        version = row.view_id.partition("@")[0]
        if whole.version == version:
            return whole
        return self.book.digest(version) or whole
