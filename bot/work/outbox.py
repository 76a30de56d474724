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

from bot.models import PendingDelivery
from bot.store import Store
from bot.work.delivery import ChannelGone, Delivered, RetryLater, Sink

log = logging.getLogger(__name__)

MAX_RETRY_DELAY = 3600.0


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
                outcome = await self.sink.deliver(delivery)
            except Exception as exc:  # the sink should map its errors; an unmapped one is retried
                log.exception("delivery %s to channel %s raised", delivery.id, delivery.channel_id)
                outcome = RetryLater(f"{type(exc).__name__}: {exc}"[:300], 30.0)
            now = self.clock()
            match outcome:
                case Delivered(message_id):
                    await self.store.mark_delivered(delivery.id, message_id, now=now)
                    delivered += 1
                case RetryLater(error, after):
                    attempts = delivery.attempts + 1
                    if attempts >= self.max_attempts:
                        # Final for this story; the channel's next stories still go out in this drain.
                        log.warning("giving up delivery %s to channel %s after %s attempts: %s",
                                    delivery.id, delivery.channel_id, attempts, error)
                        await self.store.mark_delivery_failed(delivery.id, error, now=now, retry_at=None)
                        given_up += 1
                        continue
                    delay = min(max(after, 5.0 * 2 ** delivery.attempts), MAX_RETRY_DELAY)
                    await self.store.mark_delivery_failed(
                        delivery.id, error, now=now, retry_at=now + timedelta(seconds=delay)
                    )
                    retried += 1
                    # The rest of this channel's batch waits for the next drain instead of running into the same error.
                    return DrainReport(delivered, retried, given_up)
                case ChannelGone(reason):
                    log.warning("channel %s can no longer be posted to: %s", delivery.channel_id, reason)
                    await self.store.pause_channel(delivery.channel_id, reason)
                    await self.store.cancel_channel_deliveries(delivery.channel_id, reason)
                    return DrainReport(delivered, retried, given_up, channels_paused=1)
        return DrainReport(delivered, retried, given_up)
