"""Search benchmark: the same synthetic stories in each backend, then `Store.search` timed on the same queries.

    python -m bench.search [--stories 100000] [--backends sqlite,postgres] [--postgres URL] [--db PATH]
                           [--per-kind 40] [--recall-per-kind 10] [--text-words 250] [--load-concurrency 6]

Prints per backend and query kind (the issue's five: rare word, two terms, common word, a person's name,
no hit; then prefix, typed quotes and stop word as extras) p50/p95 of `Store.search` end to end (limit 5,
StoryViews included) beside the baseline in the same run, interleaved query by query: plain full-text
top-10 over the whole index (SQLite: FTS5 `ORDER BY bm25 LIMIT 10`; PostgreSQL: GIN match ordered by
ts_rank_cd), unscoped and without views. Then recall@10 against each backend's exhaustive ranking of the
same window (`exhaustive_story_ids`: every match in guild 1's scope, the newest RANK_WINDOW of them, sorted
in SQL by FTS5 bm25 / ts_rank_cd) and against the exhaustive ranking of all matches (what the window
costs). The vocabulary is Zipf-distributed, so common words match hundreds of thousands of stories at 1M
and rare ones a handful, as in real news.

After the load the store's `tidy_search_index` runs, as the bot's retention job does (SQLite: the FTS5 index
merged into one segment, in steps; PostgreSQL: the GIN pending list cleared); `--no-tidy` skips it, to see
what an untidied index costs. A database is built once and reused: SQLite with --db PATH (filled when empty),
PostgreSQL in a database named newsbot_bench on --postgres URL (else $NEWSBOT_BENCH_POSTGRES or
$NEWSBOT_TEST_POSTGRES, else a throwaway cluster from the machine's PostgreSQL binaries, gone at exit).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import random
import resource
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from bench.pgadmin import postgres_admin
from bot.models import NewArticle, QuoteRecord
from bot.store import Store, open_store

T = TypeVar("T")

NEWS_WORDS = """
government minister election president police court city council health hospital school climate
energy market economy bank inflation prices budget tax trade war peace talks ceasefire army troops
border migrants vote parliament senate congress party leader campaign poll protest strike union
workers jobs wages company shares profits investors technology artificial intelligence data privacy
cyber attack hackers software phone internet social media football league cup match goal team coach
player transfer season final tennis olympics record weather storm flood rain heat wildfire drought
earthquake volcano hurricane scientists study research university vaccine virus outbreak cancer drug
treatment patients doctors nurses housing rent mortgage rates interest crisis report investigation
inquiry scandal fraud trial judge jury sentence prison murder shooting crash accident train airport
flights airline travel tourism holiday festival music film award actor singer album concert museum
art history royal king queen prince church water electricity gas oil nuclear solar wind power plant
emissions carbon pollution wildlife ocean farmers food supply shortage exports imports tariffs
sanctions russia ukraine china india europe africa america britain france germany japan brazil
canada australia mexico israel gaza iran syria korea
""".split()  # noqa: SIM905

# Function words head every real Zipf curve; without them the news words would sit at ranks 1-250 and
# appear in every synthetic article, which no real word but "the" does.
STOPWORDS = """
the of and to a in that is for on it with as was he said by at from his be have has an are not but
they this its who were been their will more after would had which about when also one new two up out
than over into year other we could people first last says can her some all i she if no them there so
years
""".split()  # noqa: SIM905

FIRST = 'Anna Gordon Maria Jose Li Wei Fatima Ahmed Olga Ivan Sarah James Emma Lucas Chen Priya Kofi Ingrid'.split()  # noqa: SIM905
LAST = 'Brown Smith Garcia Ramos-Horta Nguyen Müller Rossi Kowalski Okafor Tanaka Silva Dubois Jensen'.split()  # noqa: SIM905


def vocabulary(rng: random.Random, synthetic: int = 20_000) -> tuple[list[str], list[float]]:
    """News words at the top of a Zipf curve, then a long tail of made-up words (names, places, jargon)."""
    syllables = ["ka", "lo", "mi", "ren", "tor", "sa", "vel", "quin", "dor", "ast", "bel", "nim", "ox",
                 "pra", "zu", "ther", "gal", "mon", "ri", "sel"]
    tail = {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(synthetic)}
    news = list(NEWS_WORDS)
    rng.shuffle(news)
    words = [*STOPWORDS, *news, *sorted(tail - set(news))]
    cum, total = [], 0.0
    for rank in range(1, len(words) + 1):
        total += 1.0 / rank ** 1.07
        cum.append(total)
    return words, cum


class Generator:
    def __init__(self, seed: int, text_words: int) -> None:
        self.rng = random.Random(seed)
        self.words, self.cum = vocabulary(self.rng)
        self.text_words = text_words

    def sentence(self, n: int) -> str:
        words = self.rng.choices(self.words, cum_weights=self.cum, k=n)
        return " ".join(words).capitalize() + "."

    def article(self, n: int, feed_id: int) -> NewArticle:
        rng = self.rng
        quotes = tuple(
            QuoteRecord(self.sentence(rng.randint(6, 16)), f"{rng.choice(FIRST)} {rng.choice(LAST)}")
            for _ in range(rng.choice((0, 0, 1, 1, 2)))
        )
        url = f"https://outlet{feed_id}.example/news/{n}"
        return NewArticle(
            feed_id=feed_id, guid=url, url=url, canonical_url=url,
            title=self.sentence(rng.randint(6, 12)).rstrip("."),
            text=" ".join(self.sentence(rng.randint(10, 25)) for _ in range(self.text_words // 17)),
            text_source="page", bullets=tuple(self.sentence(rng.randint(14, 26)) for _ in range(3)),
            quotes=quotes, word_count=self.text_words, reading_minutes=max(1, self.text_words // 230),
            reduction=0.85, published_at=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=n),
        )

    def queries(self, per_kind: int, seed: int) -> list[tuple[str, str]]:
        """(kind, query) pairs, `per_kind` of each kind; the issue's five kinds first, then extras. Drawn
        from their own generator, so a reused database gets the same queries as a freshly built one."""
        rng = random.Random(seed)
        content = self.words[len(STOPWORDS):]  # people search for content words, not "the"
        top, mid, tail = content[:60], content[60:2000], content[2000:]
        makers: dict[str, Callable[[], str]] = {
            "rare word": lambda: rng.choice(tail),
            "two terms": lambda: f"{rng.choice((top, mid))[rng.randrange(60)]} {rng.choice(mid)}",
            "common word": lambda: rng.choice(top),  # in 10-30% of stories
            "person's name": lambda: rng.choice((rng.choice(LAST), f"{rng.choice(FIRST)} {rng.choice(LAST)}")),
            "no hit": lambda: "zzqx" + str(rng.randint(0, 9999)),
            "prefix": lambda: rng.choice(NEWS_WORDS)[:4] + "*",
            "typed quotes": lambda: f'"{rng.choice(top)} {rng.choice(top)}"',
            "stop word": lambda: rng.choice(STOPWORDS[:20]),  # matches nearly every story
        }
        return [(kind, make()) for kind, make in makers.items() for _ in range(per_kind)]


async def fill(store: Store, stories: int, gen: Generator, batch: int = 2000, concurrency: int = 1,
               start: int = 0) -> None:
    """The stories through `Store.bulk_load`; with `concurrency` > 1, that many loads at once (PostgreSQL:
    each on its own connection, so round-trip latency on a busy machine is not the whole build time).
    From `start`, an interrupted build resumes: the generator replays the first `start` stories unstored."""
    now = datetime(2024, 6, 1, tzinfo=UTC)
    feeds = [await store.add_feed(f"https://outlet{i}.example/rss", title=f"Outlet {i}", now=now)
             for i in range(40)]
    for i, feed in enumerate(feeds):  # guild 1 follows 30 outlets, guild 2 the other 10
        await store.subscribe(1 if i < 30 else 2, 100 + i, feed.id, now=now)
    for n in range(start):
        gen.article(n, feeds[n % len(feeds)].id)
    done = start
    slots = asyncio.Semaphore(concurrency)

    async def load(articles: list[NewArticle]) -> None:
        nonlocal done
        try:
            await store.bulk_load(articles, now=now)
        finally:
            slots.release()
        before, done = done, done + len(articles)
        if before // 20_000 != done // 20_000 or done == stories:
            print(f"  loaded {done:,} stories")

    tasks = []
    for first in range(start, stories, batch):
        n = min(batch, stories - first)
        articles = [gen.article(first + k, feeds[(first + k) % len(feeds)].id) for k in range(n)]
        await slots.acquire()
        tasks.append(asyncio.create_task(load(articles)))
    await asyncio.gather(*tasks)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


async def exhaustive(kind: str, store: Store, query: str, window: int | None) -> list[int]:
    """The backend's reference ranking of the same scope (guild 1) and window, or of every match (None)."""
    if kind == "sqlite":
        from bot.store.sqlite import search as lite

        ranked = functools.partial(lite.exhaustive_story_ids, guild_id=1, query=query, limit=10, window=window)
        return await store._read_sync(ranked)  # type: ignore[attr-defined, no-any-return]
    from bot.store.postgres import search as pg

    async with store._read() as conn:  # type: ignore[attr-defined]
        return await pg.exhaustive_story_ids(conn, 1, query, limit=10, window=window)


