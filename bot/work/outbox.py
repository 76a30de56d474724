"""Draining the delivery outbox through a `Sink`.

A row leaves 'pending' only after the sink has answered: a crash mid-send leaves it pending, and the sink's
idempotency (Discord's message nonce) turns the retry into the original message instead of a second post.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import metrics
from bot.models import PendingDelivery
from bot.store import Store
from bot.work.delivery import ChannelGone, Delivered, Refused, RetryLater, Sink
from bot.work.retry import plan_retry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DrainReport:
    delivered: int = 0
    retried: int = 0
    given_up: int = 0
    channels_paused: int = 0


class Outbox:
    def __init__(self, store: Store, sink: Sink, *, clock: Callable[[], datetime], max_attempts: int,
                 batch: int = 100) -> None:
        self.store = store
        self.sink = sink
        self.clock = clock
        self.max_attempts = max_attempts
        self.batch = batch
        self._lock = asyncio.Lock()

    async def drain(self) -> DrainReport:
        """Send what is due; channels in parallel, each channel's stories in order."""
        async with self._lock:  # the scheduler and a wake-up may both ask; one drain at a time
            pending = await self.store.pending_deliveries(self.clock(), limit=self.batch)
            if not pending:
                return DrainReport()
            by_channel: dict[int, list[PendingDelivery]] = defaultdict(list)
            for delivery in pending:
                by_channel[delivery.channel_id].append(delivery)
            reports = await asyncio.gather(*(self._drain_channel(rows) for rows in by_channel.values()))
            return DrainReport(
                delivered=sum(r.delivered for r in reports),
                retried=sum(r.retried for r in reports),
                given_up=sum(r.given_up for r in reports),
                channels_paused=sum(r.channels_paused for r in reports),
            )

    async def _drain_channel(self, rows: list[PendingDelivery]) -> DrainReport:
        delivered = retried = given_up = 0
        for delivery in rows:
            try:
                outcome = await metrics.timed_delivery(self.sink.deliver(delivery))
            except Exception as exc:  # the sink should map its errors; an unmapped one is retried
                log.exception("delivery %s to channel %s raised", delivery.id, delivery.channel_id)
                outcome = RetryLater(f"{type(exc).__name__}: {exc}"[:300], 30.0, bounded=True)
            now = self.clock()
            match outcome:
                case Delivered(message_id):
                    await self.store.mark_delivered(delivery.id, message_id, now=now)
                    delivered += 1
                case RetryLater() | Refused():
                    plan = plan_retry(outcome, delivery.attempts + 1, max_attempts=self.max_attempts)
                    if plan.give_up:
                        # Final for this story; the channel's next stories still go out in this drain.
                        await self._give_up(delivery, outcome.error)
                        given_up += 1
                        continue
                    retry_at = now + timedelta(seconds=plan.delay)
                    await self.store.mark_delivery_failed(delivery.id, outcome.error, now=now, retry_at=retry_at)
                    await self.store.hold_channel_deliveries(delivery.channel_id, retry_at)  # keep the order
                    retried += 1
                    # The rest of this channel's batch waits for the next drain instead of running into the same error.
                    return DrainReport(delivered, retried, given_up)
                case ChannelGone(reason):
                    log.warning("channel %s can no longer be posted to: %s", delivery.channel_id, reason)
                    await self.store.pause_channel(delivery.channel_id, reason)
                    await self.store.cancel_channel_deliveries(delivery.channel_id, reason)
                    return DrainReport(delivered, retried, given_up, channels_paused=1)
        return DrainReport(delivered, retried, given_up)

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
