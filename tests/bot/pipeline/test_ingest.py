"""The ingest pipeline end to end: a loopback news site, the real Fetcher, a real SQLite file."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import FeedSettings, NetSettings, SchedulerSettings, Settings
from bot.fetch.net import Fetcher
from bot.models import Feed
from bot.pipeline.ingest import Ingestor, PollResult
from bot.store import Store, open_store
from bot.work.poller import FeedPoller
from tests.newsite import FeedItem, NewsSite

WIRE = (
    "Officials in the harbour city of Porthaven said on Tuesday that the new flood barrier will cost "
    "forty million pounds and protect 12,000 homes from storm surges.\n\n"
    "The council voted 31 to 7 in favour of the plan after a record surge in October flooded 1,200 homes "
    "and closed the port for nine days.\n\n"
    "\"We cannot ask people to rebuild their homes twice,\" said council leader Margaret Ellison.\n\n"
    "Construction of the 2.4-kilometre barrier is due to start in March and take three years, the council "
    "said in a statement. Engineers will use steel gates that close automatically when the tide rises.\n\n"
    "Local businesses welcomed the decision, although some residents said the barrier would spoil views "
    "of the estuary and asked for a second consultation before work begins."
)


def story_text(n: int) -> str:
    return (
        f"Story number {n} concerns the town of Elmsworth{n}, where the mayor announced {n * 7} new jobs "
        f"at a battery factory on Monday.\n\n"
        f"The factory, built on the site of a former paper mill, will open in spring and employ people from "
        f"across the county of Westmarsh{n}, officials said.\n\n"
        f"\"This is the biggest investment the town has seen in a generation,\" said mayor Tobias Quill{n}.\n\n"
        f"Unions said they would seek talks with the operator about pay and training, and the regional "
        f"development agency confirmed a grant of {n} million pounds towards the project."
    )


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as s:
        yield s


@pytest.fixture
async def store(tmp_path) -> AsyncIterator[Store]:
    s = await open_store(tmp_path / "news.db")
    yield s
    await s.close()


@pytest.fixture
def settings() -> Settings:
    return Settings(
        net=NetSettings(allow_private_addresses=True, read_timeout=2.0, connect_timeout=2.0),
        feeds=FeedSettings(poll_interval=60, min_poll_interval=1, jitter=0, first_poll_queue=3,
                           disable_after_failures=3, min_article_chars=200),
        scheduler=SchedulerSettings(feed_concurrency=8),
    )


@pytest.fixture
async def fetcher(settings) -> AsyncIterator[Fetcher]:
    async with Fetcher(settings.net) as f:
        yield f


async def poll_due(ingestor: Ingestor) -> list[PollResult]:
    """Claim every due feed and poll it, as one process's poller does."""
    poller = FeedPoller(ingestor, owner="test:1:x", concurrency=ingestor.settings.scheduler.feed_concurrency,
                        deadline=ingestor.settings.scheduler.feed_deadline, lease=timedelta(minutes=1))
    return await poller.poll_due()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


async def subscribed_feed(store: Store, url: str, *, channel: int = 100, guild: int = 1,
                          now: datetime | None = None) -> Feed:
    now = now or datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    feed = await store.add_feed(url, poll_interval=60, now=now)
    await store.subscribe(guild, channel, feed.id, now=now)
    return feed


def publish(site: NewsSite, n: int, *, base: datetime | None = None) -> str:
    base = base or datetime(2026, 11, 20, tzinfo=UTC)
    return site.add_article(f"story-{n}", f"Battery factory brings jobs to Elmsworth{n}", story_text(n),
                            published=base + timedelta(hours=n), author=f"Reporter {n}")


async def test_first_poll_queues_only_the_newest_then_new_entries_once(site, store, fetcher, settings):
    for n in range(1, 6):
        publish(site, n)
    feed_url = site.set_feed("/feed.xml", entries=[f"story-{n}" for n in range(5, 0, -1)], title="Elmsworth")
    clock = Clock()
    feed = await subscribed_feed(store, feed_url, now=clock())
    ingestor = Ingestor(settings, store, fetcher, clock=clock)

    [result] = await poll_due(ingestor)
    assert result.ok and result.entries == 5 and result.new_articles == 3
    pending = await store.pending_deliveries(clock(), limit=50)
    assert [d.story.title for d in pending] == [
        f"Battery factory brings jobs to Elmsworth{n}" for n in (3, 4, 5)
    ]
    story = pending[0].story
    assert story.source.name == "Elmsworth"
    assert story.text_source == "page"
    assert 1 <= len(story.bullets) <= 3
    assert all(b in story_text(3) for b in story.bullets)
    assert any(q.speaker and "Tobias Quill3" in q.speaker for q in story.quotes)
    refreshed = await store.get_feed(feed.id)
    assert refreshed is not None and refreshed.initialized and refreshed.title == "Elmsworth"

    # Nothing changed: a conditional GET answered 304, nothing parsed or stored.
    clock.advance(61)
    [result] = await poll_due(ingestor)
    assert result.not_modified
    assert site.requests[-1][2].get("If-None-Match")

    # A new entry is stored and queued exactly once, however often the feed is polled.
    publish(site, 6)
    site.set_feed("/feed.xml", entries=[f"story-{n}" for n in range(6, 0, -1)], title="Elmsworth")
    for _ in range(3):
        clock.advance(61)
        await poll_due(ingestor)
    pending = await store.pending_deliveries(clock(), limit=50)
    assert [d.story.title for d in pending].count("Battery factory brings jobs to Elmsworth6") == 1
    assert len(pending) == 4
    assert site.hits["/articles/story-6"] == 1