async def plain(kind: str, store: Store, query: str, give_up_after: float) -> list[int] | None:
    """The baseline: plain full-text top-10 over the whole index (FTS5 bm25 / GIN + ts_rank_cd), unscoped;
    None past `give_up_after` seconds."""
    if kind == "sqlite":
        from bot.store.sqlite import search as lite

        return await store._read_sync(lite.plain_top, query, 10, give_up_after)  # type: ignore[attr-defined, no-any-return]
    from bot.store.postgres import search as pg

    async with store._read() as conn:  # type: ignore[attr-defined]
        return await pg.plain_top(conn, query, 10, give_up_after)


def recall(got: list[list[int]], exact: list[list[int]]) -> str:
    scored = [len(set(g) & set(e)) / len(e) for g, e in zip(got, exact, strict=True) if e]
    return f"{statistics.fmean(scored):.3f} ({len(scored)})" if scored else "n/a"


async def timed(call: Awaitable[T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = await call
    return (time.perf_counter() - started) * 1000, result


async def measure(kind: str, database: str, args: argparse.Namespace) -> list[str]:
    gen = Generator(args.seed, args.text_words)  # the same stories and queries for every backend
    lines: list[str] = []
    store = await open_store(database)
    try:
        have = await stored(kind, store)
        if have < args.stories:
            started = time.perf_counter()
            print(f"[{kind}] filling with {args.stories:,} stories ({have:,} there) ...")
            await fill(store, args.stories, gen, concurrency=args.load_concurrency if kind == "postgres" else 1,
                       start=have)
            load = f"{time.perf_counter() - started:.1f} s" + (f" (resumed at {have:,})" if have else "")
        else:
            print(f"[{kind}] using the {have:,} stories already there")
            load = "(reused)"
        # What the running bot's retention job does after a day of writes (a bulk load leaves the SQLite
        # index in several segments, each read by every search); timed, and a no-op when already done.
        started = time.perf_counter()
        steps = 0 if args.no_tidy else await store.tidy_search_index()
        tidy = "not tidied" if args.no_tidy else \
            f"tidy_search_index {time.perf_counter() - started:.1f} s (returned {steps})"
        lines.append(f"[{kind}] {args.stories:,} stories, load {load}, {tidy}, "
                     f"{await database_size(kind, store, database)}")
        queries = gen.queries(args.per_kind, args.seed + 1)
        for _, q in queries[::7]:  # warm the caches, as a running bot's would be
            await store.search(1, q)
            await plain(kind, store, q, args.plain_timeout)
        ours: dict[str, list[float]] = {}
        base: dict[str, list[float]] = {}
        cut = args.plain_timeout * 1000
        for qkind, q in queries:  # interleaved, so load on the machine hits both alike
            ms, _ = await timed(store.search(1, q, limit=5))
            ours.setdefault(qkind, []).append(ms)
            if len(base.setdefault(qkind, [])) < args.plain_per_kind:
                ms, top = await timed(plain(kind, store, q, args.plain_timeout))
                base[qkind].append(cut if top is None else ms)  # past the timeout: counted as the timeout
        got: dict[str, list[list[int]]] = {}
        same: dict[str, list[list[int]]] = {}
        every: dict[str, list[list[int]]] = {}
        got_all: dict[str, list[list[int]]] = {}  # ours, for the queries also ranked against all matches
        if args.recall_per_kind:
            print(f"[{kind}] recall: exhaustive rankings ...")
            window = RANK_WINDOWS[kind]()
            for qkind, q in queries:
                if len(got.setdefault(qkind, [])) >= args.recall_per_kind:
                    continue
                got[qkind].append([v.story_id for v in await store.search(1, q, limit=10)])
                same.setdefault(qkind, []).append(await exhaustive(kind, store, q, window))
                if len(every.setdefault(qkind, [])) < args.recall_all_per_kind:
                    got_all.setdefault(qkind, []).append(got[qkind][-1])
                    every[qkind].append(await exhaustive(kind, store, q, None))
        head = (f"{'kind':<14} {'n':>4}  {'ours p50':>9} {'ours p95':>9}  {'plain p50':>9} {'plain p95':>9}"
                f"  {'recall@10 window':>17}  {'recall@10 all':>14}")
        lines.append(head)
        main_kinds = list(ours)[:5]
        for qkind in ours:
            mine = ours[qkind]
            lines.append(f"{qkind:<14} {len(mine):>4}  {pct(mine, 50):>6.2f} ms {pct(mine, 95):>6.2f} ms"
                         f"  {pct(base[qkind], 50):>6.2f} ms {pct(base[qkind], 95):>6.2f} ms"
                         f"  {recall(got.get(qkind, []), same.get(qkind, [])):>17}"
                         f"  {recall(got_all.get(qkind, []), every.get(qkind, [])):>14}")
        for label, kinds in (("overall (the 5 kinds)", main_kinds), ("overall (all kinds)", list(ours))):
            o = [t for k in kinds for t in ours[k]]
            b = [t for k in kinds for t in base[k]]
            g = [x for k in kinds for x in got.get(k, [])]
            g_all = [x for k in kinds for x in got_all.get(k, [])]
            lines.append(f"{label:<19}  {pct(o, 50):>6.2f} ms {pct(o, 95):>6.2f} ms"
                         f"  {pct(b, 50):>6.2f} ms {pct(b, 95):>6.2f} ms"
                         f"  {recall(g, [x for k in kinds for x in same.get(k, [])]):>17}"
                         f"  {recall(g_all, [x for k in kinds for x in every.get(k, [])]):>14}")
    finally:
        await store.close()
    return lines


def _lite_window() -> int:
    from bot.store.sqlite import search as lite

    return lite.RANK_WINDOW


def _pg_window() -> int:
    from bot.store.postgres import search as pg

    return pg.RANK_WINDOW


RANK_WINDOWS: dict[str, Callable[[], int]] = {"sqlite": _lite_window, "postgres": _pg_window}


async def stored(kind: str, store: Store) -> int:
    """How many articles the database holds (a build resumes after them)."""
    if kind == "sqlite":
        def count(db: sqlite3.Connection) -> int:
            return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])

        return await store._read_sync(count)  # type: ignore[attr-defined, no-any-return]
    async with store._read() as conn:  # type: ignore[attr-defined]
        return int(await conn.fetchval("SELECT count(*) FROM articles"))


