"""Several real `newsbot run` processes on one database, with the loopback news site and the fake Discord:
every story posted exactly once, whichever process polls or delivers it, and a process killed with -9
mid-run has its work taken over when its leases expire, with nothing lost and nothing doubled.

Parametrized by backend: SQLite, and PostgreSQL through the suite's fixture (tests/pg.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import sqlite3
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fake_discord import FakeDiscord
from tests.newsite import NewsSite

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 2.0
pytestmark = pytest.mark.slow


def _word(n: int, k: int) -> str:
    return "".join(chr(97 + b % 26) for b in hashlib.sha256(f"{n}:{k}".encode()).digest()[:7])


def story(n: int) -> tuple[str, str]:
    """A title and a text no other story resembles (so story grouping keeps them apart)."""
    w = [_word(n, k).capitalize() for k in range(16)]
    title = f"{w[0]} {w[1]} opens in {w[2]} (report {n})"
    text = (f"The {w[3]} council in {w[2]} confirmed on Tuesday that the {w[0]} {w[1]} will open next month "
            f"after {n + 3} years of planning by {w[4]} engineers.\n\n"
            f"\"People in {w[5]} have waited long enough for this,\" said council leader {w[6]} {w[7]}.\n\n"
            f"The project cost {n * 3 + 11} million and employs {n + 40} people from {w[8]} and {w[9]}, "
            f"the {w[10]} agency said in a statement on {w[11]}.\n\n"
            f"Critics from the {w[12]} group said the {w[13]} plan ignored {w[14]} and asked for a review "
            f"before the {w[15]} phase begins.")
    return title, text


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file, or a fresh migrated PostgreSQL database from tests/pg.py (its server, or the one in
    $NEWSBOT_TEST_POSTGRES; skipped with one line when there is none)."""
    if request.param == "sqlite":
        return str(tmp_path / "news.db")
    return str(request.getfixturevalue("pg_url"))


async def open_db(database: str) -> Any:
    if database.startswith(("postgresql://", "postgres://")):
        from bot.store import open_store

        return await open_store(database)
    from bot.store import open_store

    return await open_store(database)


def write_config(tmp_path: Path, name: str, database: str, fake: FakeDiscord, *, shards: str = "") -> Path:
    config = tmp_path / f"{name}.toml"
    config.write_text(
        f'[bot]\ndatabase = "{database}"\n'
        f'[discord]\napi_base = "{fake.api_base}"\ngateway_url = "{fake.gateway_url}"\n'
        f"delivery_interval = 0.0\n{shards}"
        "[net]\nallow_private_addresses = true\nread_timeout = 10.0\n"
        "[feeds]\npoll_interval = 1\nmin_poll_interval = 1\njitter = 0\nfirst_poll_queue = 5\n"
        "[scheduler]\npoll_check_seconds = 0.3\ndeliver_seconds = 0.3\ndigest_check_seconds = 1.0\n"
        f"feed_concurrency = 4\nlease_seconds = {LEASE_SECONDS}\n",
        encoding="utf-8",
    )
    return config


class Proc:
    def __init__(self, name: str, log: Path, proc: asyncio.subprocess.Process) -> None:
        self.name, self.log, self.proc = name, log, proc

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def stored(self) -> int:
        return self.text().count(" stored '")

    async def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                return await self.proc.wait()
        return self.proc.returncode


async def start(tmp_path: Path, name: str, config: Path, role: str) -> Proc:
    env = {k: v for k, v in os.environ.items() if k != "NEWSBOT_DISCORD_TOKEN"}
    env.update({"PYTHONPATH": str(ROOT), "NEWSBOT_DISCORD_TOKEN": "fake-token"})
    log = tmp_path / f"{name}.log"
    handle = log.open("ab")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--role", role, "--config", str(config), cwd=tmp_path, env=env,
        stdout=handle, stderr=handle)
    handle.close()
    return Proc(name, log, proc)


def posted_titles(fake: FakeDiscord, channels: list[int]) -> Counter[str]:
    return Counter(embed.get("title", "") for channel in channels for m in fake.messages(channel)
                   for embed in m.get("embeds", []))


async def wait_until(predicate: Any, timeout: float, what: str, procs: list[Proc]) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            logs = "\n".join(f"--- {p.name}\n{p.text()[-2500:]}" for p in procs)
            raise AssertionError(f"timed out waiting for {what}\n{logs}")
        await asyncio.sleep(0.1)


async def seed(database: str, site: NewsSite, feeds: int, per_feed: int,
               channels_of: list[tuple[int, int]]) -> list[str]:
    """`feeds` feeds of `per_feed` stories each, feed i followed in channels_of[i % len]; returns titles."""
    store = await open_db(database)
    titles: list[str] = []
    now = datetime.now(UTC)
    base = now - timedelta(days=1)
    try:
        for f in range(feeds):
            slugs = []
            for k in range(per_feed):
                n = f * per_feed + k
                title, text = story(n)
                site.add_article(f"s{n}", title, text, published=base + timedelta(minutes=n))
                slugs.append(f"s{n}")
                titles.append(title)
            url = site.set_feed(f"/feed{f}.xml", entries=list(reversed(slugs)), title=f"Feed {f}")
            feed = await store.add_feed(url, poll_interval=1, now=now)
            guild, channel = channels_of[f % len(channels_of)]
            await store.subscribe(guild, channel, feed.id, now=now)
    finally:
        await store.close()
    return titles


def delivery_statuses(database: str) -> dict[str, int]:
    if database.startswith("postgres"):
        return {}
    db = sqlite3.connect(database)
    try:
        return dict(db.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall())
    finally:
        db.close()


