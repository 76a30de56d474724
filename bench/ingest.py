"""Ingest throughput on loopback: feeds polled per second (all new, all 304) and articles ingested per second.

    python -m bench.ingest [--feeds 1000] [--articles 200]

The news site runs in a child process, so the server does not share the pipeline's core. All feeds live on
one loopback host, so the per-host limit is raised to the total limit (real feeds are spread over many hosts).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import FeedSettings, NetSettings, SchedulerSettings, Settings
from bot.fetch.net import Fetcher
from bot.pipeline.ingest import Ingestor
from bot.store import open_store
from bot.work.poller import FeedPoller

ENTRIES_PER_FEED = 10


def article_text(n: int) -> str:
    return "\n\n".join([
        f"The council of Riverton{n} approved a budget of {n * 3} million pounds on Monday, ending a dispute "
        f"that had delayed road repairs across the district for {n % 11 + 2} months.",
        f"\"We finally have a plan that people can see on their own street,\" said council leader Ada Fenwick{n}.",
        "Opposition members said the plan relied on optimistic forecasts of business rates and warned that "
        "the repairs could stall again next winter if the economy slows.",
        f"The budget also includes money for {n % 40 + 10} new bus shelters and an extended library service, "
        "officials said, with the first contracts expected to be signed before the end of the year.",
        "Residents' groups welcomed the repairs but asked the council to publish a timetable for each ward.",
    ])


def serve(feeds: int, articles: int, ready: mp.Queue, stop: mp.Event) -> None:  # type: ignore[type-arg]
    from tests.newsite import FeedItem, NewsSite

    async def main() -> None:
        async with NewsSite(gzip_responses=False) as site:
            base = datetime(2026, 11, 1, tzinfo=UTC)
            for f in range(feeds):
                items = [FeedItem(guid=f"f{f}-e{e}", title=f"Feed {f} entry {e}", link=site.url(f"/a/{f}/{e}"),
                                  content="Short teaser.", published=base + timedelta(minutes=e))
                         for e in range(ENTRIES_PER_FEED)]
                site.set_feed(f"/feeds/{f}.xml", entries=items, title=f"Feed {f}")
            for n in range(articles):
                site.add_article(f"art-{n}", f"Riverton{n} approves budget", article_text(n),
                                 published=base + timedelta(minutes=n))
            site.set_feed("/articles.xml", entries=[f"art-{n}" for n in range(articles)], title="Articles")
            ready.put(site.port)
            await asyncio.to_thread(stop.wait)

    asyncio.run(main())


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def bench(port: int, feeds: int, articles: int, db: Path) -> None:
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        net=NetSettings(allow_private_addresses=True, per_host_concurrency=32, total_concurrency=32),
        feeds=FeedSettings(poll_interval=60, min_poll_interval=1, jitter=0, first_poll_queue=0,
                           max_entries=500),
        scheduler=SchedulerSettings(feed_concurrency=32),
    )
    clock_now = [datetime.now(UTC)]
    store = await open_store(db)
    async with Fetcher(settings.net) as fetcher:
        ingestor = Ingestor(settings, store, fetcher, clock=lambda: clock_now[0])
        poller = FeedPoller(ingestor, owner="bench:1:x", concurrency=settings.scheduler.feed_concurrency,
                            deadline=settings.scheduler.feed_deadline, lease=timedelta(minutes=5))
        for f in range(feeds):
            feed = await store.add_feed(f"{base}/feeds/{f}.xml", poll_interval=60, now=clock_now[0])
            await store.subscribe(1, 1000 + f, feed.id, now=clock_now[0])

        started = time.perf_counter()
        results = await poller.poll_due()
        new_s = time.perf_counter() - started
        assert len(results) == feeds and all(r.ok for r in results), [r.error for r in results if not r.ok][:3]

        clock_now[0] += timedelta(seconds=120)
        started = time.perf_counter()
        results = await poller.poll_due()
        cached_s = time.perf_counter() - started
        assert all(r.not_modified for r in results), "expected every feed to answer 304"

        settings_all = Settings(net=settings.net, scheduler=settings.scheduler,
                                feeds=FeedSettings(first_poll_queue=articles, min_poll_interval=1, jitter=0))
        ingest_all = Ingestor(settings_all, store, fetcher, clock=lambda: clock_now[0])
        feed = await store.add_feed(f"{base}/articles.xml", now=clock_now[0])
        await store.subscribe(1, 1, feed.id, now=clock_now[0])
        started = time.perf_counter()
        result = await ingest_all.poll_feed(feed)
        ingest_s = time.perf_counter() - started
        assert result.new_articles == articles, result

        hits = await store.search(1, "council budget", limit=5)
        assert hits, "ingested stories are searchable"
    await store.close()

    print(f"{'measure':<44}{'value':>12}")
    print(f"{'feeds polled/s, all new (' + str(feeds) + ' feeds)':<44}{feeds / new_s:>12.0f}   ({new_s:.2f} s)")
    print(f"{'feeds polled/s, all 304 (' + str(feeds) + ' feeds)':<44}{feeds / cached_s:>12.0f}   ({cached_s:.2f} s)")
    print(f"{'articles ingested/s end to end':<44}{articles / ingest_s:>12.1f}   ({articles} in {ingest_s:.2f} s)")
    print(f"{'peak RSS (MB)':<44}{peak_rss_mb():>12.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--articles", type=int, default=200)
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    ready: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    stop = ctx.Event()
    server = ctx.Process(target=serve, args=(args.feeds, args.articles, ready, stop), daemon=True)
    server.start()
    try:
        port = ready.get(timeout=120)
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(bench(port, args.feeds, args.articles, Path(tmp) / "bench.db"))
    finally:
        stop.set()
        server.join(timeout=5)
        if server.is_alive():
            server.terminate()


if __name__ == "__main__":
    main()
