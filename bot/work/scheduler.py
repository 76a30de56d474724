"""The periodic jobs, on APScheduler 3's `AsyncIOScheduler` inside the running loop.

Every job coalesces missed runs and never overlaps itself (max_instances=1): a slow poll round simply
makes the next one later instead of stacking up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import metrics
from bot.config import Settings
from bot.pipeline.ingest import Ingestor
from bot.store import Store
from bot.work.delivery import Sink
from bot.work.outbox import Outbox

log = logging.getLogger(__name__)

POLL_JOB, DELIVER_JOB, DIGEST_JOB, RETENTION_JOB = "poll", "deliver", "digests", "retention"


def build_scheduler(settings: Settings, *, store: Store, ingestor: Ingestor, outbox: Outbox, sink: Sink,
                    clock: Callable[[], datetime]) -> AsyncIOScheduler:
    """Jobs: poll due feeds, drain the outbox, post due digests, purge old article text."""
    from bot.work.digests import run_due_digests  # the digest schedule math lives with the Discord layer

    cfg = settings.scheduler
    scheduler = AsyncIOScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )

    async def digests() -> None:
        await run_due_digests(store, sink, now=clock(), max_stories=settings.digest.max_stories,
                              max_attempts=settings.discord.max_delivery_attempts)

    async def retention() -> None:
        days = settings.storage.retention_days
        if days:
            purged = await store.purge_article_text(clock() - timedelta(days=days))
            if purged:
                log.info("dropped the text of %s articles older than %s days", purged, days)

    first = clock()
    jobs: list[tuple[str, Callable[[], Awaitable[object]], float]] = [
        (POLL_JOB, ingestor.poll_due, cfg.poll_check_seconds),
        (DELIVER_JOB, outbox.drain, cfg.deliver_seconds),
        (DIGEST_JOB, digests, cfg.digest_check_seconds),
        (RETENTION_JOB, retention, cfg.retention_hours * 3600),
    ]
    for job_id, func, seconds in jobs:
        scheduler.add_job(_logged(job_id, func), "interval", seconds=seconds, id=job_id,
                          next_run_time=first)
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