async def test_page_failure_falls_back_to_the_feed_content(site, store, fetcher, settings):
    site.add_article("gone", "Barrier approved", WIRE)
    site.remove("/articles/gone")  # the page 404s; the feed still carries the text
    item = FeedItem(guid="g-1", title="Barrier approved", link=site.url("/articles/gone"),
                    content="<p>" + WIRE.replace("\n\n", "</p><p>") + "</p>",
                    published=datetime(2026, 11, 24, 9, tzinfo=UTC))
    feed_url = site.set_feed("/f.xml", entries=[item])
    clock = Clock()
    await subscribed_feed(store, feed_url, now=clock())
    [result] = await poll_due(Ingestor(settings, store, fetcher, clock=clock))
    assert result.new_articles == 1
    [delivery] = await store.pending_deliveries(clock())
    assert delivery.story.text_source == "feed"
    assert any("forty million pounds" in b for b in delivery.story.bullets)


async def test_same_article_through_two_feeds_is_one_story(site, store, fetcher, settings):
    publish(site, 1)
    url_a = site.set_feed("/a.xml", entries=["story-1"])
    url_b = site.set_feed("/b.json", kind="json", entries=["story-1"])
    clock = Clock()
    feed_a = await subscribed_feed(store, url_a, channel=100, now=clock())
    feed_b = await subscribed_feed(store, url_b, channel=100, now=clock())
    await store.subscribe(2, 200, feed_b.id, now=clock())  # another guild follows only feed B
    ingestor = Ingestor(settings, store, fetcher, clock=clock)
    await ingestor.poll_feed(feed_a)
    await ingestor.poll_feed(feed_b)
    pending = await store.pending_deliveries(clock(), limit=50)
    assert sorted(d.channel_id for d in pending) == [100, 200]
    assert len({d.story.story_id for d in pending}) == 1
    # Each feed's copy is built from its own entry and page fetch: another feed's is no substitute.
    assert site.hits["/articles/story-1"] == 2


async def test_wire_copies_from_two_outlets_become_one_story(site, store, fetcher, settings):
    site.add_article("wire-a", "Porthaven approves flood barrier", WIRE)
    site.add_article("wire-b", "Flood barrier approved in Porthaven",
                     "PORTHAVEN (Wire) - " + WIRE + "\n\nReporting by the Wire desk.")
    url_a = site.set_feed("/outlet-a.xml", entries=["wire-a"], title="Outlet A")
    url_b = site.set_feed("/outlet-b.xml", entries=["wire-b"], title="Outlet B")
    clock = Clock()
    feed_a = await subscribed_feed(store, url_a, channel=100, now=clock())
    feed_b = await subscribed_feed(store, url_b, channel=100, now=clock())
    ingestor = Ingestor(settings, store, fetcher, clock=clock)
    await ingestor.poll_feed(feed_a)
    await ingestor.poll_feed(feed_b)
    pending = await store.pending_deliveries(clock(), limit=50)
    assert len(pending) == 1, "the channel sees the wire story once"
    story = await store.get_story(pending[0].story.story_id)
    assert story is not None and story.source_count == 2
    assert {s.name for s in story.other_sources} | {story.source.name} == {"Outlet A", "Outlet B"}

    # After a restart the cluster index is rebuilt from the store and still groups a third copy.
    site.add_article("wire-c", "Porthaven barrier gets green light", WIRE + "\n\nMore to follow.")
    url_c = site.set_feed("/outlet-c.xml", entries=["wire-c"], title="Outlet C")
    feed_c = await subscribed_feed(store, url_c, channel=300, now=clock())
    fresh = Ingestor(settings, store, fetcher, clock=clock)
    assert await fresh.load_clusters() == 2
    await fresh.poll_feed(feed_c)
    [for_300] = [d for d in await store.pending_deliveries(clock(), limit=50) if d.channel_id == 300]
    assert for_300.story.story_id == story.story_id


