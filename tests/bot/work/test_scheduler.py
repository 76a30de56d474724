"""The scheduler's jobs on a real AsyncIOScheduler: no overlap, failures contained, wake-ups honoured."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.config import SchedulerSettings, Settings
from bot.models import DigestSchedule, PendingDelivery, StoryView
from bot.store import open_store
from bot.work.delivery import Delivered, Outcome
from bot.work.scheduler import DELIVER_JOB, POLL_JOB, build_scheduler, wake


class SlowIngestor:
    def __init__(self) -> None:
        self.running = 0
        self.max_running = 0
        self.calls = 0

    async def poll_due(self) -> list[object]:
        self.calls += 1
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            await asyncio.sleep(0.3)
            if self.calls == 1:
                raise RuntimeError("first poll blows up")
            return []
        finally:
            self.running -= 1


class CountingOutbox:
    def __init__(self) -> None:
        self.drains = 0

    async def drain(self) -> None:
        self.drains += 1


class NullSink:
    async def deliver(self, delivery: PendingDelivery) -> Outcome:
        return Delivered(1)

    async def post_digest(self, schedule: DigestSchedule, stories: list[StoryView]) -> Outcome:
        return Delivered(1)


async def test_jobs_never_overlap_survive_errors_and_wake_on_demand(tmp_path):
    settings = Settings(scheduler=SchedulerSettings(poll_check_seconds=0.05, deliver_seconds=3600,
                                                    digest_check_seconds=3600, retention_hours=1))
    store = await open_store(tmp_path / "s.db")
    ingestor, outbox = SlowIngestor(), CountingOutbox()
    scheduler = build_scheduler(settings, store=store, ingestor=ingestor, outbox=outbox,  # type: ignore[arg-type]
                                sink=NullSink(), clock=lambda: datetime.now(UTC))
    scheduler.start()
    try:
        for job_id in (POLL_JOB, DELIVER_JOB):
            job = scheduler.get_job(job_id)
            assert job.coalesce is True and job.max_instances == 1
        for _ in range(100):  # three slow polls back to back, with room for a loaded machine
            if ingestor.calls >= 3 and ingestor.running == 0:
                break
            await asyncio.sleep(0.05)
        assert ingestor.calls >= 3, "the poll job kept running after its first run raised"
        assert ingestor.max_running == 1, "a slow poll never overlaps itself"
        drains = outbox.drains
        assert drains == 1  # the first run at start; the next is an hour away
        wake(scheduler, DELIVER_JOB)
        await asyncio.sleep(0.3)
        assert outbox.drains == drains + 1
    finally:
        scheduler.shutdown(wait=False)
        await store.close()
