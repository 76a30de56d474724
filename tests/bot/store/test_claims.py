"""The lease/claim spec (plan.md) on SQLite: feeds, delivery lanes, digests, shards, expiry and takeover."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.store import Store, open_store
from tests.bot.store.test_store import T0, make_article

LEASE = timedelta(seconds=30)
A, B = "host:1:aaaa", "host:2:bbbb"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await open_store(tmp_path / "claims.db")
    try:
        yield s
    finally:
        await s.close()


async def test_due_feeds_are_claimed_once_until_the_lease_expires(store: Store) -> None:
    feeds = []
    for n in range(3):
        feed = await store.add_feed(f"https://f{n}.example/rss", now=T0 - timedelta(minutes=3 - n))
        await store.subscribe(1, 10, feed.id, now=T0)
        feeds.append(feed)
    lonely = await store.add_feed("https://nobody.example/rss", now=T0)  # no subscription: never due
    first = await store.claim_due_feeds(A, now=T0, lease=LEASE, limit=2)
    assert [f.id for f in first] == [feeds[0].id, feeds[1].id]  # oldest due first
    second = await store.claim_due_feeds(B, now=T0, lease=LEASE, limit=10)
    assert [f.id for f in second] == [feeds[2].id]
    assert await store.claim_due_feeds(B, now=T0 + timedelta(seconds=29), lease=LEASE, limit=10) == []
    # A died: its leases run out and B takes the feeds over.
    taken = await store.claim_due_feeds(B, now=T0 + LEASE, lease=LEASE, limit=10)
    assert {f.id for f in taken} == {feeds[0].id, feeds[1].id, feeds[2].id}
    assert lonely.id not in {f.id for f in taken}
    assert await store.renew_feed_lease(feeds[0].id, A, now=T0 + LEASE, lease=LEASE) is False
    assert await store.renew_feed_lease(feeds[0].id, B, now=T0 + LEASE, lease=LEASE) is True


async def test_recording_a_poll_clears_the_lease(store: Store) -> None:
    feed = await store.add_feed("https://f.example/rss", now=T0)
    await store.subscribe(1, 10, feed.id, now=T0)
    [claimed] = await store.claim_due_feeds(A, now=T0, lease=LEASE, limit=5)
    await store.record_poll_success(claimed.id, now=T0, next_poll_at=T0, etag=None, last_modified=None)
    assert [f.id for f in await store.claim_due_feeds(B, now=T0, lease=LEASE, limit=5)] == [feed.id]
    await store.record_poll_failure(feed.id, now=T0, next_poll_at=T0, error="boom", disable=False)
    assert [f.id for f in await store.claim_due_feeds(A, now=T0, lease=LEASE, limit=5)] == [feed.id]


async def _deliveries(store: Store, guild: int, channel: int, stories: int, tag: str) -> None:
    feed = await store.add_feed(f"https://{tag}.example/rss", now=T0)
    await store.subscribe(guild, channel, feed.id, now=T0)
    for n in range(stories):
        assert await store.add_article(make_article(feed.id, n, url=f"https://{tag}.example/{n}"),
                                       story_id=None, now=T0)


async def test_lanes_are_per_channel_and_held_by_one_owner(store: Store) -> None:
    await _deliveries(store, 1, 10, 3, "a")
    await _deliveries(store, 1, 11, 1, "b")
    assert await store.claim_delivery_lanes(A, now=T0, lease=LEASE, limit=1) == [10]
    assert await store.claim_delivery_lanes(B, now=T0, lease=LEASE, limit=5) == [11]
    assert await store.claim_delivery_lanes(A, now=T0, lease=LEASE, limit=5) == [10]  # ours: renewed
    rows = await store.lane_deliveries(10, now=T0, limit=10)
    assert [r.channel_id for r in rows] == [10, 10, 10] and [r.id for r in rows] == sorted(r.id for r in rows)
    assert await store.renew_lane(10, B, now=T0, lease=LEASE) is False
    assert await store.renew_lane(10, A, now=T0, lease=LEASE) is True
    await store.release_lane(10, B)  # not B's to release
    assert await store.claim_delivery_lanes(B, now=T0, lease=LEASE, limit=5) == [11]
    await store.release_lane(10, A)
    assert sorted(await store.claim_delivery_lanes(B, now=T0, lease=LEASE, limit=5)) == [10, 11]
    # A lane leased by a dead owner is taken over after expiry.
    assert sorted(await store.claim_delivery_lanes(A, now=T0 + LEASE, lease=LEASE, limit=5)) == [10, 11]


async def test_lanes_and_digests_follow_shards(store: Store) -> None:
    shard0, shard1 = 100 << 22, 101 << 22
    await _deliveries(store, shard0, 20, 1, "s0")
    await _deliveries(store, shard1, 21, 1, "s1")
    assert await store.claim_delivery_lanes(A, now=T0, lease=LEASE, limit=5, shard_count=2, shard_ids=[1]) == [21]
    assert await store.claim_delivery_lanes(B, now=T0, lease=LEASE, limit=5, shard_count=2, shard_ids=[0]) == [20]
    await store.set_digest(shard0, 20, time_of_day="07:00", timezone="UTC", next_due_at=T0)
    await store.set_digest(shard1, 21, time_of_day="07:00", timezone="UTC", next_due_at=T0)
    got = await store.claim_due_digests(A, now=T0, lease=LEASE, limit=5, shard_count=2, shard_ids=[1])
    assert [d.channel_id for d in got] == [21]
    assert [d.channel_id for d in await store.claim_due_digests(B, now=T0, lease=LEASE, limit=5)] == [20]
    assert await store.claim_due_digests(B, now=T0, lease=LEASE, limit=5) == []
    await store.mark_digest_sent(21, sent_at=T0, next_due_at=T0)  # clears the lease
    assert [d.channel_id for d in await store.claim_due_digests(B, now=T0, lease=LEASE, limit=5)] == [21]
    await store.add_notice(shard0, "hello zero", now=T0)
    await store.add_notice(shard1, "hello one", now=T0, channel_id=21)
    [notice] = await store.take_notices(now=T0, limit=5, shard_count=2, shard_ids=[1])
    assert (notice.guild_id, notice.channel_id, notice.text) == (shard1, 21, "hello one")
    assert [n.text for n in await store.take_notices(now=T0, limit=5)] == ["hello zero"]
    assert await store.take_notices(now=T0, limit=5) == []  # both claimed


async def test_subscriptions_per_server_are_capped(store: Store) -> None:
    from bot.store import StoreError

    feeds = [await store.add_feed(f"https://cap{n}.example/rss", now=T0) for n in range(3)]
    await store.subscribe(5, 50, feeds[0].id, now=T0, max_per_guild=2)
    await store.subscribe(5, 51, feeds[1].id, now=T0, max_per_guild=2)
    await store.subscribe(5, 51, feeds[1].id, now=T0, max_per_guild=2)  # already there: still fine
    with pytest.raises(StoreError, match="the limit is 2"):
        await store.subscribe(5, 52, feeds[2].id, now=T0, max_per_guild=2)
    await store.subscribe(6, 60, feeds[2].id, now=T0, max_per_guild=2)  # another server has its own cap
