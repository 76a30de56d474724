"""Ingest throughput on loopback: articles per second end to end, today's path beside the new one and the
libraries alone, in one run; then feeds polled per second (all new, all 304).

    python -m bench.ingest [--feeds 1000] [--articles 200] [--rounds 3] [--workers N] [--baseline-rev REV]

"today" is the path before the worker pool: CPU stages in threads, one store write per article. "new" runs
them in `--workers` processes (default: one per core) and stores each run of ready articles in one write.
The baseline is feedparser on the feed body plus trafilatura.extract on every page, already fetched.
`--baseline-rev REV` adds the whole application as it was at a git revision (its `bot` and `summaries`
extracted to a temporary directory and run in a child process of its own, polling the same feed into a
fresh database, round by round between the others): the issue's "today" is the revision it was filed
against (f530e25), which the "today" row above no longer is (it shares this revision's stages and store).

The news site runs in a child process, so the server does not share the pipeline's core. All feeds live on
one loopback host, so the per-host limit is raised to the total limit (real feeds are spread over many hosts).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import multiprocessing as mp
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import FeedSettings, NetSettings, SchedulerSettings, Settings
from bot.fetch.net import Fetcher
from bot.pipeline.ingest import WRITE_BATCH, Ingestor
from bot.pipeline.workers import CpuPool, default_workers
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


def bench_settings(**feeds: int) -> Settings:
    return Settings(
        net=NetSettings(allow_private_addresses=True, per_host_concurrency=32, total_concurrency=32),
        feeds=FeedSettings(poll_interval=60, min_poll_interval=1, jitter=0, max_entries=500, **feeds),
        scheduler=SchedulerSettings(feed_concurrency=32),
    )


async def baseline(base: str, articles: int) -> float:
    """feedparser + trafilatura alone on the same feed body and pages (fetched beforehand): seconds."""
    import aiohttp
    import feedparser
    import trafilatura

    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/articles.xml") as r:
            body = await r.read()
        pages = []
        for n in range(articles):
            async with session.get(f"{base}/articles/art-{n}") as r:
                pages.append(await r.read())
    started = time.perf_counter()
    parsed = feedparser.parse(body)
    texts = [trafilatura.extract(page) for page in pages]
    elapsed = time.perf_counter() - started
    assert len(parsed.entries) == articles and all(texts)
    return elapsed


# Run by the revision's own Python code: the same poll as ingest_once, with that revision's API (unchanged
# since the pipeline's first split: Ingestor(settings, store, fetcher, clock=), add_feed, subscribe, poll_feed).
_REV_DRIVER = """
import asyncio, json, resource, sys, time
from datetime import UTC, datetime
from bot.config import FeedSettings, NetSettings, SchedulerSettings, Settings
from bot.fetch.net import Fetcher
from bot.pipeline.ingest import Ingestor
from bot.store import open_store

base, articles = sys.argv[1], int(sys.argv[2])
settings = Settings(
    net=NetSettings(allow_private_addresses=True, per_host_concurrency=32, total_concurrency=32),
    feeds=FeedSettings(poll_interval=60, min_poll_interval=1, jitter=0, max_entries=500,
                       first_poll_queue=articles),
    scheduler=SchedulerSettings(feed_concurrency=32))

async def once(db):
    now = datetime.now(UTC)
    store = await open_store(db)
    try:
        async with Fetcher(settings.net) as fetcher:
            ingestor = Ingestor(settings, store, fetcher, clock=lambda: now)
            feed = await store.add_feed(f"{base}/articles.xml", now=now)
            await store.subscribe(1, 1, feed.id, now=now)
            usage = resource.getrusage(resource.RUSAGE_SELF)
            cpu = usage.ru_utime + usage.ru_stime
            started = time.perf_counter()
            result = await ingestor.poll_feed(feed)
            elapsed = time.perf_counter() - started
            usage = resource.getrusage(resource.RUSAGE_SELF)
            assert result.new_articles == articles, result
            assert await store.search(1, "council budget", limit=5)
            return elapsed, usage.ru_utime + usage.ru_stime - cpu
    finally:
        await store.close()

