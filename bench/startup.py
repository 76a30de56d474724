"""Start-up time and memory of `newsbot run`, with the worker pool and without it, beside what the imports
alone cost, in one run.

    python -m bench.startup [--articles 1000] [--workers N]

Each configuration runs `newsbot run --role ingest` as its own process against a loopback feed (the news
site runs in a child process): the time from launch to the feed's first request (the first poll), resident
memory once that poll is done and the bot idles, then after the feed grows by `--articles` new articles and
they are all stored. The pool's workers (and the forkserver they fork from) are reported separately.
Memory is RSS (VmRSS) from /proc; the workers share their libraries' pages with nothing else, so their RSS
is what they add. Linux only.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.ingest import article_text

IMPORTS = [
    ("python alone", "pass"),
    ("import bot.app (this tree)", "import bot.app"),
    ("import aiohttp", "import aiohttp"),
    ("import discord", "import discord"),
    ("import numpy", "import numpy"),
    ("import feedparser", "import feedparser"),
    ("import trafilatura", "import trafilatura"),
    ("import scipy.integrate", "import scipy.integrate"),
    ("import datasketch (pulls scipy)", "import datasketch"),
    ("import nltk (pulls scipy)", "import nltk"),
    ("summaries + one summary (sumy, nltk)",
     "import summaries; summaries.summarize('The council met on Monday. It approved the budget. Residents "
     "were pleased. Work starts soon.', title='Budget', bullets=2, language='english', algorithm='default')"),
    ("today's import set: bot.app + datasketch + trafilatura + nltk",
     "import bot.app, datasketch, trafilatura, nltk"),
    ("a worker's import set (warm())", "from bot.pipeline.build import warm; warm()"),
]


def serve(articles: int, ready: mp.Queue, events: dict[str, mp.Event],  # type: ignore[type-arg]
          first: mp.Queue) -> None:  # type: ignore[type-arg]
    from tests.newsite import NewsSite

    async def main() -> None:
        async with NewsSite(gzip_responses=False) as site:
            base = datetime(2026, 11, 1, tzinfo=UTC)
            slugs = []
            for n in range(articles + 1):
                site.add_article(f"art-{n}", f"Riverton{n} approves budget", article_text(n),
                                 published=base + timedelta(minutes=n))
                slugs.append(f"art-{n}")
            site.set_feed("/feed.xml", entries=slugs[:1], title="Startup")
            ready.put(site.port)
            await asyncio.to_thread(events["armed"].wait)  # `feeds add` has read the feed: the next read is a poll
            before = site.hits["/feed.xml"]
            while site.hits["/feed.xml"] == before:  # noqa: ASYNC110 (the site counts hits, it has no event)
                await asyncio.sleep(0.005)
            first.put(time.time())
            await asyncio.to_thread(events["grow"].wait)
            site.set_feed("/feed.xml", entries=list(reversed(slugs)), title="Startup")
            await asyncio.to_thread(events["stop"].wait)

    asyncio.run(main())


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pss_mb(pid: int) -> float:
    """Proportional set size: shared pages split between the processes that share them."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    found = [int(p) for p in out.split()]
    return found + [g for c in found for g in children(c)]


