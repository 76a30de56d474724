"""Store writes, each beside the same work done directly by the database driver, in one run.

    python -m bench.store [--stories 1000000] [--calls 2000] [--batch 20] [--text-words 250]
                          [--backends sqlite,postgres] [--postgres URL] [--dir PATH]

Per backend, three rows, each a ratio to its baseline measured in the same run:
- `Store.add_article` per call (a new story, two subscribed channels, no filters) beside the same SQL
  statements issued by hand: sqlite3 in one BEGIN IMMEDIATE .. COMMIT on SQLite; on PostgreSQL asyncpg in
  one transaction, a statement at a time (what the store did before one round trip);
- `Store.add_articles` per article, in batches of --batch, beside the same baseline per article;
- `Store.bulk_load` of --stories new stories beside plain search-index inserts of the same rows: on SQLite
  executemany into an FTS5 table defined as the store's (contentless, porter unicode61); on PostgreSQL
  COPY into a table with the store's weighted tsvector column and its GIN index.

Store and baseline alternate in blocks, so a busy machine slows both alike; texts come from a pool of
generated bodies (so generating 1,000,000 stories does not dominate the run), each story its own title
and URL. PostgreSQL: --postgres URL (a database newsbot_bench_store is created there), else
$NEWSBOT_BENCH_POSTGRES or $NEWSBOT_TEST_POSTGRES, else a throwaway cluster from the machine's binaries.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.pgadmin import postgres_admin
from bot.models import ArticleToStore, NewArticle, QuoteRecord
from bot.store import Store, open_store
from bot.store.common import feed_key, normalize_name, surname
from bot.store.sqlite.store import PRAGMAS

NOW = datetime(2024, 6, 1, tzinfo=UTC)
WORDS = """
the of and to a in that is for on it with as was he said by at from his be have has an are not but
government minister election president police court city council health hospital school climate energy
market economy bank inflation prices budget tax trade war peace talks army border vote parliament party
leader campaign protest strike union workers jobs wages company shares investors technology data privacy
football league match team coach player season weather storm flood rain heat wildfire earthquake
scientists study research university vaccine virus doctors housing rent rates crisis report inquiry trial
judge sentence prison crash train airport flights travel festival music film museum history water gas oil
""".split()  # noqa: SIM905
SYLLABLES = ["ka", "lo", "mi", "ren", "tor", "sa", "vel", "quin", "dor", "ast", "bel", "nim", "ox", "pra", "zu"]
NAMES = ["Anna Brown", "Gordon Smith", "Maria Garcia", "José Ramos-Horta", "Li Wei", "Olga Müller"]


class Texts:
    """A Zipf-like vocabulary and a pool of bodies; titles and bullets drawn fresh per story."""

    def __init__(self, seed: int, text_words: int, pool: int = 2048) -> None:
        rng = self.rng = random.Random(seed)
        tail = sorted({"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(20_000)})
        self.words = [*WORDS, *tail]
        self.cum: list[float] = []
        total = 0.0
        for rank in range(1, len(self.words) + 1):
            total += 1.0 / rank ** 1.07
            self.cum.append(total)
        self.bodies = [" ".join(self.sentence(rng.randint(10, 25)) for _ in range(max(1, text_words // 17)))
                       for _ in range(pool)]
        self.text_words = text_words

    def sentence(self, n: int) -> str:
        return " ".join(self.rng.choices(self.words, cum_weights=self.cum, k=n)).capitalize() + "."

    def article(self, n: int, feed_id: int, tag: str = "") -> NewArticle:
        rng = self.rng
        url = f"https://outlet{feed_id}.example/{tag}news/{n}"
        quotes = tuple(QuoteRecord(self.sentence(rng.randint(6, 14)), rng.choice(NAMES))
                       for _ in range(rng.choice((0, 0, 1, 1, 2))))
        return NewArticle(
            feed_id=feed_id, guid=url, url=url, canonical_url=url, title=self.sentence(rng.randint(6, 12))[:-1],
            text=self.bodies[n % len(self.bodies)], text_source="page",
            bullets=tuple(self.sentence(rng.randint(14, 26)) for _ in range(3)), quotes=quotes,
            word_count=self.text_words, reading_minutes=max(1, self.text_words // 230), reduction=0.85,
            published_at=NOW - timedelta(minutes=n), language="en", fingerprint=rng.randbytes(64),
        )


@dataclass
class Row:
    name: str
    store_s: float
    base_s: float
    count: int
    unit: str
    baseline: str

    def line(self) -> str:
        per = 1e3 if self.unit == "ms" else 1.0
        s, b = self.store_s / self.count * per, self.base_s / self.count * per
        return (f"  {self.name:<34} {s:>9.3f} {self.unit:<3} {b:>9.3f} {self.unit:<3} {s / b:>6.2f}x   "
                f"({self.count:,}; baseline: {self.baseline})")


def header(title: str) -> None:
    print(f"\n{title}")
    print(f"  {'measure':<34} {'newsbot':>13} {'baseline':>13} {'ratio':>7}")


async def alternate(store_block: Callable[[list[NewArticle]], Awaitable[None]],
                    base_block: Callable[[list[NewArticle]], Awaitable[None]],
                    make: Callable[[], list[NewArticle]], blocks: int) -> tuple[float, float]:
    """Run store and baseline blocks in turn, each on articles made before its clock starts; returns
    their total times."""
    store_s = base_s = 0.0
    for _ in range(blocks):
        articles = make()
        t = time.perf_counter()
        await store_block(articles)
        store_s += time.perf_counter() - t
        articles = make()
        t = time.perf_counter()
        await base_block(articles)
        base_s += time.perf_counter() - t
    return store_s, base_s


def chunked(articles: list[NewArticle], size: int) -> list[list[ArticleToStore]]:
    return [[ArticleToStore(a, None) for a in articles[i:i + size]] for i in range(0, len(articles), size)]


async def write_rows(store: Store, feed_id: int, texts: Texts, args: argparse.Namespace,
                     raw_each: Callable[[NewArticle], Awaitable[None]],
                     raw_many: Callable[[list[NewArticle]], Awaitable[None]],
                     each_baseline: str, many_baseline: str) -> list[Row]:
    """add_article and add_articles, each timed in alternating blocks beside a raw baseline (both backends)."""
    block = 40
    blocks = max(1, args.calls // block)
    counter = iter(range(10**9))
    per_block = max(1, block // args.batch) * args.batch

    def make() -> list[NewArticle]:
        return [texts.article(next(counter), feed_id) for _ in range(per_block)]

    async def store_one(articles: list[NewArticle]) -> None:
        for a in articles:
            await store.add_article(a, story_id=None, now=NOW)

    async def raw_one(articles: list[NewArticle]) -> None:
        for a in articles:
            await raw_each(a)

    async def store_batch(articles: list[NewArticle]) -> None:
        for batch in chunked(articles, args.batch):
            await store.add_articles(batch, now=NOW)

    async def raw_batch(articles: list[NewArticle]) -> None:
        for i in range(0, len(articles), args.batch):
            await raw_many(articles[i:i + args.batch])

    await alternate(store_one, raw_one, make, 2)  # warm-up
    s, b = await alternate(store_one, raw_one, make, blocks)
    rows = [Row("Store.add_article", s, b, blocks * per_block, "ms", each_baseline)]
    s, b = await alternate(store_batch, raw_batch, make, blocks)
    rows.append(Row(f"add_articles, {args.batch}/call, per article", s, b, blocks * per_block, "ms", many_baseline))
    return rows


# ---- SQLite


class RawSqlite:
    """The statements `Store.add_article` runs for a new story, issued directly with sqlite3."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in PRAGMAS:
            self.db.execute(pragma)

    def add(self, a: NewArticle, now_s: str) -> None:
        self.add_many([a], now_s)

    def add_many(self, articles: list[NewArticle], now_s: str) -> None:
        """One transaction for these articles, after one read of the subscriptions' filters."""
        db = self.db
        db.execute("SELECT id, feed_id, include, exclude FROM subscriptions WHERE feed_id IN (?) AND paused = 0 "
                   "ORDER BY id", (articles[0].feed_id,)).fetchall()
        db.execute("BEGIN IMMEDIATE")
        for a in articles:
            self.statements(a, now_s)
        db.execute("COMMIT")

    def statements(self, a: NewArticle, now_s: str) -> None:
        db = self.db
        db.execute("SELECT 1 FROM feeds WHERE id = ?", (a.feed_id,)).fetchone()
        db.execute("INSERT OR IGNORE INTO seen_entries (feed_id, guid, seen_at) VALUES (?, ?, ?)",
                   (a.feed_id, a.guid, now_s))
        db.execute("SELECT id, story_id, feed_id, canonical_url FROM articles WHERE canonical_url IN (?, ?)",
                   (a.canonical_url, feed_key(a.canonical_url, a.feed_id))).fetchall()
        story_id = db.execute("INSERT INTO stories (created_at) VALUES (?)", (now_s,)).lastrowid
        article_id = db.execute(
            "INSERT INTO articles (story_id, feed_id, guid, url, canonical_url, title, text, text_source, bullets, "
            "quotes, word_count, reading_minutes, reduction, author, published_at, site_name, image_url, language, "
            "fingerprint, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (story_id, a.feed_id, a.guid, a.url, a.canonical_url, a.title, a.text, a.text_source,
             json.dumps(list(a.bullets), ensure_ascii=False),
             json.dumps([[q.text, q.speaker] for q in a.quotes], ensure_ascii=False), a.word_count,
             a.reading_minutes, a.reduction, a.author, a.published_at.isoformat() if a.published_at else None,
             a.site_name, a.image_url, a.language, a.fingerprint, now_s)).lastrowid
        if a.quotes:
            db.executemany("INSERT INTO quotes (article_id, position, text, speaker, speaker_norm, speaker_last) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           [(article_id, i, q.text, q.speaker, normalize_name(q.speaker),
                             surname(normalize_name(q.speaker))) for i, q in enumerate(a.quotes)])
        db.execute("INSERT INTO articles_fts (rowid, title, bullets, quotes, text) VALUES (?, ?, ?, ?, ?)",
                   (article_id, a.title, "\n".join(a.bullets),
                    "\n".join(f"{q.text} {q.speaker or ''}".strip() for q in a.quotes), a.text))
        for sub_id, guild_id, channel_id, _inc, _exc in db.execute(
                "SELECT id, guild_id, channel_id, include, exclude FROM subscriptions WHERE feed_id = ? AND paused = 0 "
                "ORDER BY id", (a.feed_id,)).fetchall():
            db.execute("INSERT INTO deliveries (guild_id, channel_id, subscription_id, story_id, next_attempt_at, "
                       "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, story_id) DO NOTHING "
                       "RETURNING id", (guild_id, channel_id, sub_id, story_id, now_s, now_s)).fetchone()


