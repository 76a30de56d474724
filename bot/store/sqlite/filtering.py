"""The SQLite reads behind subscription filters; the deciding and reporting is backend-neutral
(bot/store/filtering.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.models import NewArticle
from bot.store.common import filter_text
from bot.store.filtering import DIGEST_PAGE, Verdicts, decide_batch, digest_verdicts, timed_out
from bot.store.filtering import report_timeouts as report

if TYPE_CHECKING:
    from bot.store.sqlite.notices import NoticeOps

__all__ = ["DIGEST_PAGE", "Verdicts", "batch_verdicts", "digest_verdicts", "filter_text", "report_timeouts"]


def subscribers(db: sqlite3.Connection, feed_ids: list[int]) -> list[sqlite3.Row]:
    marks = ",".join("?" * len(feed_ids))
    return db.execute(f"SELECT id, feed_id, include, exclude FROM subscriptions WHERE feed_id IN ({marks}) "
                      "AND paused = 0 ORDER BY id", feed_ids).fetchall()


async def batch_verdicts(store: NoticeOps, articles: Sequence[NewArticle]) -> list[Verdicts]:
    """The verdicts of each article's feed's unpaused subscriptions: one read, one worker-thread call."""
    subs = await store._read_sync(subscribers, sorted({a.feed_id for a in articles}))
    return await decide_batch(subs, [(a.feed_id, filter_text(a.title, a.bullets)) for a in articles])


def _subscription_rows(db: sqlite3.Connection, ids: list[int]) -> list[sqlite3.Row]:
    marks = ",".join("?" * len(ids))
    return db.execute(f"SELECT id, guild_id, channel_id FROM subscriptions WHERE id IN ({marks})", ids).fetchall()


async def report_timeouts(store: NoticeOps, article: NewArticle, verdicts: Verdicts, now: datetime) -> None:
    """A notice for each guild whose filter ran out of time on this story, instead of silence."""
    slow = timed_out(verdicts)
    if not slow:
        return
    subs = await store._read_sync(_subscription_rows, slow)
    await report(store, article, verdicts, subs, now)