def stored(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0


def wait_for(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


def run_bot(port: int, workers: int, articles: int, tmp: Path, events: dict[str, mp.Event],  # type: ignore[type-arg]
            first: mp.Queue) -> dict[str, float]:  # type: ignore[type-arg]
    db = tmp / f"bot-{workers}.db"
    config = tmp / f"bot-{workers}.toml"
    config.write_text(f"""[bot]
database = "{db}"
console_samples = false
log_level = "WARNING"
[net]
allow_private_addresses = true
per_host_concurrency = 32
[feeds]
poll_interval = 1
min_poll_interval = 1
jitter = 0
first_poll_queue = 1
max_entries = {articles + 10}
[scheduler]
poll_check_seconds = 0.2
ingest_workers = {workers}
""")
    newsbot = [sys.executable, "-m", "bot", "-c", str(config)]
    subprocess.run([*newsbot, "feeds", "add", f"http://127.0.0.1:{port}/feed.xml"], check=True,
                   capture_output=True)
    events["armed"].set()
    time.sleep(0.2)
    launched = time.time()
    bot = subprocess.Popen([*newsbot, "run", "--role", "ingest"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    try:
        first_poll = first.get(timeout=300) - launched
        wait_for(lambda: stored(db) >= 1, 300, "the first article")
        time.sleep(3)  # idle: the poll is done, the workers warmed
        workers_idle = [rss_mb(p) for p in children(bot.pid)]
        main_idle = rss_mb(bot.pid)
        events["grow"].set()
        started = time.time()
        wait_for(lambda: stored(db) >= articles + 1, 1200, f"{articles} articles")
        ingest_s = time.time() - started
        time.sleep(1)
        pool = children(bot.pid)
        workers_after = [rss_mb(p) for p in pool]
        return {"first_poll": first_poll, "main_idle": main_idle, "main_after": rss_mb(bot.pid),
                "main_peak": rss_mb(bot.pid, "VmHWM"), "workers_idle": sum(workers_idle),
                "workers_after": sum(workers_after), "processes": len(workers_after), "ingest_s": ingest_s,
                "largest_worker": max(workers_after, default=0.0), "workers_pss": sum(pss_mb(p) for p in pool),
                "main_pss": pss_mb(bot.pid)}
    finally:
        bot.terminate()
        try:
            bot.wait(timeout=30)
        except subprocess.TimeoutExpired:
            bot.kill()


def import_rss(code: str) -> tuple[float, float]:
    """(peak RSS MB, seconds) of a fresh interpreter running `code`."""
    probe = ("import time; t = time.perf_counter()\n" + code + "\nimport pathlib; s = time.perf_counter() - t\n"
             "print(s, [int(l.split()[1]) / 1024 for l in pathlib.Path('/proc/self/status').read_text()"
             ".splitlines() if l.startswith('VmHWM:')][0])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    return float(out[-1]), float(out[-2])


def one_config(articles: int, workers: int, tmp: Path) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    ready: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    first: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    events = {name: ctx.Event() for name in ("armed", "grow", "stop")}
    server = ctx.Process(target=serve, args=(articles, ready, events, first), daemon=True)
    server.start()
    try:
        port = ready.get(timeout=120)
        return run_bot(port, workers, articles, tmp, events, first)
    finally:
        for event in events.values():
            event.set()
        server.join(timeout=5)
        if server.is_alive():
            server.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    print("imports alone (fresh interpreter each; peak RSS, seconds)")
    for label, code in IMPORTS:
        mb, seconds = import_rss(code)
        print(f"  {label:<62}{mb:>7.0f} MB{seconds:>7.2f} s")

    with tempfile.TemporaryDirectory() as tmp:
        runs = [("threads (ingest_workers = 0)", one_config(args.articles, 0, Path(tmp))),
                (f"pool (ingest_workers = {args.workers})", one_config(args.articles, args.workers, Path(tmp)))]
    print(f"\nnewsbot run --role ingest, one loopback feed, then {args.articles} new articles (RSS in MB)")
    print(f"{'':<30}{'first poll':>11}{'main idle':>11}{'main after':>12}{'main peak':>11}"
          f"{'pool idle':>11}{'pool after':>12}{'largest':>9}{'PSS main+pool':>15}{'ingest':>9}")
    for label, r in runs:
        pool = f"{r['workers_after']:.0f} ({r['processes']:.0f})" if r["processes"] else "-"
        print(f"{label:<30}{r['first_poll']:>10.2f}s{r['main_idle']:>11.0f}{r['main_after']:>12.0f}"
              f"{r['main_peak']:>11.0f}{r['workers_idle']:>11.0f}{pool:>12}{r['largest_worker']:>9.0f}"
              f"{r['main_pss'] + r['workers_pss']:>15.0f}{r['ingest_s']:>8.1f}s")
    print("pool: the forkserver, its workers and multiprocessing's resource tracker (count in brackets); "
          "RSS counts pages they share once per process, PSS splits them")


if __name__ == "__main__":
    main()
