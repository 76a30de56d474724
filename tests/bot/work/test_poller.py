"""The feed poller: claimed feeds polled independently, a slow feed holds only its own slot until its
deadline, and two pollers (processes) share the feeds without polling one twice."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from bot.config import NetSettings, SchedulerSettings
from bot.fetch.net import Fetcher
from bot.pipeline.ingest import Ingestor
from bot.store import open_store
from bot.work.poller import FeedPoller
from tests.bot.pipeline.test_ingest import Clock, publish, subscribed_feed
from tests.newsite import FeedItem, NewsSite

LEASE = timedelta(minutes=1)


async def wait_for(predicate, what: str, turns: int = 600) -> None:
    for _ in range(turns):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def poller(ingestor: Ingestor, owner: str = "test:1:a", lease: timedelta = LEASE) -> FeedPoller:
    cfg = ingestor.settings.scheduler
    return FeedPoller(ingestor, owner=owner, concurrency=cfg.feed_concurrency, deadline=cfg.feed_deadline,
                      lease=lease)


def dripping_feed(site: NewsSite) -> str:
    """A feed whose three article pages answer one byte a second, forever."""
    items = [FeedItem(guid=f"drip-{n}", title=f"Dripping story {n}", link=site.url(f"/hostile/slow?page={n}"),
                      content="Short teaser.") for n in range(3)]
    return site.set_feed("/drip.xml", entries=items, title="Drip")


async def test_a_feed_with_dripping_pages_does_not_delay_another_feeds_scheduled_polls(
        site, store, settings, tmp_path):
    # Pages may take a minute each (read_timeout), the whole poll five minutes: the slow feed stays busy
    # for the whole test, and the healthy feed must keep its one-minute schedule meanwhile.
    # Both feeds live on the one loopback host: the per-host politeness limit is raised so that it is not
    # what the test measures (real feeds are spread over many hosts).
    net = NetSettings(allow_private_addresses=True, read_timeout=60.0, per_host_concurrency=8)
    settings = dataclasses.replace(settings, net=net,
                                   scheduler=SchedulerSettings(feed_concurrency=4, feed_deadline=300))
    clock = Clock()
    publish(site, 1)
    slow = await subscribed_feed(store, dripping_feed(site), channel=101, now=clock())
    good = await subscribed_feed(store, site.set_feed("/good.xml", entries=["story-1"]), now=clock())
    async with Fetcher(settings.net) as fetcher:
        feeds = poller(Ingestor(settings, store, fetcher, clock=clock), lease=timedelta(hours=1))
        try:
            assert await feeds.tick() == 2
            for n in range(1, 4):
                await wait_for(lambda n=n: site.hits["/good.xml"] == n and feeds.busy == 1, f"good poll {n}")
                polled = await store.get_feed(good.id)
                assert polled is not None and polled.last_polled_at == clock()
                clock.advance(61)  # the healthy feed's next scheduled poll is due
                assert await feeds.tick() == 1  # only the healthy feed: the slow one is still ours
            await wait_for(lambda: site.hits["/good.xml"] == 4, "good poll 4")
            assert site.in_flight >= 1 and feeds.busy >= 1  # the slow feed's pages are still dripping
            still = await store.get_feed(slow.id)
            assert still is not None and still.last_polled_at is None
        finally:
            await feeds.close()


async def test_a_poll_stopped_by_shutdown_gives_its_lease_up(site, store, settings):
    """A clean stop (SIGTERM, Ctrl-C) leaves no feed leased for a minute: another process polls it now."""
    settings = dataclasses.replace(settings, net=NetSettings(allow_private_addresses=True, read_timeout=60.0))
    clock = Clock()
    slow = await subscribed_feed(store, dripping_feed(site), now=clock())
    async with Fetcher(settings.net) as fetcher:
        feeds = poller(Ingestor(settings, store, fetcher, clock=clock), lease=timedelta(hours=1))
        assert await feeds.tick() == 1
        await wait_for(lambda: site.in_flight >= 1, "the slow feed's pages")
        assert await store.claim_due_feeds("other:2:b", now=clock(), lease=LEASE, limit=5) == []  # ours
        await feeds.close()
    taken = await store.claim_due_feeds("other:2:b", now=clock(), lease=LEASE, limit=5)
    assert [f.id for f in taken] == [slow.id]


async def test_a_poll_past_its_deadline_is_stopped_recorded_and_released(site, store, settings):
    settings = dataclasses.replace(settings, net=NetSettings(allow_private_addresses=True, read_timeout=60.0),
                                   scheduler=SchedulerSettings(feed_deadline=1.0))
    clock = Clock()
    slow = await subscribed_feed(store, dripping_feed(site), now=clock())
    async with Fetcher(settings.net) as fetcher:
        [result] = await poller(Ingestor(settings, store, fetcher, clock=clock)).poll_due()
    assert not result.ok and "took longer than 1 s" in (result.error or "")
    after = await store.get_feed(slow.id)
    assert after is not None and after.failure_count == 1 and "took longer" in (after.last_error or "")
    clock.now = after.next_poll_at
    other = await store.claim_due_feeds("someone:2:b", now=clock(), lease=LEASE, limit=5)
    assert [f.id for f in other] == [slow.id]  # the lease was cleared with the failure


async def test_two_pollers_share_the_feeds_and_poll_each_once(site, store, settings, tmp_path):
    clock = Clock()
    urls = []
    for n in range(1, 9):
        publish(site, n)
        urls.append(site.set_feed(f"/f{n}.xml", entries=[f"story-{n}"]))
    for n, url in enumerate(urls):
        await subscribed_feed(store, url, channel=100 + n, now=clock())
    other_store = await open_store(store.path)
    try:
        async with Fetcher(settings.net) as fetcher:
            a = poller(Ingestor(settings, store, fetcher, clock=clock), "a:1:a")
            b = poller(Ingestor(settings, other_store, fetcher, clock=clock), "b:2:b")
            results = await asyncio.gather(a.poll_due(), b.poll_due())
    finally:
        await other_store.close()
    polled = sorted(r.feed_id for batch in results for r in batch)
    assert len(polled) == 8 and len(set(polled)) == 8
    assert all(site.hits[f"/f{n}.xml"] == 1 for n in range(1, 9))
    assert len(await store.pending_deliveries(clock(), limit=100)) == 8


async def test_lost_lease_stops_the_local_copy_of_the_work(site, store, settings):
    clock = Clock()
    feed = await subscribed_feed(store, dripping_feed(site), now=clock())
    settings = dataclasses.replace(settings, net=NetSettings(allow_private_addresses=True, read_timeout=60.0))
    async with Fetcher(settings.net) as fetcher:
        ingestor = Ingestor(settings, store, fetcher, clock=clock)
        feeds = FeedPoller(ingestor, owner="a:1:a", concurrency=2, deadline=300, lease=timedelta(seconds=0.3))
        assert await feeds.tick() == 1
        await wait_for(lambda: site.in_flight >= 1, "the first page request")
        # Our lease lapses (a paused VM, say) and another process takes the feed.
        clock.advance(1)
        assert [f.id for f in await store.claim_due_feeds("b:2:b", now=clock(), lease=LEASE, limit=5)] == [feed.id]
        await wait_for(lambda: feeds.busy == 0, "the poll to stop on its lost lease")
        assert feeds.polled == 0
    after = await store.get_feed(feed.id)
    assert after is not None and after.last_polled_at is None  # nothing recorded over the new owner's work


