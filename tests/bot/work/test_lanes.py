"""Delivery lanes against a real store and a scripted sink: per-channel claims, pacing, takeover."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.models import DigestSchedule, NewArticle, Notice, PendingDelivery, QuoteRecord, StoryView
from bot.store import Store, open_store
from bot.work.delivery import ChannelGone, Delivered, Outcome, Refused, RetryLater
from bot.work.lanes import DeliveryLanes

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


class ScriptedSink:
    def __init__(self, script: dict[int, list[Outcome]] | None = None) -> None:
        self.script = script or {}
        self.calls: list[tuple[int, int]] = []
        self.reports: list[tuple[int, int, str, str]] = []

    async def deliver(self, delivery: PendingDelivery) -> Outcome:
        self.calls.append((delivery.channel_id, delivery.id))
        queue = self.script.get(delivery.channel_id)
        if queue:
            return queue.pop(0)
        return Delivered(10_000 + delivery.id)

    async def post_digest(self, schedule: DigestSchedule, stories: list[StoryView]) -> Outcome:
        raise AssertionError("not used")

    async def report_given_up(self, guild_id: int, channel_id: int, what: str, reason: str) -> None:
        self.reports.append((guild_id, channel_id, what, reason))

    async def post_notice(self, notice: Notice) -> Outcome:
        raise AssertionError("not used")


def Outbox(store: Store, sink: object, *, clock, max_attempts: int, owner: str = "test:1:a",
           interval: float = 0.0, concurrency: int = 8) -> DeliveryLanes:
    """The lanes as one process runs them (the tests below were written for the outbox they replaced)."""
    return DeliveryLanes(store, sink, owner=owner, clock=clock, max_attempts=max_attempts,  # type: ignore[arg-type]
                         interval=interval, concurrency=concurrency, lease=LEASE)


def article(feed_id: int, n: int) -> NewArticle:
    return NewArticle(
        feed_id=feed_id, guid=f"g{n}", url=f"https://news.example/{n}", canonical_url=f"https://news.example/{n}",
        title=f"Story {n}", text=f"Text of story {n}. It has two sentences.", text_source="page",
        bullets=(f"Text of story {n}.",), quotes=(QuoteRecord("We will see", "Ann Lee"),), word_count=8,
        reading_minutes=1, reduction=0.5, published_at=NOW,
    )


@pytest.fixture
async def store(tmp_path) -> AsyncIterator[Store]:
    s = await open_store(tmp_path / "outbox.db")
    feed = await s.add_feed("https://news.example/feed", now=NOW)
    await s.subscribe(1, 100, feed.id, now=NOW)
    await s.subscribe(1, 200, feed.id, now=NOW)
    for n in range(3):
        await s.add_article(article(feed.id, n), story_id=None, now=NOW)
    yield s
    await s.close()


async def test_delivers_every_pending_row_once(store):
    sink = ScriptedSink()
    outbox = Outbox(store, sink, clock=lambda: NOW, max_attempts=3)
    report = await outbox.drain()
    assert report.delivered == 6
    assert sorted(c for c, _ in sink.calls) == [100] * 3 + [200] * 3
    assert await store.pending_deliveries(NOW + timedelta(days=1)) == []
    assert (await outbox.drain()).delivered == 0
    assert len(sink.calls) == 6


async def test_transient_failures_back_off_and_are_never_given_up_by_count(store):
    sink = ScriptedSink({100: [RetryLater("HTTP 503", 2.0)] * 10})
    clock_now = [NOW]
    outbox = Outbox(store, sink, clock=lambda: clock_now[0], max_attempts=3)
    first = await outbox.drain()
    assert first.retried == 1 and first.delivered == 3  # channel 200 is not held up by channel 100
    # The failed row waits for its back-off, and the channel's later rows wait behind it (order kept).
    assert await store.pending_deliveries(NOW + timedelta(seconds=1)) == []
    for hours in range(1, 9):
        clock_now[0] = NOW + timedelta(hours=hours)
        assert (await outbox.drain()).given_up == 0
    assert sink.reports == []
    assert sink.calls.count((100, 1)) == 9  # tried far past max_attempts=3 ...
    waiting = await store.pending_deliveries(NOW + timedelta(days=2), limit=50)
    assert [d.channel_id for d in waiting] == [100] * 3  # ... and still waiting, not lost
    assert waiting[0].attempts == 9


async def test_unexplained_failures_are_given_up_after_max_attempts_and_reported(store):
    sink = ScriptedSink({100: [RetryLater("HTTP 404 Unknown Message", 30.0, bounded=True)] * 10})
    clock_now = [NOW]
    outbox = Outbox(store, sink, clock=lambda: clock_now[0], max_attempts=3)
    given_up = 0
    for hours in range(4):
        clock_now[0] = NOW + timedelta(hours=hours)
        given_up += (await outbox.drain()).given_up
    assert given_up == 1 and sink.calls.count((100, 1)) == 3
    assert [(g, c, r) for g, c, _, r in sink.reports] == [(1, 100, "HTTP 404 Unknown Message")]
    assert "Story 0" in sink.reports[0][2]


async def test_channel_gone_pauses_its_subscriptions_and_cancels_its_rows(store):
    sink = ScriptedSink({200: [ChannelGone("Missing Permissions")]})
    outbox = Outbox(store, sink, clock=lambda: NOW, max_attempts=3)
    report = await outbox.drain()
    assert report.channels_paused == 1 and report.delivered == 3
    assert await store.pending_deliveries(NOW + timedelta(days=1)) == []
    subs = await store.guild_subscriptions(1)
    paused = {s.channel_id: s.paused for s, _ in subs}
    assert paused == {100: False, 200: True}
    assert [s.paused_reason for s, _ in subs if s.channel_id == 200] == ["Missing Permissions"]


async def test_a_sink_that_raises_is_retried_not_lost(store):
    class Exploding(ScriptedSink):
        async def deliver(self, delivery: PendingDelivery) -> Outcome:
            raise RuntimeError("boom")

    outbox = Outbox(store, Exploding(), clock=lambda: NOW, max_attempts=5)
    report = await outbox.drain()
    assert report.retried == 2 and report.delivered == 0
    assert len(await store.pending_deliveries(NOW + timedelta(hours=1), limit=50)) == 6


async def test_a_given_up_story_does_not_hold_back_the_rest_of_its_channel(store):
    sink = ScriptedSink({100: [Refused("HTTP 400: blocked by AutoMod")]})
    outbox = Outbox(store, sink, clock=lambda: NOW, max_attempts=5)
    report = await outbox.drain()
    assert report.given_up == 1 and len(sink.reports) == 1  # refused: given up at the first answer
    assert report.delivered == 5  # the other two stories of channel 100 and all three of channel 200
    assert await store.pending_deliveries(NOW + timedelta(days=1), limit=50) == []


class GatedSink(ScriptedSink):
    """Channel 100's first post waits until channel 200's story is out: under a global, id-ordered drain
    (the old outbox) that never happens; with lanes it must."""

    def __init__(self) -> None:
        super().__init__()
        self.quiet_posted = asyncio.Event()
        self.order: list[int] = []

    async def deliver(self, delivery: PendingDelivery) -> Outcome:
        if delivery.channel_id == 100:
            await self.quiet_posted.wait()
        self.order.append(delivery.channel_id)
        if delivery.channel_id == 200:
            self.quiet_posted.set()
        return Delivered(10_000 + delivery.id)


async def test_a_backlog_in_one_channel_does_not_delay_another_channels_only_story(tmp_path):
    store = await open_store(tmp_path / "backlog.db")
    busy = await store.add_feed("https://busy.example/feed", now=NOW)
    quiet = await store.add_feed("https://quiet.example/feed", now=NOW)
    await store.subscribe(1, 100, busy.id, now=NOW)
    await store.subscribe(1, 200, quiet.id, now=NOW)
    for n in range(300):
        await store.add_article(article(busy.id, n), story_id=None, now=NOW)
    quiet_article = dataclasses.replace(article(quiet.id, 999), url="https://quiet.example/1",
                                        canonical_url="https://quiet.example/1")
    await store.add_article(quiet_article, story_id=None, now=NOW)
    sink = GatedSink()
    # Real pacing (one post a second per channel): the busy lane needs 5 minutes for its backlog.
    lanes = Outbox(store, sink, clock=lambda: NOW, max_attempts=3, interval=1.0)
    try:
        await lanes.tick()
        await asyncio.wait_for(sink.quiet_posted.wait(), 30)
        assert sink.order.index(200) == 0  # no busy-channel post went first: well within one interval
        for _ in range(600):
            if len(sink.order) >= 2:
                break
            await asyncio.sleep(0.05)
        assert sink.order[:2] == [200, 100]
    finally:
        await lanes.close()
        await store.close()


async def test_a_lane_of_a_dead_owner_is_taken_over_after_its_lease_with_the_same_nonce(tmp_path, store):
    dead = "deadhost:1:x"
    assert await store.claim_delivery_lanes(dead, now=NOW, lease=LEASE, limit=1) == [100]
    [first] = await store.lane_deliveries(100, now=NOW, limit=1)
    posted_by_nonce: dict[int, int] = {first.id: 555}  # the dead process's post reached Discord

    class NonceSink(ScriptedSink):
        async def deliver(self, delivery: PendingDelivery) -> Outcome:
            self.calls.append((delivery.channel_id, delivery.id))
            return Delivered(posted_by_nonce.setdefault(delivery.id, 1000 + delivery.id))

    sink = NonceSink()
    clock_now = [NOW + timedelta(seconds=5)]
    lanes = Outbox(store, sink, clock=lambda: clock_now[0], max_attempts=3, owner="alive:2:y")
    report = await lanes.drain()
    assert report.delivered == 3 and {c for c, _ in sink.calls} == {200}  # channel 100 is still leased
    clock_now[0] = NOW + LEASE
    report = await lanes.drain()
    assert report.delivered == 3 and [c for c, _ in sink.calls].count(100) == 3
    assert (100, first.id) in sink.calls
    assert len(set(posted_by_nonce.values())) == 6  # the retried delivery is the dead process's message
    assert posted_by_nonce[first.id] == 555


async def test_two_processes_draining_one_store_post_each_delivery_once(tmp_path, store):
    other = await open_store(store.path)
    calls: list[int] = []

    class Shared(ScriptedSink):
        async def deliver(self, delivery: PendingDelivery) -> Outcome:
            calls.append(delivery.id)
            await asyncio.sleep(0.01)
            return Delivered(10_000 + delivery.id)

    try:
        a = Outbox(store, Shared(), clock=lambda: NOW, max_attempts=3, owner="a:1:a")
        b = Outbox(other, Shared(), clock=lambda: NOW, max_attempts=3, owner="b:2:b")
        reports = await asyncio.gather(a.drain(), b.drain(), a.drain(), b.drain())
        assert sum(r.delivered for r in reports) == 6
        assert sorted(calls) == sorted(set(calls)) and len(calls) == 6
    finally:
        await other.close()