for line in sys.stdin:
    elapsed, cpu = asyncio.run(once(line.strip()))
    print(json.dumps([elapsed, cpu]), flush=True)
"""


class RevisionIngest:
    """The application at a git revision, in a child process that polls the bench's feed on request."""

    def __init__(self, rev: str, base: str, articles: int, tmp: Path) -> None:
        root = Path(__file__).resolve().parent.parent
        tree = tmp / f"rev-{rev}"
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(root), "archive", rev, "bot", "summaries"],
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
        self.rev, self.tmp, self._n = rev, tmp, 0
        self.proc = subprocess.Popen([sys.executable, "-c", _REV_DRIVER, base, str(articles)], cwd=tree,
                                     env={**os.environ, "PYTHONPATH": str(tree)}, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    async def once(self) -> tuple[float, float]:
        """(seconds, CPU seconds) of one poll of the 200-article feed into a fresh database."""
        self._n += 1
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{self.tmp / f'rev-{self._n}.db'}\n")
        self.proc.stdin.flush()
        line = await asyncio.to_thread(self.proc.stdout.readline)
        if not line:
            raise RuntimeError(f"the {self.rev} ingest child exited ({self.proc.wait()})")
        elapsed, cpu = json.loads(line)
        return float(elapsed), float(cpu)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def process_cpu_s(pid: int | None = None) -> float:
    """CPU seconds (user + system) of this process, all threads, or of process `pid` (Linux /proc)."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def ingest_once(base: str, articles: int, db: Path, fetcher: Fetcher, *, cpu: CpuPool,
                      write_batch: int, cpu_used: list[tuple[float, float]] | None = None) -> float:
    """One poll of the 200-article feed into a fresh database: seconds, checked for what it stored.
    Appends (this process's, the workers') CPU seconds to `cpu_used`."""
    settings = bench_settings(first_poll_queue=articles)
    now = datetime.now(UTC)
    store = await open_store(db)
    try:
        ingestor = Ingestor(settings, store, fetcher, clock=lambda: now, cpu=cpu, write_batch=write_batch)
        feed = await store.add_feed(f"{base}/articles.xml", now=now)
        await store.subscribe(1, 1, feed.id, now=now)
        pids = cpu.pids()
        main_before, workers_before = process_cpu_s(), sum(process_cpu_s(p) for p in pids)
        started = time.perf_counter()
        result = await ingestor.poll_feed(feed)
        elapsed = time.perf_counter() - started
        if cpu_used is not None:
            cpu_used.append((process_cpu_s() - main_before, sum(process_cpu_s(p) for p in pids) - workers_before))
        assert result.new_articles == articles, result
        assert await store.search(1, "council budget", limit=5), "ingested stories are searchable"
    finally:
        await store.close()
    return elapsed


async def feeds_polled(base: str, feeds: int, db: Path, fetcher: Fetcher, cpu: CpuPool) -> tuple[float, float]:
    """Seconds to poll `feeds` feeds of 10 new entries each, then the same feeds all answering 304."""
    settings = bench_settings(first_poll_queue=0)
    clock_now = [datetime.now(UTC)]
    store = await open_store(db)
    try:
        ingestor = Ingestor(settings, store, fetcher, clock=lambda: clock_now[0], cpu=cpu)
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
    finally:
        await store.close()
    return new_s, cached_s


async def bench(port: int, feeds: int, articles: int, rounds: int, workers: int, tmp: Path,
                baseline_rev: str | None = None) -> None:
    base = f"http://127.0.0.1:{port}"
    settings = bench_settings()
    today, new, base_s, rev_s = [], [], [], []
    today_cpu: list[tuple[float, float]] = []
    new_cpu: list[tuple[float, float]] = []
    rev_cpu: list[tuple[float, float]] = []
    rev = None
    if baseline_rev:
        try:
            rev = RevisionIngest(baseline_rev, base, articles, tmp)
        except subprocess.CalledProcessError:  # a shallow clone, or a revision this clone does not have
            print(f"[baseline-rev] {baseline_rev} is not in this clone's history: its row is left out")
            baseline_rev = None
    try:
        with CpuPool(workers) as cpu:
            cpu.start()
            async with Fetcher(settings.net) as fetcher:
                # Warm every path (imports, the workers' set-up) outside the timings.
                await ingest_once(base, articles, tmp / "warm-a.db", fetcher, cpu=CpuPool(0), write_batch=1)
                await ingest_once(base, articles, tmp / "warm-b.db", fetcher, cpu=cpu, write_batch=WRITE_BATCH)
                if rev is not None:
                    await rev.once()
                for r in range(rounds):  # interleaved, so a busy moment of the machine hits every path
                    base_s.append(await baseline(base, articles))
                    if rev is not None:
                        seconds, cpu_s = await rev.once()
                        rev_s.append(seconds)
                        rev_cpu.append((cpu_s, 0.0))
                    today.append(await ingest_once(base, articles, tmp / f"today-{r}.db", fetcher,
                                                   cpu=CpuPool(0), write_batch=1, cpu_used=today_cpu))
                    new.append(await ingest_once(base, articles, tmp / f"new-{r}.db", fetcher, cpu=cpu,
                                                 write_batch=WRITE_BATCH, cpu_used=new_cpu))
                polled = await feeds_polled(base, feeds, tmp / "feeds.db", fetcher, cpu) if feeds else None
    finally:
        if rev is not None:
            rev.close()

    base_rate, today_rate, new_rate = (articles / statistics.median(s) for s in (base_s, today, new))
    print(f"end-to-end ingest of {articles} articles on loopback, median of {rounds} interleaved rounds; "
          f"{workers} worker processes, {os.cpu_count()} cores")
    reference = articles / statistics.median(rev_s) if rev_s else today_rate
    print(f"{'path':<58}{'articles/s':>11}{'vs ' + (baseline_rev or 'today'):>13}{'vs baseline':>13}")
    rows = [("baseline: feedparser + trafilatura alone (no fetch, no store)", base_rate)]
    if rev_s:
        rows.append((f"{baseline_rev}: the application at that revision", reference))
    rows += [("today: threads, one write per article", today_rate),
             (f"new: {workers} worker processes, one write per ready run", new_rate)]
    for label, rate in rows:
        print(f"{label:<58}{rate:>11.1f}{rate / reference:>12.2f}x{rate / base_rate:>12.2f}x")
    print(f"rounds (s): baseline {_fmt(base_s)}; " + (f"{baseline_rev} {_fmt(rev_s)}; " if rev_s else "")
          + f"today {_fmt(today)}; new {_fmt(new)}")
    used_by = [("today", today_cpu), ("new", new_cpu)] + ([(baseline_rev, rev_cpu)] if rev_cpu else [])
    print("CPU per article, median (ms): "
          + "; ".join(f"{label} main process {statistics.median(m for m, _ in used) / articles * 1000:.1f}, "
                      f"workers {statistics.median(w for _, w in used) / articles * 1000:.1f}"
                      for label, used in used_by))
    print(f"load average during the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if polled is not None:
        new_s, cached_s = polled
        print(f"feeds polled/s, new path, all new ({feeds} feeds of {ENTRIES_PER_FEED}): "
              f"{feeds / new_s:.0f} ({new_s:.2f} s); all 304: {feeds / cached_s:.0f} ({cached_s:.2f} s)")
    print(f"peak RSS of this process (MB): {peak_rss_mb():.0f}")


def _fmt(seconds: list[float]) -> str:
    return " ".join(f"{s:.2f}" for s in seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=default_workers(), help="worker processes of the new path")
    parser.add_argument("--baseline-rev", help="also time the application at this git revision (e.g. f530e25)")
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    ready: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    stop = ctx.Event()
    server = ctx.Process(target=serve, args=(args.feeds, args.articles, ready, stop), daemon=True)
    server.start()
    try:
        port = ready.get(timeout=120)
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(bench(port, args.feeds, args.articles, args.rounds, args.workers, Path(tmp),
                              args.baseline_rev))
    finally:
        stop.set()
        server.join(timeout=5)
        if server.is_alive():
            server.terminate()


if __name__ == "__main__":
    main()
