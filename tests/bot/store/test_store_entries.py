"""Contract: failing entries (poison entries) and per-feed article lookups (SQLite 0004, PostgreSQL 0003)."""

from __future__ import annotations

from datetime import timedelta

from bot.store import Store
from tests.bot.store.test_store import T0, make_article


async def test_entry_failures_are_counted_summarized_and_cleared(store: Store) -> None:
    feed = await store.add_feed("https://a/rss", now=T0)
    retry = T0 + timedelta(minutes=10)
    assert await store.record_entry_failure(feed.id, "g1", "boom", now=T0, next_attempt_at=retry, give_up=False) == 1
    assert await store.record_entry_failure(feed.id, "g1", "bang", now=retry, next_attempt_at=retry,
                                            give_up=True) == 2
    await store.record_entry_failure(feed.id, "g2", "x" * 1000, now=T0, next_attempt_at=retry, give_up=False)
    assert await store.record_entry_failure(999, "g", "gone", now=T0, next_attempt_at=retry, give_up=False) == 0
    found = await store.entry_failures(feed.id, ["g1", "g2", "g3"])
    assert set(found) == {"g1", "g2"} and found["g1"].attempts == 2 and found["g1"].gave_up
    assert found["g1"].last_error == "bang" and found["g1"].next_attempt_at == retry
    assert len(found["g2"].last_error) == 300
    summary = await store.get_feed(feed.id)
    assert summary is not None and summary.failing_entries == 2 and summary.entry_error == "bang"
    await store.clear_entry_failures(feed.id, ["g1", "g2"])
    cleared = await store.get_feed(feed.id)
    assert cleared is not None and cleared.failing_entries == 0 and cleared.entry_error is None


async def test_each_feed_keeps_its_own_copy_of_a_shared_url(store: Store) -> None:
    a = await store.add_feed("https://a/rss", now=T0)
    b = await store.add_feed("https://b/rss", now=T0)
    first = await store.add_article(make_article(a.id, 1, url="https://wire/1", title="A's title",
                                                 fingerprint=b"\x01"), story_id=None, now=T0)
    second = await store.add_article(make_article(b.id, 2, url="https://wire/1", title="B's title"),
                                     story_id=None, now=T0)
    assert first is not None and second is not None and second.story_id == first.story_id
    assert await store.feed_article_title(a.id, "https://wire/1") == "A's title"
    assert await store.feed_article_title(b.id, "https://wire/1") == "B's title"
    assert await store.feed_has_url(b.id, "https://wire/1") and not await store.feed_has_url(b.id, "https://x")
    assert await store.add_article(make_article(b.id, 3, url="https://wire/1"), story_id=None, now=T0) is None
    times = await store.recent_fingerprint_times(T0)
    assert times == [(first.story_id, b"\x01", T0)]
