"""Subscription filters around add_article and digests: decided in a worker thread, outside any write
transaction, with filters that run out of time reported to their guild.

Filters are user-supplied regexes (bot.pipeline.filters bounds each match); evaluating 100 subscriptions'
filters on one story could still take seconds, and doing that on the event loop stalled Discord
interactions, inside the write transaction it held up every other writer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import aiosqlite

from bot.models import NewArticle
from bot.pipeline.filters import Verdict, check_all
from bot.store.sqlite.base import fetchall
from bot.store.sqlite.rows import bullets_from_json

if TYPE_CHECKING:
    from bot.store.sqlite.notices import NoticeOps

log = logging.getLogger(__name__)

DIGEST_PAGE = 200
"""Digest candidates read (and filtered in one worker-thread call) at a time."""

NOTICE_QUIET = timedelta(hours=1)

Verdicts = dict[int, tuple[str | None, str | None, Verdict]]
"""subscription id -> (include, exclude, verdict) as they were when decided."""


def filter_text(title: str, bullets: Sequence[str]) -> str:
    """What include/exclude filters look at: the title and the summary, not the whole article."""
    return "\n".join([title, *bullets])


async def filter_verdicts(store: NoticeOps, feed_id: int, text: str) -> Verdicts:
    """The verdicts for the feed's unpaused subscriptions, computed in a worker thread."""
    async with store._read() as conn:
        subs = await fetchall(conn, "SELECT id, include, exclude FROM subscriptions "
                                    "WHERE feed_id = ? AND paused = 0 ORDER BY id", (feed_id,))
    pairs = [(sub["include"], sub["exclude"]) for sub in subs]
    if any(i or e for i, e in pairs):
        verdicts = await asyncio.to_thread(check_all, pairs, text)
    else:
        verdicts = [Verdict(True)] * len(pairs)
    return {int(sub["id"]): (inc, exc, v) for sub, (inc, exc), v in zip(subs, pairs, verdicts, strict=True)}


async def report_timeouts(store: NoticeOps, article: NewArticle, verdicts: Verdicts, now: datetime) -> None:
    """A notice for each guild whose filter ran out of time on this story, instead of silence."""
    slow = [sid for sid, (_i, _e, v) in verdicts.items() if v.failed_filter]
    if not slow:
        return
    async with store._read() as conn:
        marks = ",".join("?" * len(slow))
        subs = await fetchall(conn, f"SELECT id, guild_id, channel_id FROM subscriptions WHERE id IN ({marks})",
                              slow)
    grouped: dict[tuple[int, str, str, bool], list[int]] = {}  # one notice per guild and filter
    for sub in subs:
        verdict = verdicts[int(sub["id"])][2]
        key = (int(sub["guild_id"]), verdict.failed_filter or "", verdict.problem or "", verdict.passed)
        grouped.setdefault(key, []).append(int(sub["channel_id"]))
    for (guild_id, expr, problem, passed), channels in grouped.items():
        outcome = "was posted anyway (the exclude filter was skipped)" if passed else "was not posted there"
        where = ", ".join(f"<#{c}>" for c in channels[:10]) + (" and more" if len(channels) > 10 else "")
        text = (f"⚠️ The filter `{expr[:100]}` on {where} {problem} on the story “{article.title[:150]}” "
                f"({article.url[:300]}), which {outcome}. Make the filter simpler with `/feed filter`.")
        try:
            # At most one such notice an hour per guild and filter: a broken filter meets every story.
            await store.add_notice(guild_id, text, now=now, channel_id=None, key=f"filter:{expr[:200]}",
                                   quiet_for=NOTICE_QUIET)
        except Exception:  # the story is stored either way; the notice is advice
            log.exception("could not record a filter notice for guild %s", guild_id)


def digest_verdicts(rows: Sequence[aiosqlite.Row]) -> list[bool]:
    """Worker-thread half of digest_stories: each candidate row through its subscription's filters."""
    return [check_all([(r["include"], r["exclude"])], filter_text(r["title"], bullets_from_json(r["bullets"])))[0]
            .passed for r in rows]
