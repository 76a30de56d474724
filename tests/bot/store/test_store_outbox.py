"""The outbox and digests: deliveries' life cycle, back-off and give-up, and which stories a digest picks.
Every test runs on SQLite and on PostgreSQL (the `store` fixture)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.store import Store
from bot.store.sqlite.store import SQLiteStore
from tests.bot.store.conftest import query
from tests.bot.store.test_store import T0, make_article


async def test_outbox_transitions(store: Store) -> None:
    feed = await store.add_feed("https://a/rss", now=T0)
    await store.subscribe(1, 10, feed.id, now=T0)
    await store.subscribe(1, 11, feed.id, now=T0)
    for n in range(3):
        await store.add_article(make_article(feed.id, n), story_id=None, now=T0)
    pending = await store.pending_deliveries(T0, limit=10)
    assert len(pending) == 6 and [p.id for p in pending] == sorted(p.id for p in pending)
    assert len(await store.pending_deliveries(T0, limit=2)) == 2
    d0, d1, d2 = pending[0], pending[1], pending[2]
    await store.mark_delivered(d0.id, 555, now=T0)
    await store.mark_delivery_failed(d1.id, "503", now=T0, retry_at=T0 + timedelta(minutes=1))
    await store.mark_delivery_failed(d2.id, "403", now=T0, retry_at=None)
    now_ids = {p.id for p in await store.pending_deliveries(T0)}
    assert d0.id not in now_ids and d1.id not in now_ids and d2.id not in now_ids
    retried = [p for p in await store.pending_deliveries(T0 + timedelta(minutes=1)) if p.id == d1.id]
    assert retried and retried[0].attempts == 1
    # channel 11 holds the retrying delivery and two untouched ones
    assert await store.cancel_channel_deliveries(11, "gone") == 3
    left = await store.pending_deliveries(T0 + timedelta(hours=1))
    assert [(p.channel_id, p.story.story_id) for p in left] == [(10, pending[4].story.story_id)]


async def test_unsubscribe_cancels_pending(store: Store) -> None:
    feed = await store.add_feed("https://a/rss", now=T0)
    await store.subscribe(1, 10, feed.id, now=T0)
    await store.subscribe(1, 11, feed.id, now=T0)
    await store.add_article(make_article(feed.id, 1), story_id=None, now=T0)
    await store.unsubscribe(1, feed.id, channel_id=10)
    assert [p.channel_id for p in await store.pending_deliveries(T0)] == [11]


# ---- digests, settings, meta


async def test_digests(store: Store) -> None:
    d = await store.set_digest(1, 10, time_of_day="08:00", timezone="Europe/Paris", next_due_at=T0)
    assert d.next_due_at == T0 and d.last_sent_at is None and d.timezone == "Europe/Paris"
    d2 = await store.set_digest(1, 10, time_of_day="09:30", timezone="UTC", next_due_at=T0 + timedelta(hours=1))
    assert await store.get_digest(10) == d2 and d2.time_of_day == "09:30"
    await store.set_digest(1, 11, time_of_day="07:00", timezone="UTC", next_due_at=T0 - timedelta(hours=1))
    assert [x.channel_id for x in await store.due_digests(T0 + timedelta(hours=1))] == [11, 10]
    assert [x.channel_id for x in await store.due_digests(T0)] == [11]
    await store.mark_digest_sent(11, sent_at=T0, next_due_at=T0 + timedelta(days=1))
    sent = await store.get_digest(11)
    assert sent is not None and sent.last_sent_at == T0 and sent.next_due_at == T0 + timedelta(days=1)
    assert await store.remove_digest(11) and not await store.remove_digest(11)
    assert await store.get_digest(11) is None


async def test_digest_stories_rank_and_filters(store: Store) -> None:
    a = await store.add_feed("https://a/rss", title="A", now=T0)
    b = await store.add_feed("https://b/rss", title="B", now=T0)
    c = await store.add_feed("https://c/rss", title="C", now=T0)
    await store.subscribe(1, 10, a.id, now=T0, exclude="cats")
    await store.subscribe(1, 10, b.id, now=T0)
    await store.subscribe(1, 99, c.id, now=T0)
    old = await store.add_article(make_article(a.id, 0), story_id=None, now=T0 - timedelta(days=2))
    big = await store.add_article(make_article(a.id, 1), story_id=None, now=T0)
    assert big is not None and old is not None
    await store.add_article(make_article(b.id, 1), story_id=big.story_id, now=T0)
    recent = await store.add_article(make_article(b.id, 2), story_id=None, now=T0 + timedelta(hours=1))
    await store.add_article(make_article(a.id, 3, title="Cats everywhere"), story_id=None, now=T0)
    await store.add_article(make_article(c.id, 4), story_id=None, now=T0)  # another channel's feed
    assert recent is not None
    stories = await store.digest_stories(10, T0 - timedelta(hours=1), 10)
    assert [s.story_id for s in stories] == [big.story_id, recent.story_id]
    assert stories[0].source_count == 2
    assert [s.story_id for s in await store.digest_stories(10, T0 - timedelta(hours=1), 1)] == [big.story_id]


async def test_digest_counts_within_the_guild_only(store: Store) -> None:
    """Another server's feed carried the wire story first, and carries a second copy: here it is still
    today's story, ranked by this server's sources only."""
    mine = await store.add_feed("https://mine/rss", title="Mine", now=T0)
    mine2 = await store.add_feed("https://mine2/rss", title="Mine 2", now=T0)
    theirs = await store.add_feed("https://theirs/rss", title="Theirs", now=T0)
    theirs2 = await store.add_feed("https://theirs2/rss", title="Theirs 2", now=T0)
    await store.subscribe(1, 10, mine.id, now=T0)
    await store.subscribe(1, 11, mine2.id, now=T0)
    await store.subscribe(2, 20, theirs.id, now=T0)
    await store.subscribe(2, 21, theirs2.id, now=T0)
    wire = await store.add_article(make_article(theirs.id, 0), story_id=None, now=T0 - timedelta(days=2))
    assert wire is not None
    await store.add_article(make_article(theirs2.id, 1), story_id=wire.story_id, now=T0 - timedelta(days=2))
    await store.add_article(make_article(mine.id, 2), story_id=wire.story_id, now=T0)
    local = await store.add_article(make_article(mine.id, 3), story_id=None, now=T0)
    assert local is not None
    await store.add_article(make_article(mine2.id, 4), story_id=local.story_id, now=T0)
    stories = await store.digest_stories(10, T0 - timedelta(hours=1), 10)
    # the local story has two of this server's sources; the wire story one (the other server's two don't count)
    assert [s.story_id for s in stories] == [local.story_id, wire.story_id]
    # and a story this server itself had before the digest period stays out, as before
    assert [s.story_id for s in await store.digest_stories(20, T0 - timedelta(hours=1), 10)] == []


async def test_pending_deliveries_does_not_scan_the_whole_outbox(tmp_path: Path) -> None:
    """The outbox keeps every delivered row; the drain query must walk only the pending ones (SQLite-only:
    reads SQLite's query plan)."""
    from bot.store.sqlite.store import PENDING_SQL

    path = tmp_path / "outbox.db"
    store = await SQLiteStore.open(path)
    await store.close()
    conn = sqlite3.connect(path)
    try:
        conn.execute("INSERT INTO stories (id, created_at) VALUES (1, 'x')")
        conn.executemany("INSERT INTO deliveries (guild_id, channel_id, story_id, status, next_attempt_at, "
                         "created_at) VALUES (1, ?, 1, ?, ?, 'x')",
                         [(i, "delivered" if i < 5000 else "pending", "2024-01-01T00:00:00.000000+00:00")
                          for i in range(5010)])
        conn.commit()
        plans = [[r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + PENDING_SQL, ("2100", 50))]]
        conn.execute("ANALYZE")  # with and without statistics (the bot only runs PRAGMA optimize)
        plans.append([r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + PENDING_SQL, ("2100", 50))])
    finally:
        conn.close()
    for plan in plans:
        table_steps = [step for step in plan if "deliveries" in step]
        assert table_steps and all("INDEX deliveries_pending" in step for step in table_steps), plan


