"""Contract: no driver type leaves the store (database failures are StoreError), and hostile text that one
backend could not hold (NUL characters) is stored rather than failing ingest halfway."""

from __future__ import annotations

import pytest

from bot.models import QuoteRecord
from bot.store import Store, StoreError
from tests.bot.store.conftest import query
from tests.bot.store.test_store import T0, make_article


async def test_database_failures_are_store_errors(store: Store) -> None:
    await store.set_meta("k", "v")
    await query(store, "DROP TABLE meta")  # the database breaks under the bot (restored wrong, corrupted)
    with pytest.raises(StoreError, match="database error"):
        await store.get_meta("k")
    with pytest.raises(StoreError, match="database error"):
        await store.set_meta("k", "w")


async def test_nul_characters_in_hostile_text_are_stored(store: Store) -> None:
    feed = await store.add_feed("https://a/rss", title="Evil\x00Feed", now=T0)
    await store.subscribe(1, 10, feed.id, now=T0)
    article = make_article(feed.id, 1, title="Null\x00byte title", bullets=("a\x00b",), text="x\x00y",
                           quotes=(QuoteRecord("q\x00uote", "Ann\x00 Lee"),))
    stored = await store.add_article(article, story_id=None, now=T0)
    assert stored is not None and len(stored.deliveries) == 1
    view = await store.get_story(stored.story_id)
    assert view is not None and view.title.replace("\x00", "") == "Nullbyte title"
    assert await store.unseen_guids(feed.id, [article.guid]) == set()
    assert [h.story_id for h in await store.search(1, "byte")] in ([], [stored.story_id])
    await store.record_poll_failure(feed.id, now=T0, next_poll_at=T0, error="bad\x00error", disable=False)
