"""The periodic triggers, on APScheduler 3's `AsyncIOScheduler` inside the running loop.

The scheduler only triggers; the work is in units with leases (bot.work.poller, bot.work.lanes,
bot.work.digests). The poll and delivery jobs are ticks that claim work, start it as tasks and return at
once, so no job ever waits on another job's work, and a slow feed or a busy channel holds only its own
slot. Every job coalesces missed runs and never overlaps itself (max_instances=1).

Which jobs run depends on the process's role: `ingest` polls feeds and purges old text, `discord`
delivers stories, notices and digests, `all` does both.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import metrics
from bot.config import Settings
from bot.store import Store
from bot.work.delivery import Sink
from bot.work.digests import run_due_digests
from bot.work.lanes import DeliveryLanes
from bot.work.notices import send_notices
from bot.work.poller import FeedPoller

log = logging.getLogger(__name__)

POLL_JOB, DELIVER_JOB, DIGEST_JOB, RETENTION_JOB = "poll", "deliver", "digests", "retention"


@dataclass(frozen=True, slots=True)
class Delivering:
    """What a Discord-side process needs for its jobs: where to send, and which guilds are its own."""

    lanes: DeliveryLanes
    sink: Sink
    owner: str
    shard_count: int | None = None
    shard_ids: Sequence[int] | None = None


def build_scheduler(settings: Settings, *, store: Store, clock: Callable[[], datetime],
                    poller: FeedPoller | None = None, delivering: Delivering | None = None) -> AsyncIOScheduler:
    """Jobs: poll ticks and retention (with a poller), delivery ticks and digests (with `delivering`)."""
    cfg = settings.scheduler
    scheduler = AsyncIOScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    jobs: list[tuple[str, Callable[[], Awaitable[object]], float]] = []
    if poller is not None:
        async def retention() -> None:
            days = settings.storage.retention_days
            if days:
                purged = await store.purge_article_text(clock() - timedelta(days=days))
                if purged:
                    log.info("dropped the text of %s articles older than %s days", purged, days)
            await store.tidy_search_index()

        jobs += [(POLL_JOB, poller.tick, cfg.poll_check_seconds),
                 (RETENTION_JOB, retention, cfg.retention_hours * 3600)]
    if delivering is not None:
        d = delivering

        async def deliver() -> None:
            await d.lanes.tick()
            await send_notices(store, d.sink, now=clock(), shard_count=d.shard_count, shard_ids=d.shard_ids)

        async def digests() -> None:
            await run_due_digests(store, d.sink, now=clock(), max_stories=settings.digest.max_stories,
                                  max_attempts=settings.discord.max_delivery_attempts, owner=d.owner,
                                  lease=timedelta(seconds=cfg.lease_seconds), shard_count=d.shard_count,
                                  shard_ids=d.shard_ids)

        jobs += [(DELIVER_JOB, deliver, cfg.deliver_seconds), (DIGEST_JOB, digests, cfg.digest_check_seconds)]
    first = clock()
    for job_id, func, seconds in jobs:
        scheduler.add_job(_logged(job_id, func), "interval", seconds=seconds, id=job_id, next_run_time=first)
    return scheduler


def wake(scheduler: AsyncIOScheduler, job_id: str) -> None:
    """Run a job now instead of at its next tick (new deliveries should not wait a whole interval)."""
    job = scheduler.get_job(job_id)
    if job is not None and scheduler.running:
        job.modify(next_run_time=datetime.now(scheduler.timezone))


async def stop(scheduler: AsyncIOScheduler) -> None:
    """Stop the jobs and wait until none is running, so the store and the HTTP session they use can close.

    `shutdown(wait=False)` only cancels the executor's tasks; awaiting them here is what keeps a job from
    touching a closed database (APScheduler 3 cannot await them itself).
    """
    if not scheduler.running:
        return
    running = [f for ex in scheduler._executors.values() for f in getattr(ex, "_pending_futures", ())]
    scheduler.shutdown(wait=False)  # cancels `running`; each job's wrapper absorbs its CancelledError
    if running:
        await asyncio.wait(running)


def _logged(name: str, func: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        try:
            await func()
        except asyncio.CancelledError:
            # Shutting down: the job ends quietly (APScheduler would log it as a failure with a traceback).
            log.debug("scheduled job %r stopped", name)
        except Exception:
            metrics.FAILURES.labels("job").inc()
            log.exception("scheduled job %r failed; it runs again at its next interval", name)

    run.__name__ = f"newsbot_{name}"
    return run