async def test_failing_feeds_back_off_then_disable_with_the_reason(site, store, fetcher, settings):
    clock = Clock()
    feed = await subscribed_feed(store, site.url("/hostile/500"), now=clock())
    ingestor = Ingestor(settings, store, fetcher, clock=clock)
    waits = []
    for _ in range(3):
        current = await store.get_feed(feed.id)
        assert current is not None
        clock.now = current.next_poll_at
        [result] = await poll_due(ingestor)
        assert not result.ok
        after = await store.get_feed(feed.id)
        assert after is not None
        waits.append((after.next_poll_at - clock()).total_seconds())
    assert waits[0] == 60 and waits[1] == 120  # exponential backoff on the feed's interval
    final = await store.get_feed(feed.id)
    assert final is not None and final.disabled and final.failure_count == 3
    assert "500" in (final.disabled_reason or final.last_error or "")
    clock.advance(10**6)
    assert await store.due_feeds(clock()) == []

    forbidden = await subscribed_feed(store, site.url("/hostile/403"), channel=101, now=clock())
    await ingestor.poll_feed(forbidden)
    after = await store.get_feed(forbidden.id)
    assert after is not None and "403" in (after.last_error or "")


async def test_hostile_feeds_fail_cleanly_and_hold_up_no_one(site, store, fetcher, settings):
    publish(site, 1)
    good_url = site.set_feed("/good.xml", entries=["story-1"])
    clock = Clock()
    hostile = ["malformed.xml", "html-as-feed", "billion-laughs.xml", "gzip-bomb", "huge", "slow",
               "redirect-loop", "429"]
    feeds = [await subscribed_feed(store, site.url(f"/hostile/{name}"), channel=500 + i, now=clock())
             for i, name in enumerate(hostile)]
    good = await subscribed_feed(store, good_url, now=clock())
    results = {r.feed_id: r for r in await poll_due(Ingestor(settings, store, fetcher, clock=clock))}
    assert results[good.id].ok and results[good.id].new_articles == 1
    for feed in feeds:
        assert not results[feed.id].ok, feed.url
        stored = await store.get_feed(feed.id)
        assert stored is not None and stored.last_error, feed.url
    retry = await store.get_feed(feeds[hostile.index("429")].id)
    assert retry is not None and (retry.next_poll_at - clock()).total_seconds() >= 120


async def test_entries_without_links_and_non_utf8_feeds(site, store, fetcher, settings):
    item = FeedItem(guid="note-1", title="Linkless note", link=None, content=WIRE,
                    published=datetime(2026, 11, 24, tzinfo=UTC))
    url = site.set_feed("/notes.xml", entries=[item])
    clock = Clock()
    feed = await subscribed_feed(store, url, now=clock())
    latin = await subscribed_feed(store, site.url("/hostile/non-utf8.xml"), channel=101, now=clock())
    ingestor = Ingestor(dataclasses.replace(settings), store, fetcher, clock=clock)
    assert (await ingestor.poll_feed(feed)).new_articles == 1
    assert (await ingestor.poll_feed(latin)).ok


async def test_pages_whose_canonical_link_is_the_home_page_are_not_duplicates(site, store, fetcher, settings):
    # Some sites point every article's <link rel=canonical> (or og:url) at their front page; dedup on it
    # dropped every article after the first as "already stored".
    for n in (1, 2):
        paras = "".join(f"<p>{p}</p>" for p in story_text(n).split("\n\n"))
        site.set_raw(f"/articles/home-{n}", (
            f'<html><head><title>Story {n}</title><link rel="canonical" href="{site.url("/")}">'
            f'<meta property="og:url" content="{site.url("/")}"></head>'
            f"<body><article><h1>Story {n}</h1>{paras}</article></body></html>").encode(),
            "text/html; charset=utf-8")
    items = [FeedItem(guid=f"home-{n}", title=f"Story {n}", link=site.url(f"/articles/home-{n}"),
                      published=datetime(2026, 11, 24, n, tzinfo=UTC)) for n in (1, 2)]
    clock = Clock()
    await subscribed_feed(store, site.set_feed("/home.xml", entries=items), now=clock())
    [result] = await poll_due(Ingestor(settings, store, fetcher, clock=clock))
    assert result.new_articles == 2
    pending = await store.pending_deliveries(clock())
    assert sorted(d.story.title for d in pending) == ["Story 1", "Story 2"]
    assert all(d.story.text_source == "page" for d in pending)


async def test_failure_backoff_respects_the_poll_interval_floor(site, store, fetcher, settings):
    # A feed stored with a 60 s interval under a 300 s floor was retried after 60 s when failing.
    floored = dataclasses.replace(settings, feeds=dataclasses.replace(settings.feeds, min_poll_interval=300,
                                                                      poll_interval=300))
    clock = Clock()
    feed = await subscribed_feed(store, site.url("/hostile/500"), now=clock())
    assert feed.poll_interval == 60
    await Ingestor(floored, store, fetcher, clock=clock).poll_feed(feed)
    after = await store.get_feed(feed.id)
    assert after is not None and (after.next_poll_at - clock()).total_seconds() == 300
