"""Delivery lanes: pending deliveries claimed and sent per channel, one lane per channel.

A lane is one channel's queue, leased to one process at a time (several processes never post the same
channel's stories), sent in order and paced by `interval` seconds between two posts to that channel.
Lanes run concurrently up to a bound, so a channel with a 300-story backlog keeps one slot busy and
another channel's only story goes out at the next tick.

A row leaves 'pending' only after the sink has answered: a process killed mid-send leaves it pending with
its lane leased to a dead owner; once that lease expires another process claims the lane and sends the row
again with the same nonce (the delivery id), and the sink's channel-history check finds the first post, so
the story is still posted exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import metrics
from bot.models import PendingDelivery
from bot.store import Store
from bot.work.delivery import ChannelGone, Delivered, Refused, RetryLater, Sink, Withdrawn
from bot.work.retry import plan_retry

log = logging.getLogger(__name__)

LANE_BATCH = 20
"""Rows read per query in a lane; the lane reads again until its channel has nothing due."""


@dataclass(frozen=True, slots=True)
class DrainReport:
    delivered: int = 0
    retried: int = 0
    given_up: int = 0
    channels_paused: int = 0

    def __add__(self, other: DrainReport) -> DrainReport:
        return DrainReport(self.delivered + other.delivered, self.retried + other.retried,
                           self.given_up + other.given_up, self.channels_paused + other.channels_paused)


class DeliveryLanes:
    def __init__(self, store: Store, sink: Sink, *, owner: str, clock: Callable[[], datetime], max_attempts: int,
                 interval: float, concurrency: int, lease: timedelta, shard_count: int | None = None,
                 shard_ids: Sequence[int] | None = None, batch: int = LANE_BATCH) -> None:
        self.store = store
        self.sink = sink
        self.owner = owner
        self.clock = clock
        self.max_attempts = max_attempts
        self.interval = interval
        self.concurrency = concurrency
        self.lease = lease
        self.shard_count = shard_count
        self.shard_ids = shard_ids
        self.batch = batch
        self._running: dict[int, asyncio.Task[DrainReport]] = {}
        self._last_post: dict[int, float] = {}

    async def tick(self) -> int:
        """Claim lanes for free slots and start them; returns how many started. Never waits for a lane."""
        free = self.concurrency - len(self._running)
        if free <= 0:
            return 0
        started = 0
        for channel_id in await self._claim(free + len(self._running)):
            if channel_id in self._running or len(self._running) >= self.concurrency:
                continue  # ours already (its running lane renews it), or no slot left: the lease expires
            self._start(channel_id)
            started += 1
        return started

    def _start(self, channel_id: int) -> asyncio.Task[DrainReport]:
        task = asyncio.create_task(self._run_lane(channel_id), name=f"lane-{channel_id}")
        self._running[channel_id] = task
        task.add_done_callback(self._forget)
        return task

    def _forget(self, task: asyncio.Task[DrainReport]) -> None:
        for channel_id, running in list(self._running.items()):
            if running is task:
                del self._running[channel_id]

    async def drain(self) -> DrainReport:
        """Send everything due now, lanes in parallel, and return when every lane with work has run once
        (`--once`, tests). A lane that stopped at a retry is not run again in the same drain."""
        total = DrainReport()
        ran: set[int] = set()
        if self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)
        while True:
            claimed = await self._claim(self.concurrency + len(ran) + len(self._running))
            lanes = [c for c in claimed if c not in ran and c not in self._running][:self.concurrency]
            for channel_id in set(claimed) - set(lanes) - set(self._running):
                await self.store.release_lane(channel_id, self.owner)
            if not lanes:
                return total
            ran.update(lanes)
            for report in await asyncio.gather(*(self._start(c) for c in lanes)):
                total += report

    async def _claim(self, limit: int) -> list[int]:
        return await self.store.claim_delivery_lanes(self.owner, now=self.clock(), lease=self.lease, limit=limit,
                                                     shard_count=self.shard_count, shard_ids=self.shard_ids)

    async def _run_lane(self, channel_id: int) -> DrainReport:
        report = DrainReport()
        renewed_at = time.monotonic()
        try:
            while True:
                rows = await self.store.lane_deliveries(channel_id, now=self.clock(), limit=self.batch)
                if not rows:
                    return report
                for delivery in rows:
                    if time.monotonic() - renewed_at > self.lease.total_seconds() / 3:
                        if not await self.store.renew_lane(channel_id, self.owner, now=self.clock(),
                                                           lease=self.lease):
                            log.warning("lost the delivery lane of channel %s to another process", channel_id)
                            return report
                        renewed_at = time.monotonic()
                    step, stop = await self._send(delivery)
                    report += step
                    if stop:
                        return report
        except Exception:
            log.exception("delivery lane of channel %s failed; retried at the next tick", channel_id)
            return report
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.store.release_lane(channel_id, self.owner))

    async def _pace(self, channel_id: int) -> None:
        last = self._last_post.get(channel_id)
        if last is not None and self.interval > 0:
            wait = last + self.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)

    async def _send(self, delivery: PendingDelivery) -> tuple[DrainReport, bool]:
        """Post one delivery and record the outcome; (report, whether the lane stops here)."""
        await self._pace(delivery.channel_id)
        try:
            outcome = await metrics.timed_delivery(self.sink.deliver(delivery))
        except Exception as exc:  # the sink should map its errors; an unmapped one is retried
            log.exception("delivery %s to channel %s raised", delivery.id, delivery.channel_id)
            outcome = RetryLater(f"{type(exc).__name__}: {exc}"[:300], 30.0, bounded=True)
        finally:
            self._last_post[delivery.channel_id] = time.monotonic()
        now = self.clock()
        match outcome:
            case Delivered(message_id):
                await self.store.mark_delivered(delivery.id, message_id, now=now)
                log.info("posted delivery %s in channel %s", delivery.id, delivery.channel_id)
                return DrainReport(delivered=1), False
            case RetryLater() | Refused():
                plan = plan_retry(outcome, delivery.attempts + 1, max_attempts=self.max_attempts)
                if plan.give_up:
                    # Final for this story; the channel's next stories still go out.
                    await self._give_up(delivery, outcome.error)
                    return DrainReport(given_up=1), False
                retry_at = now + timedelta(seconds=plan.delay)
                await self.store.mark_delivery_failed(delivery.id, outcome.error, now=now, retry_at=retry_at)
                await self.store.hold_channel_deliveries(delivery.channel_id, retry_at)  # keep the order
                # The rest of this channel waits for its retry instead of running into the same error.
                return DrainReport(retried=1), True
            case Withdrawn(reason):
                log.info("delivery %s to channel %s withdrawn: %s", delivery.id, delivery.channel_id, reason)
                return DrainReport(), False
            case ChannelGone(reason):
                log.warning("channel %s can no longer be posted to: %s", delivery.channel_id, reason)
                await self.store.pause_channel(delivery.channel_id, reason)
                await self.store.cancel_channel_deliveries(delivery.channel_id, reason)
                return DrainReport(channels_paused=1), True
        raise AssertionError(f"unknown outcome {outcome!r}")

    async def _give_up(self, delivery: PendingDelivery, error: str) -> None:
        """Mark the delivery failed for good and tell the guild: a story is never dropped silently."""
        log.warning("giving up delivery %s to channel %s after %s attempts: %s",
                    delivery.id, delivery.channel_id, delivery.attempts + 1, error)
        await self.store.mark_delivery_failed(delivery.id, error, now=self.clock(), retry_at=None)
        try:
            await self.sink.report_given_up(delivery.guild_id, delivery.channel_id,
                                            f"the story “{delivery.story.title}”", error)
        except Exception:
            log.exception("could not report the given-up delivery %s", delivery.id)

    async def close(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
