"""Subscription filters around add_article, digests and resumes, shared by both backends: decided in a
worker thread, outside any write transaction, with filters that run out of time reported to their guild.

Filters are user-supplied regexes (bot.pipeline.filters bounds each match); evaluating 100 subscriptions'
filters on one story could still take seconds, and doing that on the event loop stalled Discord
interactions, inside the write transaction it held up every other writer. Each backend reads the rows;
what happens to them is decided here, once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.models import NewArticle
from bot.pipeline.filters import Verdict, check_all
from bot.store.common import Row, bullets_from_json, filter_text

log = logging.getLogger(__name__)

DIGEST_PAGE = 200
"""Digest candidates read (and filtered in one worker-thread call) at a time."""

NOTICE_QUIET = timedelta(hours=1)

Verdicts = dict[int, tuple[str | None, str | None, Verdict]]
"""subscription id -> (include, exclude, verdict) as they were when decided."""

class Noticer(Protocol):
    async def add_notice(self, guild_id: int, text: str, *, now: datetime, channel_id: int | None = None,
                         key: str | None = None, quiet_for: timedelta | None = None) -> bool: ...


async def decide(subs: Sequence[Row], text: str) -> Verdicts:
    """The verdicts for these subscriptions (rows with id, include, exclude), computed in a worker thread."""
    pairs = [(sub["include"], sub["exclude"]) for sub in subs]
    if any(i or e for i, e in pairs):
        verdicts = await asyncio.to_thread(check_all, pairs, text)
    else:
        verdicts = [Verdict(True)] * len(pairs)
    return {int(sub["id"]): (inc, exc, v) for sub, (inc, exc), v in zip(subs, pairs, verdicts, strict=True)}


def _check_batch(pairs_by_feed: dict[int, list[tuple[str | None, str | None]]],
                 items: Sequence[tuple[int, str]]) -> list[list[Verdict]]:
    return [check_all(pairs_by_feed.get(feed_id, []), text) for feed_id, text in items]


async def decide_batch(subs: Sequence[Row], items: Sequence[tuple[int, str]]) -> list[Verdicts]:
    """`decide` for a whole batch of stories, each (feed_id, filter text): `subs` are the unpaused
    subscription rows (id, feed_id, include, exclude) of the batch's feeds. One worker-thread call for the
    batch, none when no subscription has a filter."""
    by_feed: dict[int, list[Row]] = {}
    for sub in subs:
        by_feed.setdefault(int(sub["feed_id"]), []).append(sub)
    pairs = {feed: [(sub["include"], sub["exclude"]) for sub in rows] for feed, rows in by_feed.items()}
    if any(i or e for feed_pairs in pairs.values() for i, e in feed_pairs):
        checked = await asyncio.to_thread(_check_batch, pairs, items)
    else:
        checked = [[Verdict(True)] * len(pairs.get(feed_id, [])) for feed_id, _ in items]
    return [{int(sub["id"]): (inc, exc, v)
             for sub, (inc, exc), v in zip(by_feed.get(feed_id, []), pairs.get(feed_id, []), verdicts, strict=True)}
            for (feed_id, _), verdicts in zip(items, checked, strict=True)]


def should_queue(verdicts: Verdicts, sub: Row, story_id: int) -> bool:
    """Inside the write transaction: whether this subscription gets the story, from the verdict decided
    before it. A subscription added or re-filtered in between is decided here only when it has no filter
    at all: no regex ever runs inside the transaction."""
    decided = verdicts.get(int(sub["id"]))
    if decided is not None and (decided[0], decided[1]) == (sub["include"], sub["exclude"]):
        return decided[2].passed
    if sub["include"] or sub["exclude"]:
        log.info("subscription %s changed its filters while story %s was stored; not queued", sub["id"], story_id)
        return False
    return True


def timed_out(verdicts: Verdicts) -> list[int]:
    """Subscriptions whose filter could not decide (ran out of time, or no longer valid)."""
    return [sid for sid, (_i, _e, v) in verdicts.items() if v.failed_filter]


async def report_timeouts(store: Noticer, article: NewArticle, verdicts: Verdicts, subs: Sequence[Row],
                          now: datetime) -> None:
    """A notice for each guild whose filter ran out of time on this story, instead of silence. `subs` are
    the rows (id, guild_id, channel_id) of the subscriptions `timed_out` named."""
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


def digest_verdicts(rows: Sequence[Row]) -> list[bool]:
    """Worker-thread half of digests and resumes: each candidate row (title, bullets as JSON text,
    include, exclude) through its subscription's filters."""
    return [check_all([(r["include"], r["exclude"])], filter_text(r["title"], bullets_from_json(r["bullets"])))[0]
            .passed for r in rows]


async def passing(rows: Sequence[Row]) -> list[bool]:
    """`digest_verdicts` in a worker thread; rows without any filter are decided on the spot."""
    if not any(r["include"] or r["exclude"] for r in rows):
        return [True] * len(rows)
    return await asyncio.to_thread(digest_verdicts, rows)


async def extend_passing(picked: list[int], rows: Sequence[Row], limit: int) -> None:
    """Append to `picked`, in order and once each, the stories of `rows` (with story_id, title, bullets,
    include, exclude) that pass their filters, until `picked` holds `limit`: one worker-thread call."""
    for r, passed in zip(rows, await passing(rows), strict=True):
        if len(picked) >= limit:
            return
        if passed and int(r["story_id"]) not in picked:
            picked.append(int(r["story_id"]))


async def passing_stories(rows: Sequence[Row], limit: int) -> list[int]:
    """The first `limit` distinct stories of `rows` that pass their filters, a page at a time, stopping
    once `limit` passed."""
    picked: list[int] = []
    for start in range(0, len(rows), DIGEST_PAGE):
        if len(picked) >= limit:
            break
        await extend_passing(picked, rows[start:start + DIGEST_PAGE], limit)
    return picked
