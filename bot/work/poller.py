"""Feed polls as units of work: claim due feeds (leases), poll each on its own, a bounded number at once.

Nothing here waits for a round: `tick` (the scheduler's poll job) fills free slots with newly claimed feeds
and returns at once, so a feed whose pages drip slowly occupies one slot until its own deadline and every
other feed keeps its schedule. Several processes (on one machine or many) share the work through the
claims: a feed is polled by whichever process claims it first, and a dead process's feeds are taken over
when its leases expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta

from bot.models import Feed
from bot.pipeline.ingest import Ingestor, PollResult
from bot.work.leases import keep_renewed

log = logging.getLogger(__name__)


class FeedPoller:
    def __init__(self, ingestor: Ingestor, *, owner: str, concurrency: int, deadline: float,
                 lease: timedelta, on_new_deliveries: Callable[[], object] | None = None) -> None:
        self.ingestor = ingestor
        self.store = ingestor.store
        self.owner = owner
        self.concurrency = concurrency
        self.deadline = deadline
        self.lease = lease
        self.on_new_deliveries = on_new_deliveries
        self._running: dict[int, asyncio.Task[PollResult | None]] = {}
        self.polled = 0  # feeds whose poll finished in this process (benchmarks and tests read it)

    @property
    def busy(self) -> int:
        return len(self._running)

    async def tick(self) -> int:
        """Claim as many due feeds as there are free slots and start polling them; returns how many.
        Never waits for a poll."""
        free = self.concurrency - len(self._running)
        if free <= 0:
            return 0
        feeds = await self.store.claim_due_feeds(self.owner, now=self.ingestor.clock(), lease=self.lease,
                                                 limit=free)
        started = 0
        for feed in feeds:
            if feed.id not in self._running:  # a poll of ours outlived its lease: it renews it again
                self._start(feed)
                started += 1
        return started

    async def poll_due(self) -> list[PollResult]:
        """Claim every due feed now and poll them all, `concurrency` at once; returns when all are done
        (`newsbot run --once`, tests). A slow feed still holds only its own slot until its deadline."""
        feeds = await self.store.claim_due_feeds(self.owner, now=self.ingestor.clock(), lease=self.lease,
                                                 limit=10_000)
        gate = asyncio.Semaphore(self.concurrency)
        results = await asyncio.gather(*(self._poll(feed, gate) for feed in feeds))
        return [r for r in results if r is not None]

    def _start(self, feed: Feed) -> None:
        task = asyncio.create_task(self._poll(feed), name=f"poll-feed-{feed.id}")
        self._running[feed.id] = task
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[PollResult | None]) -> None:
        for feed_id, running in list(self._running.items()):
            if running is task:
                del self._running[feed_id]

    async def _poll(self, feed: Feed, gate: asyncio.Semaphore | None = None) -> PollResult | None:
        """One feed's whole poll under its deadline, with its lease renewed meanwhile; None when the lease
        was lost to another process (which then does the work)."""
        work = asyncio.current_task()
        assert work is not None
        lost = False

        def on_lost() -> None:
            nonlocal lost
            lost = True
            work.cancel()

        renewer = asyncio.create_task(keep_renewed(
            lambda: self.store.renew_feed_lease(feed.id, self.owner, now=self.ingestor.clock(), lease=self.lease),
            self.lease, on_lost, f"feed {feed.id}"))
        try:
            async with gate if gate is not None else contextlib.nullcontext():
                result = await self.ingestor.poll_feed(feed, deadline=self.deadline)
        except asyncio.CancelledError:
            if not lost:
                raise
            work.uncancel()
            return None
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
        self.polled += 1
        if result.new_articles and self.on_new_deliveries is not None:
            self.on_new_deliveries()
        return result

    async def close(self) -> None:
        """Stop every running poll and give its lease up, so another process (or the next start) redoes it
        now rather than when the lease would have run out (a process that is killed cannot do this)."""
        running = list(self._running.items())
        for _, task in running:
            task.cancel()
        for _, task in running:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for feed_id, _ in running:
            try:
                await self.store.release_feed_lease(feed_id, self.owner)
            except Exception:  # shutting down: the lease still expires on its own
                log.warning("could not release the lease of feed %s", feed_id, exc_info=True)
