"""The lease/claim contract (plan.md): feed polls, delivery lanes and digests claimed by many owners.

Runs on both backends; on SQLite only once its claim methods exist (the work branch adds them)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bot.store import Store
from tests.bot.store.conftest import backend
from tests.bot.store.test_store import T0, make_article

LEASE = timedelta(minutes=2)
A, B = "host-a:100:aaaa", "host-b:200:bbbb"
GUILD_SHARD0 = (7 << 22) * 2 | 5  # (guild_id >> 22) % 2 == 0
GUILD_SHARD1 = (7 << 22) * 2 + (1 << 22) | 5  # ... == 1


@pytest.fixture
def claims(store: Store) -> Any:
    if not hasattr(store, "claim_due_feeds"):
        pytest.skip(f"{type(store).__name__} has no claim methods yet (the work branch adds the SQLite ones)")
    return store


async def _due_feeds(store: Any, n: int) -> list[int]:
    ids = []
    for i in range(n):
        feed = await store.add_feed(f"https://f{i}.example/rss", now=T0 - timedelta(minutes=n - i))
        await store.subscribe(1, 10, feed.id, now=T0)
        ids.append(feed.id)
    return ids


async def test_two_owners_never_share_a_feed_and_expired_leases_are_taken_over(claims: Any) -> None:
    ids = await _due_feeds(claims, 5)
    lonely = await claims.add_feed("https://nobody.example/rss", now=T0)  # no subscription: never claimed
    first = await claims.claim_due_feeds(A, now=T0, lease=LEASE, limit=3)
    assert [f.id for f in first] == ids[:3]  # oldest due first
    second = await claims.claim_due_feeds(B, now=T0, lease=LEASE, limit=10)
    assert [f.id for f in second] == ids[3:] and lonely.id not in [f.id for f in second]
    assert await claims.claim_due_feeds(A, now=T0 + timedelta(seconds=30), lease=LEASE, limit=10) == []

    assert await claims.renew_feed_lease(ids[0], A, now=T0 + timedelta(minutes=1), lease=LEASE)
    assert not await claims.renew_feed_lease(ids[0], B, now=T0 + timedelta(minutes=1), lease=LEASE)
    # A dies. Its unrenewed leases (ids[1], ids[2]) expire at T0+2min; the renewed one at T0+3min.
    later = T0 + LEASE + timedelta(seconds=1)
    taken = await claims.claim_due_feeds(B, now=later, lease=LEASE, limit=10)
    assert {f.id for f in taken} == {ids[1], ids[2], *ids[3:]}
    assert await claims.renew_feed_lease(ids[0], B, now=T0 + timedelta(minutes=4), lease=LEASE)  # expired: B's

    # A finished poll clears the lease: the feed is claimable again once it is due again
    await claims.record_poll_success(ids[1], now=later, next_poll_at=later, etag=None, last_modified=None)
    await claims.record_poll_failure(ids[2], now=later, next_poll_at=later, error="503", disable=False)
    again = await claims.claim_due_feeds(A, now=later, lease=LEASE, limit=10)
    assert {f.id for f in again} == {ids[1], ids[2]}
    # Released early (a shutdown): another owner takes it at once; a stranger's release changes nothing.
    await claims.release_feed_lease(ids[1], B)
    assert await claims.claim_due_feeds(B, now=later, lease=LEASE, limit=10) == []
    await claims.release_feed_lease(ids[1], A)
    assert [f.id for f in await claims.claim_due_feeds(B, now=later, lease=LEASE, limit=10)] == [ids[1]]


async def test_concurrent_claims_are_exclusive(claims: Any) -> None:
    ids = await _due_feeds(claims, 30)
    owners = [f"host:{i}:x" for i in range(8)]
    results = await asyncio.gather(*(claims.claim_due_feeds(o, now=T0, lease=LEASE, limit=5) for o in owners))
    claimed = [f.id for batch in results for f in batch]
    assert len(claimed) == len(set(claimed)) == 30 and set(claimed) == set(ids)


async def _deliveries(store: Any) -> dict[int, list[int]]:
    """Channel 10 and 11 (guild on shard 0), channel 20 (guild on shard 1): their delivery ids."""
    feed = await store.add_feed("https://a/rss", now=T0)
    await store.subscribe(GUILD_SHARD0, 10, feed.id, now=T0)
    await store.subscribe(GUILD_SHARD0, 11, feed.id, now=T0)
    await store.subscribe(GUILD_SHARD1, 20, feed.id, now=T0)
    for n in range(3):
        await store.add_article(make_article(feed.id, n), story_id=None, now=T0)
    by_channel: dict[int, list[int]] = {}
    for p in await store.pending_deliveries(T0, limit=100):
        by_channel.setdefault(p.channel_id, []).append(p.id)
    return by_channel


async def test_delivery_lanes_are_claimed_per_channel(claims: Any) -> None:
    by_channel = await _deliveries(claims)
    assert await claims.claim_delivery_lanes(A, now=T0 - timedelta(seconds=1), lease=LEASE, limit=10) == []
    mine = await claims.claim_delivery_lanes(A, now=T0, lease=LEASE, limit=2)
    assert len(mine) == 2
    theirs = await claims.claim_delivery_lanes(B, now=T0, lease=LEASE, limit=10)
    assert set(mine) | set(theirs) == {10, 11, 20} and not set(mine) & set(theirs)
    assert await claims.claim_delivery_lanes(B, now=T0, lease=LEASE, limit=10) == theirs  # its own again

    lane = mine[0]
    pending = await claims.lane_deliveries(lane, now=T0, limit=10)
    assert [p.id for p in pending] == by_channel[lane] and all(p.channel_id == lane for p in pending)
    assert len(await claims.lane_deliveries(lane, now=T0, limit=2)) == 2
    assert await claims.renew_lane(lane, A, now=T0 + timedelta(minutes=1), lease=LEASE)
    assert not await claims.renew_lane(lane, B, now=T0 + timedelta(minutes=1), lease=LEASE)

    await claims.release_lane(lane, B)  # not B's: no effect
    assert lane not in await claims.claim_delivery_lanes(B, now=T0 + timedelta(minutes=1), lease=LEASE, limit=10)
    await claims.release_lane(lane, A)
    assert lane in await claims.claim_delivery_lanes(B, now=T0 + timedelta(minutes=1), lease=LEASE, limit=10)

    # a lane with nothing left to send is not claimed
    for delivery_id in by_channel[mine[1]]:
        await claims.mark_delivered(delivery_id, 1, now=T0)
    later = T0 + timedelta(hours=1)
    assert mine[1] not in await claims.claim_delivery_lanes(A, now=later, lease=LEASE, limit=10)


async def test_lanes_and_digests_follow_shards(claims: Any) -> None:
    await _deliveries(claims)
    shard1 = await claims.claim_delivery_lanes(A, now=T0, lease=LEASE, limit=10, shard_count=2, shard_ids=[1])
    assert shard1 == [20]
    shard0 = await claims.claim_delivery_lanes(B, now=T0, lease=LEASE, limit=10, shard_count=2, shard_ids=[0])
    assert shard0 == [10, 11]

    await claims.set_digest(GUILD_SHARD0, 10, time_of_day="08:00", timezone="UTC", next_due_at=T0)
    await claims.set_digest(GUILD_SHARD1, 20, time_of_day="08:00", timezone="UTC", next_due_at=T0)
    await claims.set_digest(GUILD_SHARD1, 21, time_of_day="09:00", timezone="UTC", next_due_at=T0 + LEASE * 10)
    got = await claims.claim_due_digests(A, now=T0, lease=LEASE, limit=10, shard_count=2, shard_ids=[1])
    assert [d.channel_id for d in got] == [20]
    assert await claims.claim_due_digests(B, now=T0, lease=LEASE, limit=10, shard_count=2, shard_ids=[1]) == []
    assert [d.channel_id for d in await claims.claim_due_digests(B, now=T0, lease=LEASE, limit=10)] == [10]


async def test_digest_claimed_once_and_released_when_sent(claims: Any) -> None:
    await claims.set_digest(1, 10, time_of_day="08:00", timezone="UTC", next_due_at=T0)
    await claims.set_digest(1, 11, time_of_day="07:00", timezone="UTC", next_due_at=T0 - timedelta(hours=1))
    got = await claims.claim_due_digests(A, now=T0, lease=LEASE, limit=10)
    assert [d.channel_id for d in got] == [11, 10]  # oldest due first
    assert await claims.claim_due_digests(B, now=T0, lease=LEASE, limit=10) == []
    await claims.mark_digest_sent(11, sent_at=T0, next_due_at=T0 + timedelta(days=1))
    tomorrow = T0 + timedelta(days=1)
    # 10: A's lease expired long ago, so B takes it over; 11: sent, lease cleared, due again tomorrow
    assert [d.channel_id for d in await claims.claim_due_digests(B, now=tomorrow, lease=LEASE, limit=10)] == [10, 11]


async def test_claims_skip_rows_locked_by_another_transaction(claims: Any) -> None:
    """SKIP LOCKED: a claim never waits for a row another process is claiming; it takes the others.
    (PostgreSQL-only: SQLite has no row locks; its claims are one BEGIN IMMEDIATE transaction.)"""
    if backend(claims) != "postgres":
        pytest.skip("row locks are PostgreSQL's")
    ids = await _due_feeds(claims, 3)
    async with claims._read() as conn, conn.transaction():
        await conn.execute("SELECT 1 FROM feeds WHERE id = $1 FOR UPDATE", ids[0])
        # the lock is held until this block ends; a waiting claim would never return (wait_for fails it)
        got = await asyncio.wait_for(claims.claim_due_feeds(A, now=T0, lease=LEASE, limit=10), 30)
        assert [f.id for f in got] == ids[1:]
    assert [f.id for f in await claims.claim_due_feeds(B, now=T0, lease=LEASE, limit=10)] == [ids[0]]


async def test_notices_are_sent_at_least_once(store: Store) -> None:
    """A taken notice is claimed, not spent: a process that died before confirming it leaves it to the next
    take after the lease, a failed send comes back at its retry time, and only a confirmed send ends it."""
    await store.add_notice(1, "first", now=T0)
    await store.add_notice(1, "second", now=T0)
    first, second = await store.take_notices(now=T0, limit=5, lease=LEASE)
    assert (first.text, first.attempts, second.attempts) == ("first", 0, 0)
    assert await store.take_notices(now=T0 + LEASE / 2, limit=5) == []  # claimed
    await store.notice_sent(first.id, now=T0)
    await store.retry_notice(second.id, retry_at=T0 + 3 * LEASE)
    assert await store.take_notices(now=T0 + 2 * LEASE, limit=5) == []  # backing off; the first is done
    [again] = await store.take_notices(now=T0 + 3 * LEASE, limit=5, lease=LEASE)
    assert (again.id, again.text, again.attempts) == (second.id, "second", 1)
    # the taker dies without a word: the lease runs out and the notice is taken again
    [after_crash] = await store.take_notices(now=T0 + 5 * LEASE, limit=5, lease=LEASE)
    assert (after_crash.id, after_crash.attempts) == (second.id, 2)
    await store.notice_sent(second.id, now=T0 + 5 * LEASE)
    await store.retry_notice(second.id, retry_at=T0)  # a late retry cannot revive a sent notice
    assert await store.take_notices(now=T0 + 9 * LEASE, limit=5) == []