async def test_one_discord_two_ingest_processes_with_a_kill_9(tmp_path: Path, database: str) -> None:
    """40 stories over 20 feeds; both ingest processes poll; one is killed with -9 while it works, and the
    other takes its feeds over after the lease expires: each story posted exactly once."""
    guild = 100
    channels = [1000, 1001, 1002, 1003]
    async with NewsSite() as site, FakeDiscord() as fake:
        for c in channels:
            fake.add_channel(guild, c, f"news-{c}")
        titles = await seed(database, site, 20, 2, [(guild, c) for c in channels])
        procs: list[Proc] = []
        try:
            config = write_config(tmp_path, "shared", database, fake)
            ingest_a = await start(tmp_path, "ingest-a", config, "ingest")
            ingest_b = await start(tmp_path, "ingest-b", config, "ingest")
            procs += [ingest_a, ingest_b]
            await wait_until(lambda: ingest_a.stored() >= 1 and ingest_b.stored() >= 1, 120,
                             "both ingest processes to store stories", procs)
            await ingest_a.kill9()  # mid-run: it holds leases on feeds it has not finished
            assert len(titles) == 40
            discord = await start(tmp_path, "discord", config, "discord")
            procs.append(discord)
            await wait_until(lambda: sum(posted_titles(fake, channels).values()) >= 40, 180,
                             "all 40 stories", procs)
            await asyncio.sleep(2 * LEASE_SECONDS)  # a double post would show up here
            posted = posted_titles(fake, channels)
            assert sorted(posted) == sorted(titles)
            assert set(posted.values()) == {1}, [t for t, n in posted.items() if n > 1]
            assert ingest_b.stored() >= 1 and "stored '" not in discord.text()
            assert len(fake.sessions) == 1  # only the discord process connected to the gateway
            # A post whose answer was lost (the fake keeps Discord's rate limits) is recorded at its retry,
            # which finds it in the channel's history instead of posting again.
            await wait_until(lambda: delivery_statuses(database) in ({}, {"delivered": 40}), 180,
                             "every delivery recorded", procs)
            assert set(posted_titles(fake, channels).values()) == {1}
        finally:
            for p in procs:
                await p.stop()


async def test_two_all_processes_never_double_post_and_survive_a_kill_9(tmp_path: Path) -> None:
    """Two `--role all` processes on one SQLite file; Discord is slow to answer, and one process is
    killed with -9 just after Discord stored a post: the survivor takes its lanes and feeds over when the
    leases expire, and the nonce plus the channel-history check keep every story to one post."""
    database = str(tmp_path / "news.db")
    guild, channels = 100, [1000, 1001]
    async with NewsSite() as site, FakeDiscord() as fake:
        for c in channels:
            fake.add_channel(guild, c, f"news-{c}")
        titles = await seed(database, site, 6, 2, [(guild, c) for c in channels])
        fake.message_response_delay = 2.0
        procs: list[Proc] = []
        try:
            config = write_config(tmp_path, "shared", database, fake)
            first = await start(tmp_path, "all-a", config, "all")
            second = await start(tmp_path, "all-b", config, "all")
            procs += [first, second]
            await wait_until(lambda: sum(len(fake.messages(c)) for c in channels) >= 1, 120, "a first post", procs)
            await first.kill9()
            fake.message_response_delay = 0.0
            await wait_until(lambda: sum(posted_titles(fake, channels).values()) >= len(titles), 180,
                             "every story", procs)
            await asyncio.sleep(2 * LEASE_SECONDS)
            posted = posted_titles(fake, channels)
            assert sorted(posted) == sorted(titles)
            assert set(posted.values()) == {1}, [t for t, n in posted.items() if n > 1]
            await wait_until(lambda: delivery_statuses(database) == {"delivered": len(titles)}, 180,
                             "every delivery recorded", procs)
            assert set(posted_titles(fake, channels).values()) == {1}
        finally:
            for p in procs:
                await p.stop()


async def test_two_discord_processes_each_deliver_only_their_shards(tmp_path: Path, database: str) -> None:
    """Shard 0 and shard 1 of 2 in two discord processes, one ingest process: each guild's stories are
    posted once, by the process holding the guild's shard."""
    guild_a, guild_b = 100 << 22, 101 << 22  # shard 0 and shard 1 of 2
    news_a, news_b = 3000, 3001
    async with NewsSite() as site, FakeDiscord(shard_count=2) as fake:
        fake.add_channel(guild_a, news_a, "news-a")
        fake.add_channel(guild_b, news_b, "news-b")
        titles = await seed(database, site, 6, 2, [(guild_a, news_a), (guild_b, news_b)])
        procs: list[Proc] = []
        try:
            ingest = await start(tmp_path, "ingest", write_config(tmp_path, "ingest", database, fake), "ingest")
            zero = await start(tmp_path, "shard0", write_config(
                tmp_path, "shard0", database, fake, shards="shards = 2\nshard_ids = [0]\n"), "discord")
            one = await start(tmp_path, "shard1", write_config(
                tmp_path, "shard1", database, fake, shards="shards = 2\nshard_ids = [1]\n"), "discord")
            procs += [ingest, zero, one]
            await wait_until(lambda: sum(posted_titles(fake, [news_a, news_b]).values()) >= len(titles), 180,
                             "every story", procs)
            await asyncio.sleep(2 * LEASE_SECONDS)
            posted = posted_titles(fake, [news_a, news_b])
            assert sorted(posted) == sorted(titles) and set(posted.values()) == {1}
            assert {s.shard for s in fake.sessions} == {(0, 2), (1, 2)}
            assert f"in channel {news_a}" in zero.text() and f"in channel {news_b}" not in zero.text()
            assert f"in channel {news_b}" in one.text() and f"in channel {news_a}" not in one.text()
        finally:
            for p in procs:
                await p.stop()