FTS_TABLE = ("CREATE VIRTUAL TABLE plain_fts USING fts5 (title, bullets, quotes, text, content = '', "
             "tokenize = 'porter unicode61 remove_diacritics 2')")


def fts_rows(articles: list[NewArticle], first_id: int) -> list[tuple[object, ...]]:
    return [(first_id + i, a.title, "\n".join(a.bullets),
             "\n".join(f"{q.text} {q.speaker or ''}".strip() for q in a.quotes), a.text)
            for i, a in enumerate(articles)]


async def setup_feed(store: Store) -> int:
    feed = await store.add_feed("https://outlet1.example/rss", title="Outlet 1", now=NOW)
    await store.subscribe(1, 10, feed.id, now=NOW)
    await store.subscribe(2, 20, feed.id, now=NOW)
    return feed.id


async def sqlite_rows(args: argparse.Namespace, root: Path, texts: Texts) -> list[Row]:
    rows: list[Row] = []
    now_s = NOW.isoformat(timespec="microseconds")
    # add_article and add_articles, each beside the raw statements on a database of its own
    store = await open_store(str(root / "store.db"))
    raw_store = await open_store(str(root / "raw.db"))
    feed_id = await setup_feed(store)
    await setup_feed(raw_store)
    await raw_store.close()
    raw = RawSqlite(str(root / "raw.db"))
    async def raw_each(article: NewArticle) -> None:
        raw.add(article, now_s)

    async def raw_many(articles: list[NewArticle]) -> None:
        raw.add_many(articles, now_s)

    rows += await write_rows(store, feed_id, texts, args, raw_each, raw_many,
                             "the same SQL with sqlite3", f"the same SQL with sqlite3, {args.batch} per transaction")
    await store.close()
    raw.db.close()

    if args.stories <= 0:
        return rows
    # bulk load beside plain FTS5 inserts of the same rows
    store = await open_store(str(root / "bulk.db"))
    feed = await store.add_feed("https://outlet1.example/rss", title="Outlet 1", now=NOW)
    plain = sqlite3.connect(str(root / "plain.db"), isolation_level=None)
    for pragma in PRAGMAS:
        plain.execute(pragma)
    plain.execute(FTS_TABLE)

    async def plain_inserts(articles: list[NewArticle], first_id: int) -> None:
        plain.execute("BEGIN")
        plain.executemany("INSERT INTO plain_fts (rowid, title, bullets, quotes, text) VALUES (?, ?, ?, ?, ?)",
                          fts_rows(articles, first_id))
        plain.execute("COMMIT")

    store_s, base_s = await bulk_beside("sqlite", store, feed.id, texts, args.stories, plain_inserts)
    await store.close()
    plain.close()
    rows.append(Row(f"Store.bulk_load, {args.stories:,} stories", store_s, base_s, 1, "s",
                    "plain FTS5 inserts, same rows"))
    return rows


