"""Issue 9 item 1: one server's feed cannot plant stories in another server's channels.

Two loopback sites (a victim outlet and an attacker), the real Fetcher, a real SQLite file, two guilds:
guild 1 follows the attacker's feed, guild 2 the victim's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.config import FeedSettings, NetSettings, Settings
from bot.fetch.net import Fetcher
from bot.pipeline.ingest import Ingestor
from bot.store import Store, open_store
from tests.bot.pipeline.test_ingest import Clock, poll_due, story_text, subscribed_feed
from tests.newsite import FeedItem, NewsSite

ATTACKER_GUILD, ATTACKER_CHANNEL = 1, 100
VICTIM_GUILD, VICTIM_CHANNEL = 2, 200
REAL_TITLE = "Battery factory brings jobs to Elmsworth1"
FAKE_TITLE = "FAKE: planted headline"


@pytest.fixture
async def sites() -> AsyncIterator[tuple[NewsSite, NewsSite]]:
    async with NewsSite(site_name="Victim News") as victim, NewsSite(site_name="Evil") as evil:
        yield victim, evil


@pytest.fixture
async def store(tmp_path) -> AsyncIterator[Store]:
    s = await open_store(tmp_path / "news.db")
    yield s
    await s.close()


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(_settings().net) as f:
        yield f


def _settings() -> Settings:
    return Settings(
        net=NetSettings(allow_private_addresses=True, read_timeout=2.0, connect_timeout=2.0),
        feeds=FeedSettings(poll_interval=60, min_poll_interval=1, jitter=0, first_poll_queue=3,
                           disable_after_failures=3, min_article_chars=200),
    )


def victim_feed(victim: NewsSite) -> str:
    victim.add_article("real", REAL_TITLE, story_text(1), published=datetime(2026, 11, 24, 9, tzinfo=UTC))
    return victim.set_feed("/feed.xml", entries=["real"], title="Victim News")


async def poll_both(store: Store, fetcher: Fetcher, evil_url: str, victim_url: str) -> None:
    clock = Clock()
    evil_feed = await subscribed_feed(store, evil_url, guild=ATTACKER_GUILD, channel=ATTACKER_CHANNEL, now=clock())
    victim = await subscribed_feed(store, victim_url, guild=VICTIM_GUILD, channel=VICTIM_CHANNEL, now=clock())
    ingestor = Ingestor(_settings(), store, fetcher, clock=clock)
    assert (await ingestor.poll_feed(evil_feed)).ok  # the attacker's feed is polled first
    assert (await ingestor.poll_feed(victim)).new_articles == 1, "the victim's own entry is stored"


async def assert_victim_sees_only_its_own(store: Store, victim: NewsSite) -> None:
    pending = [d for d in await store.pending_deliveries(Clock()(), limit=50) if d.guild_id == VICTIM_GUILD]
    assert [(d.story.title, d.story.url) for d in pending] == [(REAL_TITLE, victim.url("/articles/real"))]
    assert pending[0].story.source.name == "Victim News"
    [latest] = await store.latest(VICTIM_GUILD)
    assert (latest.title, latest.url) == (REAL_TITLE, victim.url("/articles/real"))
    [found] = await store.search(VICTIM_GUILD, "Elmsworth1")
    assert found.title == REAL_TITLE and FAKE_TITLE not in [s.name for s in found.other_sources]


async def test_page_claiming_another_sites_canonical_url_cannot_take_its_story(sites, store, fetcher):
    victim, evil = sites
    victim_url = victim_feed(victim)
    paras = "".join(f"<p>{p}</p>" for p in story_text(1).split("\n\n"))
    real = victim.url("/articles/real")
    evil.set_raw("/p/1", (f'<html><head><title>{FAKE_TITLE}</title><link rel="canonical" href="{real}">'
                          f'<meta property="og:url" content="{real}"></head><body><article><h1>{FAKE_TITLE}</h1>'
                          f"{paras}</article></body></html>").encode(), "text/html; charset=utf-8")
    evil_url = evil.set_feed("/feed.xml", entries=[FeedItem(guid="p1", title=FAKE_TITLE, link=evil.url("/p/1"),
                                                            published=datetime(2026, 11, 24, 8, tzinfo=UTC))])
    await poll_both(store, fetcher, evil_url, victim_url)
    await assert_victim_sees_only_its_own(store, victim)
    assert victim.hits["/articles/real"] == 1, "the victim's page was fetched for the victim's entry"


async def test_entry_linking_another_sites_url_with_a_made_up_title(sites, store, fetcher):
    victim, evil = sites
    victim_url = victim_feed(victim)
    planted = FeedItem(guid="x", title=FAKE_TITLE, link=victim.url("/articles/real"), content="lies " * 50,
                       published=datetime(2026, 11, 24, 8, tzinfo=UTC))
    evil_url = evil.set_feed("/feed.xml", entries=[planted])
    await poll_both(store, fetcher, evil_url, victim_url)
    await assert_victim_sees_only_its_own(store, victim)
    # The attacker's own server still sees what its feed said: views are per server, not shared.
    [mine] = await store.latest(ATTACKER_GUILD)
    assert mine.title == FAKE_TITLE


async def test_section_canonical_does_not_swallow_a_blogs_posts(sites, store, fetcher):
    victim, _ = sites
    items = []
    for n in (1, 2, 3):
        paras = "".join(f"<p>{p}</p>" for p in story_text(n).split("\n\n"))
        victim.set_raw(f"/blog/post-{n}", (
            f'<html><head><title>Post {n}</title><link rel="canonical" href="{victim.url("/blog/")}">'
            f'</head><body><article><h1>Post {n}</h1>{paras}</article></body></html>').encode(),
            "text/html; charset=utf-8")
        items.append(FeedItem(guid=f"post-{n}", title=f"Post {n}", link=victim.url(f"/blog/post-{n}"),
                              published=datetime(2026, 11, 24, n, tzinfo=UTC)))
    clock = Clock()
    await subscribed_feed(store, victim.set_feed("/blog.xml", entries=items), guild=VICTIM_GUILD,
                          channel=VICTIM_CHANNEL, now=clock())
    [result] = await poll_due(Ingestor(_settings(), store, fetcher, clock=clock))
    assert result.new_articles == 3
    assert sorted(d.story.title for d in await store.pending_deliveries(clock())) == ["Post 1", "Post 2", "Post 3"]


async def test_same_site_canonical_still_deduplicates(sites, store, fetcher):
    # A tracking link and the plain link of one article, in one feed: the page's canonical URL (same
    # site, an article path) makes them one article.
    victim, _ = sites
    victim.add_article("real", REAL_TITLE, story_text(1), published=datetime(2026, 11, 24, 9, tzinfo=UTC))
    victim.redirect("/r/abc", victim.url("/articles/real"))
    items = [FeedItem(guid="a", title=REAL_TITLE, link=victim.url("/articles/real"),
                      published=datetime(2026, 11, 24, 9, tzinfo=UTC)),
             FeedItem(guid="b", title=REAL_TITLE, link=victim.url("/r/abc?src=x"),
                      published=datetime(2026, 11, 24, 10, tzinfo=UTC))]
    clock = Clock()
    await subscribed_feed(store, victim.set_feed("/f.xml", entries=items), guild=VICTIM_GUILD,
                          channel=VICTIM_CHANNEL, now=clock())
    [result] = await poll_due(Ingestor(_settings(), store, fetcher, clock=clock))
    assert result.new_articles == 1 and len(await store.pending_deliveries(clock())) == 1


async def test_listing_canonical_shared_by_differently_titled_posts_keeps_each(sites, store, fetcher):
    # Posts at /?p=N whose pages all name /blog/ as canonical: not an ancestor of the link, so only the
    # shared canonical with a different title shows it is a listing page.
    victim, _ = sites
    items = []
    for n in (1, 2):
        paras = "".join(f"<p>{p}</p>" for p in story_text(n).split("\n\n"))
        victim.set_raw(f"/p{n}", (
            f'<html><head><title>Post {n}</title><link rel="canonical" href="{victim.url("/blog/")}">'
            f'</head><body><article><h1>Post {n}</h1>{paras}</article></body></html>').encode(),
            "text/html; charset=utf-8")
        items.append(FeedItem(guid=f"p{n}", title=f"Post {n}", link=victim.url(f"/p{n}?p={n}"),
                              published=datetime(2026, 11, 24, n, tzinfo=UTC)))
    clock = Clock()
    await subscribed_feed(store, victim.set_feed("/blog.xml", entries=items), guild=VICTIM_GUILD,
                          channel=VICTIM_CHANNEL, now=clock())
    [result] = await poll_due(Ingestor(_settings(), store, fetcher, clock=clock))
    assert result.new_articles == 2
