"""`Store.add_articles` on both backends: item by item what `add_article` in order would do, in ONE
transaction (all of the batch or none of it), with `join` to an earlier item of the same batch."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from bot.models import ArticleToStore
from bot.store import Store, StoreError, open_store
from tests.bot.store.conftest import query
from tests.bot.store.test_store import T0, make_article

LATER = T0 + timedelta(days=1)


async def pending(store: Store) -> list[tuple[int, int]]:
    """(channel, story) of every pending delivery."""
    return sorted((p.channel_id, p.story.story_id) for p in await store.pending_deliveries(LATER, limit=100))


async def test_a_batch_stores_in_order_with_joins_and_duplicates(store: Store) -> None:
    a = await store.add_feed("https://a/rss", title="Alpha", now=T0)
    b = await store.add_feed("https://b/rss", title="Beta", now=T0)
    await store.subscribe(1, 10, a.id, now=T0)
    await store.subscribe(1, 10, b.id, now=T0)  # channel 10 follows both feeds
    await store.subscribe(1, 11, b.id, now=T0)
    earlier = await store.add_article(make_article(a.id, 0), story_id=None, now=T0)
    assert earlier is not None

    first = make_article(a.id, 1, url="https://wire/1")
    batch = [
        ArticleToStore(first, None),
        ArticleToStore(dataclasses.replace(first, guid="other-guid"), None),  # 1: the same URL again
        ArticleToStore(make_article(b.id, 2, url="https://wire/1"), None),  # 2: another feed's copy
        ArticleToStore(make_article(a.id, 3), None, join=0),  # 3: joins item 0's story
        ArticleToStore(make_article(a.id, 4), earlier.story_id),  # 4: joins a stored story
        ArticleToStore(make_article(a.id, 5), None, join=1),  # 5: item 1 stored nothing: a new story
        ArticleToStore(make_article(a.id, 6), 12345),  # 6: a story that does not exist: a new one
        ArticleToStore(make_article(b.id, 7), earlier.story_id, join=0),  # 7: story_id wins over join
    ]
    results = await store.add_articles(batch, now=T0)
    assert len(results) == len(batch)
    r0, r1, r2, r3, r4, r5, r6, r7 = results
    assert r1 is None
    assert r0 is not None and r2 is not None and r3 is not None and r4 is not None
    assert r5 is not None and r6 is not None and r7 is not None
    stored = [r0, r2, r3, r4, r5, r6, r7]
    assert [r.article_id for r in stored] == sorted(r.article_id for r in stored)  # stored in batch order
    assert r0.new_story and len(r0.deliveries) == 1  # channel 10
    assert (r2.story_id, r2.new_story, len(r2.deliveries)) == (r0.story_id, False, 1)  # channel 11 only
    assert (r3.story_id, r3.new_story, r3.deliveries) == (r0.story_id, False, ())
    assert (r4.story_id, r4.new_story, r4.deliveries) == (earlier.story_id, False, ())
    assert r5.new_story and r5.story_id not in {r0.story_id, earlier.story_id} and len(r5.deliveries) == 1
    assert r6.new_story and r6.story_id != 12345 and len(r6.deliveries) == 1
    assert (r7.story_id, r7.new_story) == (earlier.story_id, False) and len(r7.deliveries) == 1  # channel 11
    assert len({r0.story_id, r5.story_id, r6.story_id, earlier.story_id}) == 4

    view = await store.get_story(r0.story_id)
    assert view is not None and view.source_count == 2 and view.title == first.title
    assert await store.unseen_guids(a.id, [item.article.guid for item in batch if item.article.feed_id == a.id]) \
        == set()
    assert await store.unseen_guids(b.id, ["guid-2-2", "guid-2-7"]) == set()
    assert await store.feed_has_url(b.id, "https://wire/1")
    assert await pending(store) == sorted([
        (10, earlier.story_id), (10, r0.story_id), (11, r0.story_id), (10, r5.story_id), (10, r6.story_id),
        (11, earlier.story_id)])


async def test_duplicates_of_stored_articles_queue_for_channels_that_lack_the_story(store: Store) -> None:
    a = await store.add_feed("https://a/rss", now=T0)
    await store.subscribe(1, 10, a.id, now=T0)
    stored = await store.add_article(make_article(a.id, 1), story_id=None, now=T0)
    assert stored is not None
    await store.subscribe(1, 12, a.id, now=T0)  # a channel that did not exist when the story was stored
    results = await store.add_articles([
        ArticleToStore(make_article(a.id, 1), None),  # already stored
        ArticleToStore(make_article(a.id, 2), None, join=0),  # joins a duplicate: a new story
        ArticleToStore(make_article(a.id, 2), None),  # a duplicate of item 1, inside the batch
    ], now=T0)
    assert results[0] is None and results[2] is None
    new = results[1]
    assert new is not None and new.new_story and new.story_id != stored.story_id
    assert await pending(store) == sorted([(10, stored.story_id), (12, stored.story_id),
                                           (10, new.story_id), (12, new.story_id)])


async def test_filters_and_paused_channels_apply_per_item(store: Store) -> None:
    a = await store.add_feed("https://a/rss", now=T0)
    b = await store.add_feed("https://b/rss", now=T0)
    await store.subscribe(1, 10, a.id, now=T0, include="election, vote")
    await store.subscribe(1, 11, a.id, now=T0, exclude="/foot-?ball/")
    await store.subscribe(1, 12, a.id, now=T0)
    await store.pause_channel(12, "gone")
    await store.subscribe(2, 20, b.id, now=T0, include="football")
    results = await store.add_articles([
        ArticleToStore(make_article(a.id, 1, title="Election night"), None),
        ArticleToStore(make_article(a.id, 2, title="Local news", bullets=("Football results",)), None),
        ArticleToStore(make_article(b.id, 3, title="Football results"), None),
        ArticleToStore(make_article(b.id, 4, title="Election night"), None),
    ], now=T0)
    s1, s2, s3, s4 = results
    assert s1 is not None and s2 is not None and s3 is not None and s4 is not None
    assert (len(s1.deliveries), len(s2.deliveries), len(s3.deliveries), len(s4.deliveries)) == (2, 0, 1, 0)
    assert await pending(store) == sorted([(10, s1.story_id), (11, s1.story_id), (20, s3.story_id)])


async def test_an_error_stores_nothing_of_the_batch(store: Store) -> None:
    a = await store.add_feed("https://a/rss", now=T0)
    await store.subscribe(1, 10, a.id, now=T0)
    good = [make_article(a.id, 1), make_article(a.id, 2)]
    broken = dataclasses.replace(make_article(a.id, 3), word_count=None)  # NOT NULL in both schemas
    with pytest.raises(StoreError):
        await store.add_articles([ArticleToStore(good[0], None), ArticleToStore(good[1], None, join=0),
                                  ArticleToStore(broken, None)], now=T0)
    assert await store.find_article_by_url(good[0].canonical_url) is None
    assert await store.unseen_guids(a.id, [g.guid for g in good]) == {g.guid for g in good}
    assert await pending(store) == []
    assert await query(store, "SELECT count(*) FROM stories") == [(0,)]
    assert await query(store, "SELECT count(*) FROM seen_entries") == [(0,)]
    # The store goes on working, and the same articles store normally afterwards.
    results = await store.add_articles([ArticleToStore(g, None) for g in good], now=T0)
    assert all(r is not None for r in results) and len(await pending(store)) == 2


async def test_a_join_that_is_not_an_earlier_item_is_refused_before_writing(store: Store) -> None:
    a = await store.add_feed("https://a/rss", now=T0)
    for join in (1, 5, -1):
        with pytest.raises(ValueError):
            await store.add_articles([ArticleToStore(make_article(a.id, 1), None),
                                      ArticleToStore(make_article(a.id, 2), None, join=join)], now=T0)
    assert await store.find_article_by_url(make_article(a.id, 1).canonical_url) is None
    assert await store.add_articles([], now=T0) == []


async def test_a_gone_feed_stores_nothing_for_its_items_only(store: Store) -> None:
    a = await store.add_feed("https://a/rss", now=T0)
    results = await store.add_articles([ArticleToStore(make_article(999, 1), None),
                                        ArticleToStore(make_article(a.id, 2), None, join=0)], now=T0)
    assert results[0] is None and results[1] is not None and results[1].new_story
    assert await store.find_article_by_url(make_article(999, 1).canonical_url) is None


async def test_naive_time_is_refused(store: Store) -> None:
    a = await store.add_feed("https://a/rss", now=T0)
    with pytest.raises(ValueError):
        await store.add_articles([ArticleToStore(make_article(a.id, 1), None)], now=T0.replace(tzinfo=None))


async def test_sources_are_counted_by_name_as_the_views_name_them(store: Store) -> None:
    feeds = [await store.add_feed(f"https://f{i}/rss", now=T0) for i in range(6)]  # untitled feeds
    urls_and_sites = [("https://www.Example.com:8080/a", None), ("https://user@example.com/b", None),
                      ("https://example.com/c", "  Example Gazette "), ("https://[::1]:80/d", None),
                      ("https://other.example/e", "\tExample Gazette"), ("https://other.example/f", None)]
    batch = [ArticleToStore(make_article(f.id, i, url=url, site_name=site), None, join=0 if i else None)
             for i, (f, (url, site)) in enumerate(zip(feeds, urls_and_sites, strict=True))]
    results = await store.add_articles(batch, now=T0)
    first = results[0]
    assert first is not None and all(r is not None and r.story_id == first.story_id for r in results)
    view = await store.get_story(first.story_id)
    # example.com, Example Gazette, ::1, other.example
    assert view is not None and view.source_count == 4
    assert sorted({view.source.name, *(s.name for s in view.other_sources)}) == [
        "::1", "Example Gazette", "example.com", "other.example"]


async def test_a_filter_set_by_another_process_applies_to_the_next_batch(store: Store, database: str) -> None:
    """Batches of feeds without filters are decided inside the write itself; a filter another process
    adds in between must still be applied, not skipped."""
    a = await store.add_feed("https://a/rss", now=T0)
    sub = await store.subscribe(1, 10, a.id, now=T0)
    first = await store.add_article(make_article(a.id, 1), story_id=None, now=T0)
    assert first is not None and len(first.deliveries) == 1
    other = await open_store(database)  # another process's store on the same database
    try:
        await other.set_filters(sub.id, "election", None)
    finally:
        await other.close()
    local, election = await store.add_articles([
        ArticleToStore(make_article(a.id, 2, title="Local news"), None),
        ArticleToStore(make_article(a.id, 3, title="Election night"), None)], now=T0)
    assert local is not None and local.deliveries == ()
    assert election is not None and len(election.deliveries) == 1
    await store.set_filters(sub.id, None, None)  # and once the filter is gone, everything is queued again
    again = await store.add_article(make_article(a.id, 4, title="Local news again"), story_id=None, now=T0)
    assert again is not None and len(again.deliveries) == 1
