"""Issue 9 item 12: relative entry ids resolve against the feed URL as subscribed, and ids recorded under
the older spelling (against the post-redirect URL) still count as seen after an upgrade."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.pipeline.ingest import Ingestor
from tests.bot.pipeline.test_ingest import Clock, publish, subscribed_feed
from tests.newsite import FeedItem


async def test_relative_ids_keep_their_spelling_when_the_feed_moves(site, store, fetcher, settings) -> None:
    publish(site, 1)
    item = FeedItem(guid="item-1", title="Moved feed entry", link=site.url("/articles/story-1"),
                    content="Body text.", published=datetime(2026, 11, 24, 9, tzinfo=UTC))
    site.set_feed("/v1/feed.xml", entries=[item])
    site.redirect("/old", site.url("/v1/feed.xml"))
    clock = Clock()
    feed = await subscribed_feed(store, site.url("/old"), now=clock())
    ingestor = Ingestor(settings, store, fetcher, clock=clock)
    assert (await ingestor.poll_feed(feed)).new_articles == 1
    assert await store.unseen_guids(feed.id, [site.url("/item-1")]) == set(), "resolved against /old"

    # The feed moves again: the same entry keeps its id, nothing is stored twice.
    site.set_feed("/v2/deeper/feed.xml", entries=[item])
    site.redirect("/old", site.url("/v2/deeper/feed.xml"))
    clock.advance(3600)
    assert (await ingestor.poll_feed(feed)).new_articles == 0


async def test_ids_seen_under_the_older_spelling_stay_seen(site, store, fetcher, settings) -> None:
    item = FeedItem(guid="item-9", title="Archive entry", link=site.url("/none"), content="Body.",
                    published=datetime(2026, 11, 24, 9, tzinfo=UTC))
    site.set_feed("/new/feed.xml", entries=[item])
    site.redirect("/feed", site.url("/new/feed.xml"))
    clock = Clock()
    feed = await subscribed_feed(store, site.url("/feed"), now=clock())
    await store.mark_initialized(feed.id)
    # What an older newsbot recorded: the id resolved against the post-redirect URL.
    await store.mark_seen(feed.id, [site.url("/new/item-9")], now=clock())
    assert (await Ingestor(settings, store, fetcher, clock=clock).poll_feed(feed)).new_articles == 0
