"""The work model, measured: feeds polled per second with 1, 2 and 4 `newsbot run --role ingest` processes
sharing one database (2,000 loopback feeds), and search latency on SQLite while ingest writes run, beside
idle.

    python -m bench.work [--feeds 2000] [--processes 1,2,4] [--postgres postgresql://user@host/db]

Each round starts fresh: a new database holding the feeds, all due, then N ingest processes. A pass ends
when every feed has been polled; its rate is feeds / (last poll - first poll), read from the database, so
process start-up is not counted. Pass 1 is every feed's first poll (a 200 with ten entries: parse, record
the entries as seen); pass 2 makes every feed due again and every poll is a 304. The feed server runs in a
child process of its own. All feeds live on one loopback host, so the per-host limit is raised (real feeds
are spread over many hosts).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.ingest import serve
from bot.models import NewArticle

ROOT = Path(__file__).resolve().parents[1]
WORDS = [
    "council", "budget", "harbour", "river", "school", "bridge", "election", "court", "hospital", "rail",
    "airport", "storm", "energy", "factory", "museum", "police", "festival", "tax", "housing", "water",
    "climate", "farm", "market", "ferry", "library", "union", "port", "minister", "mayor", "judge", "trial",
    "vote", "strike", "bank", "price", "wage", "fuel", "grid", "tower", "road", "tunnel",
]


def config_text(database: str, port: int) -> str:
    return (f'[bot]\ndatabase = "{database}"\nlog_level = "WARNING"\n'
            "[net]\nallow_private_addresses = true\nper_host_concurrency = 64\ntotal_concurrency = 64\n"
            "[feeds]\npoll_interval = 3600\njitter = 0\nfirst_poll_queue = 0\n"
            "[scheduler]\npoll_check_seconds = 0.05\nfeed_concurrency = 32\nlease_seconds = 60\n")


async def open_db(database: str) -> Any:
    if database.startswith("postgres"):
        from bot.store import open_store  # type: ignore[attr-defined]

        return await open_store(database)
    from bot.store import open_store

    return await open_store(database)


async def seed(database: str, port: int, feeds: int) -> None:
    store = await open_db(database)
    now = datetime.now(UTC)
    try:
        for f in range(feeds):
            feed = await store.add_feed(f"http://127.0.0.1:{port}/feeds/{f}.xml", poll_interval=3600, now=now)
            await store.subscribe(1, 1000 + f, feed.id, now=now)
    finally:
        await store.close()


async def polled(database: str, since: datetime) -> list[datetime]:
    """last_polled_at of every feed polled at or after `since`."""
    if database.startswith("postgres"):
        import asyncpg  # type: ignore[import-untyped]

        conn = await asyncpg.connect(database)
        try:
            rows = await conn.fetch("SELECT last_polled_at FROM feeds WHERE last_polled_at >= $1", since)
        finally:
            await conn.close()
        return [r[0] for r in rows]
    db = sqlite3.connect(database, timeout=30)
    try:
        rows = db.execute("SELECT last_polled_at FROM feeds WHERE last_polled_at >= ?",
                          (since.isoformat(timespec="microseconds"),)).fetchall()
    finally:
        db.close()
    return [datetime.fromisoformat(r[0]) for r in rows]


async def make_due(database: str) -> None:
    now = datetime.now(UTC)
    if database.startswith("postgres"):
        import asyncpg

        conn = await asyncpg.connect(database)
        try:
            await conn.execute("UPDATE feeds SET next_poll_at = $1", now)
        finally:
            await conn.close()
        return
    db = sqlite3.connect(database, timeout=30)
    try:
        db.execute("UPDATE feeds SET next_poll_at = ?", (now.isoformat(timespec="microseconds"),))
        db.commit()
    finally:
        db.close()


async def wait_pass(database: str, since: datetime, feeds: int, timeout: float = 900) -> float:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while True:
        times = await polled(database, since)
        if len(times) >= feeds:
            span = (max(times) - min(times)).total_seconds()
            return feeds / span if span > 0 else float("inf")
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(times)} of {feeds} feeds polled in {timeout:.0f} s")
        await asyncio.sleep(0.5)


async def round_trip(database: str, port: int, feeds: int, processes: int, tmp: Path) -> tuple[float, float]:
    await seed(database, port, feeds)
    config = tmp / f"work-{processes}.toml"
    config.write_text(config_text(database, port), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "NEWSBOT_DISCORD_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    start = datetime.now(UTC)
    procs = [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--role", "ingest", "--config", str(config),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL) for _ in range(processes)]
    try:
        first = await wait_pass(database, start, feeds)
        again = datetime.now(UTC)
        await make_due(database)
        cached = await wait_pass(database, again, feeds)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            await proc.wait()
    return first, cached


def article(feed_id: int, n: int, rng: random.Random) -> NewArticle:
    words = [rng.choice(WORDS) for _ in range(60)]
    title = " ".join(words[:8]).capitalize() + f" {n}"
    text = ". ".join(" ".join(words[i:i + 12]) for i in range(0, 60, 12)) + "."
    url = f"https://bench.example/{n}"
    return NewArticle(feed_id=feed_id, guid=f"g{n}", url=url, canonical_url=url, title=title, text=text,
                      text_source="page", bullets=(text[:200],), quotes=(), word_count=60, reading_minutes=1,
                      reduction=0.5, published_at=datetime.now(UTC))


async def search_latencies(store: Any, queries: list[str], rounds: int) -> list[float]:
    out: list[float] = []
    for i in range(rounds):
        started = time.perf_counter()
        await store.search(1, queries[i % len(queries)], limit=5)
        out.append((time.perf_counter() - started) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


async def search_under_writes(tmp: Path, stories: int) -> None:
    from bot.store import open_store

    store = await open_store(tmp / "search.db")
    rng = random.Random(7)
    now = datetime.now(UTC)
    feed = await store.add_feed("https://bench.example/rss", now=now)
    await store.subscribe(1, 10, feed.id, now=now)
    await store.bulk_load([article(feed.id, n, rng) for n in range(stories)], now=now)
    queries = [f"{a} {b}" for a, b in zip(WORDS, reversed(WORDS), strict=True)]
    await search_latencies(store, queries, 20)  # warm the caches
    idle = await search_latencies(store, queries, 300)
    writes = 0
    stop = asyncio.Event()

    async def ingest() -> None:  # the `all` role: ingest writes in the same process as commands
        nonlocal writes
        n = stories
        while not stop.is_set():
            await store.add_article(article(feed.id, n, rng), story_id=None, now=datetime.now(UTC))
            n += 1
            writes += 1

    writer = asyncio.create_task(ingest())
    await asyncio.sleep(0.5)
    started, before = time.perf_counter(), writes
    busy = await search_latencies(store, queries, 300)
    rate = (writes - before) / (time.perf_counter() - started)
    stop.set()
    await writer
    await store.close()
    print(f"\nSQLite search, {stories} stories, 300 queries each (ms)")
    print(f"{'':<34}{'p50':>8}{'p95':>8}")
    print(f"{'idle (baseline)':<34}{p(idle, 50):>8.2f}{p(idle, 95):>8.2f}")
    print(f"{f'while ingest writes ({rate:.0f} stories/s)':<34}{p(busy, 50):>8.2f}{p(busy, 95):>8.2f}")


async def fresh_postgres(dsn: str) -> str:
    import asyncpg

    name = f"newsbot_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, query = dsn.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")


async def run(port: int, args: argparse.Namespace, tmp: Path) -> None:
    backends = [("SQLite", None)] + ([("PostgreSQL", args.postgres)] if args.postgres else [])
    print(f"feeds polled per second, {args.feeds} loopback feeds, `newsbot run --role ingest` processes "
          f"({os.cpu_count()} cores)")
    print(f"{'backend':<12}{'processes':>10}{'first poll (200)/s':>20}{'unchanged (304)/s':>20}")
    for name, dsn in backends:
        for n in args.processes:
            database = await fresh_postgres(dsn) if dsn else str(tmp / f"poll-{n}.db")
            first, cached = await round_trip(database, port, args.feeds, n, tmp)
            print(f"{name:<12}{n:>10}{first:>20.0f}{cached:>20.0f}")
    await search_under_writes(tmp, args.stories)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--processes", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4])
    parser.add_argument("--stories", type=int, default=20_000, help="stories in the search database")
    parser.add_argument("--postgres", help="a PostgreSQL DSN to run the polling rounds on too")
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    ready: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    stop = ctx.Event()
    server = ctx.Process(target=serve, args=(args.feeds, 0, ready, stop), daemon=True)
    server.start()
    try:
        port = ready.get(timeout=300)
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(run(port, args, Path(tmp)))
    finally:
        stop.set()
        server.join(timeout=5)


if __name__ == "__main__":
    main()
