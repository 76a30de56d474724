"""The scheduler's jobs on a real AsyncIOScheduler: no overlap, failures contained, wake-ups honoured, and
no job waits on another job."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.config import SchedulerSettings, Settings
from bot.models import DigestSchedule, Notice, PendingDelivery, StoryView
from bot.store import open_store
from bot.work.delivery import Delivered, Outcome
from bot.work.scheduler import DELIVER_JOB, DIGEST_JOB, POLL_JOB, RETENTION_JOB, Delivering, build_scheduler, wake


class SlowPoller:
    def __init__(self, *, stuck: asyncio.Event | None = None) -> None:
        self.running = 0
        self.max_running = 0
        self.calls = 0
        self.stuck = stuck

    async def tick(self) -> int:
        self.calls += 1
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            if self.stuck is not None:
                await self.stuck.wait()
            await asyncio.sleep(0.3)
            if self.calls == 1:
                raise RuntimeError("first poll blows up")
            return 0
        finally:
            self.running -= 1


class CountingLanes:
    def __init__(self) -> None:
        self.ticks = 0

    async def tick(self) -> int:
        self.ticks += 1
        return 0


class NullSink:
    async def deliver(self, delivery: PendingDelivery) -> Outcome:
        return Delivered(1)

    async def post_digest(self, schedule: DigestSchedule, stories: list[StoryView]) -> Outcome:
        return Delivered(1)

    async def post_notice(self, notice: Notice) -> Outcome:
        return Delivered(1)


async def wait_for(predicate, what: str) -> None:
    for _ in range(400):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def settings() -> Settings:
    return Settings(scheduler=SchedulerSettings(poll_check_seconds=0.05, deliver_seconds=3600,
                                                digest_check_seconds=3600, retention_hours=1))


async def test_jobs_never_overlap_survive_errors_and_wake_on_demand(tmp_path):
    store = await open_store(tmp_path / "s.db")
    poller, lanes = SlowPoller(), CountingLanes()
    scheduler = build_scheduler(settings(), store=store, clock=lambda: datetime.now(UTC),
                                poller=poller,  # type: ignore[arg-type]
                                delivering=Delivering(lanes, NullSink(), "me:1:x"))  # type: ignore[arg-type]
    scheduler.start()
    try:
        for job_id in (POLL_JOB, DELIVER_JOB):
            job = scheduler.get_job(job_id)
            assert job.coalesce is True and job.max_instances == 1
        await wait_for(lambda: poller.calls >= 3 and poller.running == 0, "three slow polls back to back")
        assert poller.max_running == 1, "a slow poll never overlaps itself"
        ticks = lanes.ticks
        assert ticks == 1  # the first run at start; the next is an hour away
        wake(scheduler, DELIVER_JOB)
        await wait_for(lambda: lanes.ticks == ticks + 1, "the woken delivery tick")
    finally:
        scheduler.shutdown(wait=False)
        await store.close()


async def test_a_stuck_poll_job_never_holds_up_delivery(tmp_path):
    store = await open_store(tmp_path / "s.db")
    stuck = asyncio.Event()
    poller, lanes = SlowPoller(stuck=stuck), CountingLanes()
    scheduler = build_scheduler(settings(), store=store, clock=lambda: datetime.now(UTC),
                                poller=poller,  # type: ignore[arg-type]
                                delivering=Delivering(lanes, NullSink(), "me:1:x"))  # type: ignore[arg-type]
    scheduler.start()
    try:
        await wait_for(lambda: poller.running == 1 and lanes.ticks == 1, "a stuck poll and the first delivery")
        for n in range(2, 5):
            wake(scheduler, DELIVER_JOB)
            await wait_for(lambda n=n: lanes.ticks == n, f"delivery tick {n}")
        assert poller.running == 1 and poller.calls == 1  # still stuck, never doubled
    finally:
        stuck.set()
        scheduler.shutdown(wait=False)
        await store.close()


async def test_roles_get_their_own_jobs(tmp_path):
    store = await open_store(tmp_path / "s.db")
    try:
        clock = lambda: datetime.now(UTC)  # noqa: E731
        ingest = build_scheduler(settings(), store=store, clock=clock, poller=SlowPoller())  # type: ignore[arg-type]
        discord = build_scheduler(settings(), store=store, clock=clock,
                                  delivering=Delivering(CountingLanes(), NullSink(), "x"))  # type: ignore[arg-type]
        assert {j.id for j in ingest.get_jobs()} == {POLL_JOB, RETENTION_JOB}
        assert {j.id for j in discord.get_jobs()} == {DELIVER_JOB, DIGEST_JOB}
    finally:
        await store.close()


async def test_the_retention_job_tidies_the_search_index(tmp_path):
    """The ingest role's retention job (run at start, then every retention_hours) also merges a fragmented
    full-text index, on the real store."""
    import sqlite3

    from bot.store.sqlite.articles import SEARCH_SEGMENTS_BEFORE_MERGE
    from tests.bot.store.test_store import T0, make_article

    store = await open_store(tmp_path / "s.db")

    def segments() -> int:
        with sqlite3.connect(tmp_path / "s.db") as conn:
            return int(conn.execute("SELECT count(DISTINCT segid) FROM articles_fts_idx").fetchone()[0])

    try:
        feed = await store.add_feed("https://a/rss", now=T0)
        n = 0
        while segments() <= SEARCH_SEGMENTS_BEFORE_MERGE and n < 400:
            await store.add_article(make_article(feed.id, n, title=f"Harbour {n}"), story_id=None, now=T0)
            n += 1
        assert segments() > SEARCH_SEGMENTS_BEFORE_MERGE
        scheduler = build_scheduler(settings(), store=store, clock=lambda: datetime.now(UTC),
                                    poller=SlowPoller())  # type: ignore[arg-type]
        scheduler.start()
        try:
            await wait_for(lambda: segments() == 1, "the retention job's merge")
        finally:
            scheduler.shutdown(wait=False)
    finally:
        await store.close()