async def test_giving_up_does_not_overwrite_a_cancelled_or_delivered_row(store: Store) -> None:
    """The outbox posts outside the lock: a delivery cancelled meanwhile (unsubscribe, channel gone) or already
    marked delivered must keep that status when the in-flight attempt then gives up."""
    feed = await store.add_feed("https://a/rss", now=T0)
    await store.subscribe(1, 10, feed.id, now=T0)
    await store.subscribe(1, 11, feed.id, now=T0)
    stored = await store.add_article(make_article(feed.id, 1), story_id=None, now=T0)
    assert stored is not None
    cancelled, delivered = stored.deliveries
    await store.unsubscribe(1, feed.id, channel_id=10)
    await store.mark_delivered(delivered, 555, now=T0)
    for delivery_id in (cancelled, delivered):
        await store.mark_delivery_failed(delivery_id, "HTTP 500", now=T0, retry_at=None)
    rows = await query(store, "SELECT id, status, message_id FROM deliveries ORDER BY id")
    assert rows == [(cancelled, "cancelled", None), (delivered, "delivered", 555)]


async def test_hold_channel_deliveries_and_digest_back_off(store: Store) -> None:
    feed = await store.add_feed("https://a/rss", now=T0)
    await store.subscribe(1, 10, feed.id, now=T0)
    await store.subscribe(1, 11, feed.id, now=T0)
    for n in range(2):
        await store.add_article(make_article(feed.id, n), story_id=None, now=T0)
    later = T0 + timedelta(minutes=5)
    assert await store.hold_channel_deliveries(10, later) == 2
    assert await store.hold_channel_deliveries(10, T0 + timedelta(minutes=1)) == 0  # never brought forward
    assert {p.channel_id for p in await store.pending_deliveries(T0 + timedelta(minutes=4))} == {11}
    assert len(await store.pending_deliveries(later)) == 4

    await store.set_digest(1, 10, time_of_day="08:00", timezone="UTC", next_due_at=T0)
    await store.mark_digest_sent(10, sent_at=T0 - timedelta(days=1), next_due_at=T0)
    await store.retry_digest_at(10, later)
    digest = await store.get_digest(10)
    assert digest is not None and digest.next_due_at == later and digest.last_sent_at == T0 - timedelta(days=1)
