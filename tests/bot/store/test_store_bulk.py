"""`Store.bulk_load` on both backends: many new single-article stories in one transaction, no deliveries,
duplicates skipped, everything searchable and the store usable as usual afterwards."""

from __future__ import annotations

import dataclasses

import pytest

from bot.models import QuoteRecord
from bot.store import Store, StoreError
from tests.bot.store.conftest import query
from tests.bot.store.test_store import T0, make_article


async def test_bulk_load_stores_new_stories_and_skips_duplicates(store: Store) -> None:
    a = await store.add_feed("https://a/rss", title="Alpha", now=T0)
    await store.subscribe(1, 10, a.id, now=T0)
    before = await store.add_article(make_article(a.id, 0), story_id=None, now=T0)
    assert before is not None
    quote = QuoteRecord("The harbour bridge will reopen in spring.", "Marguerite Okonkwo-Hale")
    articles = [make_article(a.id, n, title=f"Zebracrossing report {n}", quotes=(quote,) if n == 3 else ())
                for n in range(1, 6)]
    again = dataclasses.replace(articles[1], guid="another-guid", title="Not stored")
    stored = await store.bulk_load([make_article(a.id, 0), *articles, again], now=T0)
    assert stored == 5  # the stored article and the repeat inside the batch are skipped

    views = await store.latest(1, limit=10)
    assert len(views) == 6 and all(v.source_count == 1 for v in views)
    assert len({v.story_id for v in views}) == 6
    titles = {v.title for v in views}
    assert "Not stored" not in titles and {f"Zebracrossing report {n}" for n in range(1, 6)} <= titles
    assert await store.unseen_guids(a.id, [x.guid for x in articles] + ["another-guid"]) == {"another-guid"}
    assert [v.title for v in await store.search(1, "zebracrossing", limit=10)].count("Zebracrossing report 3") == 1
    hits = await store.quotes_by(1, "Okonkwo-Hale")
    assert [h.quote for h in hits] == [quote] and hits[0].story.title == "Zebracrossing report 3"
    assert len(await store.pending_deliveries(T0, limit=50)) == 1  # only add_article's; bulk loads queue none

    # ids continue after the loaded ones: the next article is a story of its own, with its deliveries
    after = await store.add_article(make_article(a.id, 9), story_id=None, now=T0)
    assert after is not None and after.new_story and after.story_id not in {v.story_id for v in views}
    assert len(after.deliveries) == 1
    assert await store.bulk_load(articles, now=T0) == 0
    assert await store.bulk_load([], now=T0) == 0


async def test_a_failed_bulk_load_stores_nothing(store: Store) -> None:
    a = await store.add_feed("https://a/rss", now=T0)
    broken = dataclasses.replace(make_article(a.id, 3), word_count=None)  # NOT NULL in both schemas
    with pytest.raises(StoreError):
        await store.bulk_load([make_article(a.id, 1), make_article(a.id, 2), broken], now=T0)
    assert await query(store, "SELECT count(*) FROM articles") == [(0,)]
    assert await query(store, "SELECT count(*) FROM stories") == [(0,)]
    assert await store.bulk_load([make_article(a.id, 1)], now=T0) == 1
