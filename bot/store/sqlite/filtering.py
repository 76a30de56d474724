"""The SQLite reads behind subscription filters; the deciding and reporting is backend-neutral
(bot/store/filtering.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.models import NewArticle
from bot.store.common import filter_text
from bot.store.filtering import DIGEST_PAGE, Verdicts, decide, digest_verdicts, timed_out
from bot.store.filtering import report_timeouts as report
from bot.store.sqlite.base import fetchall

if TYPE_CHECKING:
    from bot.store.sqlite.notices import NoticeOps

__all__ = ["DIGEST_PAGE", "Verdicts", "digest_verdicts", "filter_text", "filter_verdicts", "report_timeouts"]


async def filter_verdicts(store: NoticeOps, feed_id: int, text: str) -> Verdicts:
    """The verdicts for the feed's unpaused subscriptions, computed in a worker thread."""
    async with store._read() as conn:
        subs = await fetchall(conn, "SELECT id, include, exclude FROM subscriptions "
                                    "WHERE feed_id = ? AND paused = 0 ORDER BY id", (feed_id,))
    return await decide(subs, text)


async def report_timeouts(store: NoticeOps, article: NewArticle, verdicts: Verdicts, now: datetime) -> None:
    """A notice for each guild whose filter ran out of time on this story, instead of silence."""
    slow = timed_out(verdicts)
    if not slow:
        return
    async with store._read() as conn:
        marks = ",".join("?" * len(slow))
        subs = await fetchall(conn, f"SELECT id, guild_id, channel_id FROM subscriptions WHERE id IN ({marks})",
                              slow)
    await report(store, article, verdicts, subs, now)
