"""Search benchmark: the same synthetic stories in each backend, then `Store.search` timed on the same queries.

    python -m bench.search [--stories 100000] [--backends sqlite,postgres] [--postgres URL] [--db PATH]
                           [--queries 300] [--recall-queries 100] [--text-words 250]

Prints, side by side per backend: load time, database size, search latency p50/p95/max (end to end
through `Store.search`, including StoryView assembly), and recall@10 against an exhaustive ranking (the
same backend's ranking with its shortcuts off: SQLite's global-top-hits fast path and newest-window, and
PostgreSQL's recency bound). The vocabulary is Zipf-distributed, so common words match tens of thousands
of stories and rare ones a handful, as in real news.

PostgreSQL: --postgres URL, else $NEWSBOT_BENCH_POSTGRES or $NEWSBOT_TEST_POSTGRES (a database named
newsbot_bench is created there), else a throwaway cluster from the machine's PostgreSQL binaries.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.models import NewArticle, QuoteRecord
from bot.store import Store, open_store

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

    def queries(self, count: int) -> list[str]:
        rng = self.rng
        content = self.words[len(STOPWORDS):]  # people search for content words, not "the"
        top, mid, tail = content[:60], content[60:2000], content[2000:]
        makers = [
            lambda: rng.choice(top),                                   # very common: huge result sets
            lambda: rng.choice(mid),                                   # typical
            lambda: rng.choice(tail),                                  # rare
            lambda: f"{rng.choice(top)} {rng.choice(mid)}",            # two terms
            lambda: f"{rng.choice(mid)} {rng.choice(mid)}",
            lambda: rng.choice(NEWS_WORDS)[:4] + "*",                  # prefix
            lambda: f"{rng.choice(LAST)}",                             # a name from the quotes
            lambda: f'"{rng.choice(top)} {rng.choice(top)}"',          # user typed quotes
            lambda: "zzqx" + str(rng.randint(0, 9999)),                # no hit
            lambda: rng.choice(STOPWORDS[:20]),                         # worst case: matches everything
        ]
        return [rng.choice(makers)() for _ in range(count)]


async def fill(store: Store, stories: int, gen: Generator, batch: int = 2000) -> None:
    now = datetime(2024, 6, 1, tzinfo=UTC)
    feeds = [await store.add_feed(f"https://outlet{i}.example/rss", title=f"Outlet {i}", now=now)
             for i in range(40)]
    for i, feed in enumerate(feeds):  # guild 1 follows 30 outlets, guild 2 the other 10
        await store.subscribe(1 if i < 30 else 2, 100 + i, feed.id, now=now)
    done = 0
    while done < stories:
        n = min(batch, stories - done)
        await store.bulk_load([gen.article(done + k, feeds[(done + k) % len(feeds)].id) for k in range(n)],
                              now=now)
        done += n
        if done % 20_000 == 0 or done == stories:
            print(f"  loaded {done:,} stories")


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


@contextlib.contextmanager
def exhaustive(kind: str) -> Iterator[None]:
    """The backend's search with its shortcuts off: every match ranked, the reference for recall."""
    if kind == "sqlite":
        from bot.store.sqlite import articles as lite

        saved: tuple[int, ...] = (lite.FAST_SEARCH_HITS, lite.HUGE_MATCH)
        lite.FAST_SEARCH_HITS, lite.HUGE_MATCH = 10**9, 10**9
        try:
            yield
        finally:
            lite.FAST_SEARCH_HITS, lite.HUGE_MATCH = saved
    else:
        from bot.store.postgres import articles as pg

        saved = (pg.RANK_WINDOW,)
        pg.RANK_WINDOW = 10**9
        try:
            yield
        finally:
            (pg.RANK_WINDOW,) = saved


async def measure(kind: str, database: str, args: argparse.Namespace) -> dict[str, str]:
    gen = Generator(args.seed, args.text_words)  # the same stories and queries for every backend
    out: dict[str, str] = {}
    store = await open_store(database)
    try:
        if not await store.latest(1, limit=1):
            started = time.perf_counter()
            print(f"[{kind}] filling with {args.stories:,} stories ...")
            await fill(store, args.stories, gen)
            out["load"] = f"{time.perf_counter() - started:.1f} s"
        else:
            print(f"[{kind}] using the stories already there")
            out["load"] = "(reused)"
        out["size"] = await database_size(kind, store, database)
        queries = gen.queries(args.queries)
        for q in queries[:20]:  # warm the caches, as a running bot's would be
            await store.search(1, q)
        timings: list[float] = []
        hits = 0
        for q in queries:
            t = time.perf_counter()
            result = await store.search(1, q, limit=5)
            timings.append((time.perf_counter() - t) * 1000)
            hits += bool(result)
        out["queries"] = f"{len(queries)} ({hits} with results)"
        out["p50"] = f"{pct(timings, 50):.2f} ms"
        out["p95"] = f"{pct(timings, 95):.2f} ms"
        out["max"] = f"{max(timings):.2f} ms"
        slow = sorted(zip(timings, queries, strict=True), reverse=True)[:3]
        out["slowest"] = ", ".join(f"{q!r} {t:.0f}ms" for t, q in slow)
        if args.recall_queries:
            sample = queries[:args.recall_queries]
            got = [[v.story_id for v in await store.search(1, q, limit=10)] for q in sample]
            with exhaustive(kind):
                exact = [[v.story_id for v in await store.search(1, q, limit=10)] for q in sample]
            scored = [len(set(g) & set(e)) / len(e) for g, e in zip(got, exact, strict=True) if e]
            out["recall@10"] = f"{statistics.fmean(scored):.3f} over {len(scored)} queries" if scored else "n/a"
    finally:
        await store.close()
    return out


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
    results: dict[str, dict[str, str]] = {}
    for kind in kinds:
        if kind == "sqlite":
            if args.db:
                database = args.db
            else:
                tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="newsbot-bench-"))
                database = str(Path(tmp) / "bench.db")
        elif kind == "postgres":
            admin = args.postgres or os.environ.get("NEWSBOT_BENCH_POSTGRES") or os.environ.get("NEWSBOT_TEST_POSTGRES")
            if not admin:
                from tests.pg import postgres_server

                admin = stack.enter_context(postgres_server())
                if admin is None:
                    print("[postgres] skipped: no PostgreSQL on this machine (set --postgres URL)")
                    continue
            database = await postgres_database(admin)
        else:
            raise SystemExit(f"unknown backend {kind!r} (sqlite, postgres)")
        results[kind] = await measure(kind, database, args)
    print()
    print(f"search at {args.stories:,} stories, guild 1 (30 of 40 feeds), limit 5")
    rows = ["load", "size", "queries", "p50", "p95", "max", "recall@10", "slowest"]
    width = max(len(k) for k in results) if results else 8
    print(f"{'':<10} " + "  ".join(f"{k:<{max(width, 28)}}" for k in results))
    for row in rows:
        print(f"{row:<10} " + "  ".join(f"{results[k].get(row, '-'):<{max(width, 28)}}" for k in results))
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (pid {os.getpid()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--postgres", help="PostgreSQL admin URL (a newsbot_bench database is created there)")
    parser.add_argument("--db", help="SQLite file to fill (kept) or reuse; default: a temporary one")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--recall-queries", type=int, default=100, help="0 to skip the recall measurement")
    parser.add_argument("--text-words", type=int, default=250, help="words of article text per story")
    parser.add_argument("--seed", type=int, default=7)
    with contextlib.ExitStack() as stack:
        asyncio.run(run(parser.parse_args(), stack))


if __name__ == "__main__":
    main()