async def database_size(kind: str, store: Store, database: str) -> str:
    if kind == "sqlite":
        path = Path(database)
        return f"{sum(p.stat().st_size for p in path.parent.glob(path.name + '*')) / 1e6:.0f} MB (with WAL)"
    async with store._read() as conn:  # type: ignore[attr-defined]
        size = await conn.fetchval("SELECT pg_database_size(current_database())")
    return f"{size / 1e6:.0f} MB"


async def postgres_database(admin_url: str, name: str = "newsbot_bench") -> str:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    from tests.pg import with_database

    return with_database(admin_url, name)


async def run(args: argparse.Namespace, stack: contextlib.ExitStack) -> None:
    kinds = [k.strip() for k in args.backends.split(",") if k.strip()]
    results: dict[str, list[str]] = {}
    for kind in kinds:
        if kind == "sqlite":
            if args.db:
                database = args.db
            else:
                tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="newsbot-bench-"))
                database = str(Path(tmp) / "bench.db")
        elif kind == "postgres":
            admin = postgres_admin(args, stack)
            if admin is None:
                continue
            database = await postgres_database(admin, args.pg_database)
        else:
            raise SystemExit(f"unknown backend {kind!r} (sqlite, postgres)")
        results[kind] = await measure(kind, database, args)
    print()
    print(f"search at {args.stories:,} stories, window: the newest {RANK_WINDOWS['sqlite']()} matches in scope, "
          f"guild 1 (30 of 40 feeds), `Store.search` limit 5 end to end "
          f"(StoryViews included) beside plain full-text top-10 (unscoped, no views); recall@10 against the "
          f"exhaustive ranking of the same window, and of all matches")
    for lines in results.values():
        print()
        print("\n".join(lines))
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (pid {os.getpid()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--postgres", help="PostgreSQL admin URL (a newsbot_bench database is created there)")
    parser.add_argument("--pg-database", default="newsbot_bench", help="the PostgreSQL database to fill or reuse")
    parser.add_argument("--db", help="SQLite file to fill (kept) or reuse; default: a temporary one")
    parser.add_argument("--per-kind", type=int, default=40, help="timed queries of each kind")
    parser.add_argument("--recall-per-kind", type=int, default=10, help="0 to skip the recall measurement")
    parser.add_argument("--text-words", type=int, default=250, help="words of article text per story")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--recall-all-per-kind", type=int, default=3,
                        help="queries per kind for the recall against all matches (ranking every match is slow)")
    parser.add_argument("--plain-per-kind", type=int, default=10, help="baseline queries of each kind")
    parser.add_argument("--plain-timeout", type=float, default=3.0,
                        help="seconds; a baseline query past it is stopped and counted as taking this long")
    parser.add_argument("--no-tidy", action="store_true", help="skip tidy_search_index after the load")
    parser.add_argument("--window", type=int, help="override RANK_WINDOW on both backends, to see its trade-off")
    parser.add_argument("--load-concurrency", type=int, default=6, help="PostgreSQL: bulk loads at once")
    args = parser.parse_args()
    if args.window:
        from bot.store.postgres import search as pg
        from bot.store.sqlite import search as lite

        lite.RANK_WINDOW = pg.RANK_WINDOW = args.window
    with contextlib.ExitStack() as stack:
        asyncio.run(run(args, stack))


if __name__ == "__main__":
    main()
