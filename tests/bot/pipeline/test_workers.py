"""Issue 13: the CPU stages in worker processes and a feed's articles stored in one write change nothing
that is stored: the same stories, in the same order, grouped the same way, once."""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Settings
from bot.models import ArticleToStore, Feed
from bot.pipeline.cluster import StoryClusterer, fingerprint
from bot.pipeline.ingest import Ingestor
from bot.pipeline.workers import CpuPool
from bot.store import Store, open_store
from tests.bot.pipeline.test_ingest import WIRE, Clock, publish, story_text, subscribed_feed
from tests.newsite import FeedItem, NewsSite


@pytest.fixture(scope="module")
def pool() -> Iterator[CpuPool]:
    with CpuPool(2) as p:
        yield p


def wire_site(site: NewsSite) -> str:
    """Six entries: four stories, two outlets' copies of one wire story, and one page under two guids."""
    base = datetime(2026, 11, 20, tzinfo=UTC)
    for n in (1, 2, 3):
        publish(site, n, base=base)
    site.add_article("wire-a", "Porthaven approves flood barrier", WIRE, published=base + timedelta(hours=4))
    site.add_article("wire-b", "Flood barrier for Porthaven", "PORTHAVEN (Wire) - " + WIRE,
                     published=base + timedelta(hours=5))
    again = FeedItem(guid="story-1-again", title="Battery factory brings jobs to Elmsworth1",
                     link=site.url("/articles/story-1"), content="Teaser.", published=base + timedelta(hours=6))
    return site.set_feed("/feed.xml", entries=["wire-b", "story-3", again, "wire-a", "story-2", "story-1"])


async def stored_stories(store: Store, now: datetime) -> list[tuple[str, int]]:
    """(title, position of its story among the stories) per delivery, in delivery order."""
    deliveries = await store.pending_deliveries(now, limit=100)
    order: dict[int, int] = {}
    return [(d.story.title, order.setdefault(d.story.story_id, len(order))) for d in deliveries]


async def ingest_with(tmp_path, name: str, url: str, settings: Settings, fetcher,
                      **options: object) -> tuple[list[tuple[str, int]], int, int]:
    store = await open_store(tmp_path / f"{name}.db")
    try:
        clock = Clock()
        feed = await subscribed_feed(store, url, now=clock())
        ingestor = Ingestor(settings, store, fetcher, clock=clock, **options)  # type: ignore[arg-type]
        first = await ingestor.poll_feed(feed)
        assert first.ok, first
        clock.advance(120)
        again = await ingestor.poll_feed(await store.get_feed(feed.id) or feed)
        return await stored_stories(store, clock()), first.new_articles, again.new_articles
    finally:
        await store.close()


async def test_the_pool_and_batched_writes_store_what_threads_and_single_writes_store(
        tmp_path, site, fetcher, settings, pool) -> None:
    url = wire_site(site)
    settings = dataclasses.replace(settings, feeds=dataclasses.replace(settings.feeds, first_poll_queue=10))
    today = await ingest_with(tmp_path, "today", url, settings, fetcher, cpu=CpuPool(0), write_batch=1)
    pooled = await ingest_with(tmp_path, "pooled", url, settings, fetcher, cpu=pool)
    stories, new, again = pooled
    assert pooled == today
    assert new == 5 and again == 0, "the page listed under two guids is stored once; nothing twice"
    titles = [t for t, _ in stories]
    assert titles == ["Battery factory brings jobs to Elmsworth1", "Battery factory brings jobs to Elmsworth2",
                      "Battery factory brings jobs to Elmsworth3", "Porthaven approves flood barrier"], \
        "oldest first, and the wire copy joined its story (one delivery per story)"
    assert pool.pids(), "the jobs ran in worker processes"