async def bulk_beside(kind: str, store: Store, feed_id: int, texts: Texts, stories: int,
                      baseline: Callable[[list[NewArticle], int], Awaitable[None]]) -> tuple[float, float]:
    """`Store.bulk_load` of `stories` stories in chunks, each chunk then given to `baseline` (the same rows
    written the plain way, ids from its second argument); the seconds of each side."""
    chunk = 5000
    done = 0
    store_s = base_s = 0.0
    while done < stories:
        n = min(chunk, stories - done)
        articles = [texts.article(done + k, feed_id, "bulk/") for k in range(n)]
        t = time.perf_counter()
        await store.bulk_load(articles, now=NOW)
        store_s += time.perf_counter() - t
        t = time.perf_counter()
        await baseline(articles, done + 1)
        base_s += time.perf_counter() - t
        done += n
        if done % 100_000 == 0:
            print(f"  [{kind}] loaded {done:,} stories: {store_s:.1f} s vs {base_s:.1f} s", flush=True)
    return store_s, base_s


async def run(args: argparse.Namespace, stack: contextlib.ExitStack) -> None:
    texts = Texts(13, args.text_words)
    kinds = [k.strip() for k in args.backends.split(",") if k.strip()]
    results: dict[str, list[Row]] = {}
    for kind in kinds:
        if kind == "sqlite":
            root = Path(args.dir) if args.dir else Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="newsbot-bench-store-")))
            for old in root.glob("*.db*"):
                old.unlink()
            results[kind] = await sqlite_rows(args, root, texts)
        elif kind == "postgres":
            admin = postgres_admin(args, stack)
            if admin is None:
                continue
            from bench.store_postgres import postgres_rows

            results[kind] = await postgres_rows(args, admin, texts)
        else:
            raise SystemExit(f"unknown backend {kind!r} (sqlite, postgres)")
    for kind, rows in results.items():
        header(f"{kind}: store writes ({args.text_words}-word articles, two subscribed channels, no filters)")
        for row in rows:
            print(row.line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=1_000_000, help="stories bulk-loaded (default 1,000,000)")
    parser.add_argument("--calls", type=int, default=2000, help="add_article calls timed (and as many raw)")
    parser.add_argument("--batch", type=int, default=20, help="articles per add_articles call")
    parser.add_argument("--text-words", type=int, default=250)
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--postgres", help="PostgreSQL admin URL (bench databases are created there)")
    parser.add_argument("--dir", help="directory for the SQLite files (default: a temporary one)")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        asyncio.run(run(args, stack))


if __name__ == "__main__":
    main()