async def test_a_failing_entry_in_a_batch_fails_alone(tmp_path, site, fetcher, settings, pool, caplog) -> None:
    for n in (1, 2, 3):
        publish(site, n)
    url = site.set_feed("/feed.xml", entries=["story-3", "story-2", "story-1"])
    settings = dataclasses.replace(settings, feeds=dataclasses.replace(settings.feeds, first_poll_queue=10))
    store = await open_store(tmp_path / "f.db")
    try:
        real = store.add_articles
        batches: list[int] = []

        async def add_articles(batch: list[ArticleToStore], *, now: datetime) -> list:
            batches.append(len(batch))
            if any(item.article.title.endswith("Elmsworth2") for item in batch):
                raise RuntimeError("store refused story 2")
            return await real(batch, now=now)

        store.add_articles = add_articles  # type: ignore[method-assign]
        clock = Clock()
        feed = await subscribed_feed(store, url, now=clock())
        ingestor = Ingestor(settings, store, fetcher, clock=clock, cpu=pool)
        caplog.set_level(logging.WARNING, logger="bot.pipeline.ingest")
        result = await ingestor.poll_feed(feed)
        assert result.ok and result.new_articles == 2
        listed: Feed | None = await store.get_feed(feed.id)
        assert listed is not None and listed.failing_entries == 1
        assert "store refused story 2" in (listed.entry_error or "")
        assert [t for t, _ in await stored_stories(store, clock())] == [
            "Battery factory brings jobs to Elmsworth1", "Battery factory brings jobs to Elmsworth3"]
    finally:
        await store.close()


def test_a_batch_is_planned_as_one_article_at_a_time_would_be() -> None:
    index = StoryClusterer(0.6)
    index.add(7, fingerprint("Porthaven approves flood barrier", WIRE))
    fingerprints = [
        fingerprint("Battery factory jobs", story_text(1)),  # a new story
        fingerprint("Flood barrier for Porthaven", "PORTHAVEN (Wire) - " + WIRE),  # the indexed story
        None,  # no text: a story of its own
        fingerprint("Battery factory jobs", story_text(1) + "\n\nMore to follow."),  # item 0's story
        fingerprint("Porthaven barrier gets green light", WIRE + "\n\nMore to follow."),  # the indexed one
    ]
    plan = index.plan(fingerprints)
    assert plan == [(None, None), (7, None), (None, None), (None, 0), (7, None)]
    assert len(index) == 1, "planning leaves the index alone"

    # The same choices as matching and adding one at a time (new stories numbered after the stored ones).
    sequential = []
    for i, fp in enumerate(fingerprints):
        story = index.match(fp) if fp else None
        sequential.append(story)
        if fp:
            index.add(story if story is not None else 100 + i, fp)
    assert sequential == [None, 7, None, 100, 7]


def _die() -> None:
    os._exit(1)


async def test_a_worker_that_dies_is_replaced(pool) -> None:
    with pytest.raises(BrokenProcessPool):
        await pool.run(_die)
    assert await pool.run(os.getpid) in pool.pids(), "the next job runs on a new pool"


def test_workers_end_when_the_bot_is_killed() -> None:
    import signal
    import subprocess
    import sys
    import time

    code = ("import asyncio, os, time\n"
            "from bot.pipeline.workers import CpuPool\n"
            "pool = CpuPool(1)\n"
            "worker = asyncio.run(pool.run(os.getpid))\n"
            "print(worker, flush=True)\n"
            "time.sleep(600)\n")
    bot = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert bot.stdout is not None
        worker = int(bot.stdout.readline())
        os.kill(worker, 0)  # running
    finally:
        bot.send_signal(signal.SIGKILL)
        bot.wait()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(worker, signal.SIGKILL)
    raise AssertionError("the worker outlived the process that owned its pool")


async def test_a_worker_job_carries_the_build_settings_only(tmp_path, site, fetcher, settings) -> None:
    """What crosses to a worker is the summary settings and the article floor: never the token, and not
    the whole configuration pickled once per article."""
    secret = dataclasses.replace(settings, token="secret-token-value")
    jobs: list[object] = []

    class Recording(CpuPool):
        async def run(self, fn, *args):  # type: ignore[no-untyped-def]
            jobs.extend(args)
            return await super().run(fn, *args)

    publish(site, 1)
    url = site.set_feed("/feed.xml", entries=["story-1"])
    stories, new, _ = await ingest_with(tmp_path, "job", url, secret, fetcher, cpu=Recording(0))
    assert new == 1 and stories
    article_jobs = [j for j in jobs if type(j).__name__ == "ArticleJob"]
    assert len(article_jobs) == 1
    job_settings = article_jobs[0].settings  # type: ignore[attr-defined]
    assert job_settings.summary == settings.summary
    assert job_settings.min_article_chars == settings.feeds.min_article_chars
    assert b"secret-token-value" not in pickle.dumps(article_jobs[0])
