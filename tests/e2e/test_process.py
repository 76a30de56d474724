"""The real `newsbot run` process against the fake Discord and a loopback news site.

Covers what only a separate process can show: a feed update posted once, a SIGKILL after Discord stored a
message but before the bot recorded it (the restart must not post it again: it finds the post in the channel's
recent history, and Discord's nonce check would also absorb a retry), and a clean SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.store import open_store
from tests.fake_discord import FakeDiscord
from tests.newsite import NewsSite

ROOT = Path(__file__).resolve().parents[2]
GUILD, NEWS = 100, 1000


def article(n: int) -> str:
    return (
        f"The regional rail operator confirmed on Thursday that line {n} will reopen next month after "
        f"{n + 4} weeks of engineering work on bridges and signals.\n\n"
        f"\"Passengers will see faster and more reliable trains from day one,\" said operations director "
        f"Imogen Hale{n}.\n\n"
        f"The work cost {n * 3 + 10} million pounds and replaced {n + 20} kilometres of track, the operator said, "
        "adding that weekend replacement buses would run until the final safety checks were complete."
    )


def write_config(tmp_path: Path, fake: FakeDiscord) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[bot]\ndatabase = "{tmp_path / "news.db"}"\n'
        f'[discord]\napi_base = "{fake.api_base}"\ngateway_url = "{fake.gateway_url}"\n'
        "delivery_interval = 0.0\n"
        "[net]\nallow_private_addresses = true\nread_timeout = 5.0\n"
        "[feeds]\npoll_interval = 1\nmin_poll_interval = 1\njitter = 0\nfirst_poll_queue = 5\n"
        "[scheduler]\npoll_check_seconds = 0.3\ndeliver_seconds = 0.3\nlease_seconds = 2.0\n",
        encoding="utf-8",
    )
    return config


async def start_bot(tmp_path: Path, config: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k != "NEWSBOT_DISCORD_TOKEN"}
    env.update({"PYTHONPATH": str(ROOT), "NEWSBOT_DISCORD_TOKEN": "fake-token"})
    log = (tmp_path / "bot.log").open("ab")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config), cwd=tmp_path, env=env,
        stdout=log, stderr=log,
    )


def titles(fake: FakeDiscord) -> list[str]:
    return [embed.get("title", "") for m in fake.messages(NEWS) for embed in m.get("embeds", [])]


def delivery_statuses(tmp_path) -> dict[str, int]:
    db = sqlite3.connect(tmp_path / "news.db")
    try:
        return dict(db.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall())
    finally:
        db.close()


async def wait_until(predicate, timeout: float, what: str) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_bot_process_posts_once_across_a_kill_and_a_restart(tmp_path):
    async with NewsSite() as site, FakeDiscord() as fake:
        fake.add_channel(GUILD, NEWS, "news")
        base = datetime(2026, 11, 20, tzinfo=UTC)
        for n in range(5):
            site.add_article(f"line-{n}", f"Rail line {n} to reopen next month", article(n),
                             published=base + timedelta(hours=n))
        feed_url = site.set_feed("/rail.xml", entries=[f"line-{n}" for n in reversed(range(5))], title="Rail News")
        store = await open_store(tmp_path / "news.db")
        now = datetime.now(UTC)
        feed = await store.add_feed(feed_url, poll_interval=1, now=now)
        await store.subscribe(GUILD, NEWS, feed.id, now=now)
        await store.close()
        config = write_config(tmp_path, fake)

        # Discord stores the first post, then takes its time answering: the bot is killed in that window.
        fake.message_response_delay = 3.0
        bot = await start_bot(tmp_path, config)
        try:
            await fake.wait_for_message(NEWS, timeout=60)
        finally:
            bot.send_signal(signal.SIGKILL)
            await bot.wait()
        assert len(fake.messages(NEWS)) == 1
        killed_title = titles(fake)[0]

        fake.message_response_delay = 0.0
        bot = await start_bot(tmp_path, config)
        try:
            await wait_until(lambda: len(titles(fake)) >= 5, 60, "all five stories")
            await asyncio.sleep(1.0)  # a double post would show up here
            assert sorted(titles(fake)) == sorted(f"Rail line {n} to reopen next month" for n in range(5))
            assert titles(fake).count(killed_title) == 1
            posts = fake.requests_to("POST", f"/channels/{NEWS}/messages")
            assert len(posts) == 5, "the killed delivery was found in the channel's history, not posted again"
            assert fake.requests_to("GET", f"/channels/{NEWS}/messages")

            # A feed update is posted exactly once, by the running process.
            site.add_article("line-9", "Rail line 9 gets new timetable", article(9),
                             published=base + timedelta(days=1))
            site.set_feed("/rail.xml", entries=["line-9", *[f"line-{n}" for n in reversed(range(5))]],
                          title="Rail News")
            await wait_until(lambda: "Rail line 9 gets new timetable" in titles(fake), 30, "the new story")
            # The channel's 5-posts-per-5-s bucket is spent: discord.py holds the answer of the sixth post
            # until the bucket resets, so wait for the bot to record it before stopping the process.
            await wait_until(lambda: delivery_statuses(tmp_path) == {"delivered": 6}, 30, "the delivery recorded")
            await asyncio.sleep(1.0)
            assert titles(fake).count("Rail line 9 gets new timetable") == 1
            for message in fake.messages(NEWS):
                assert fake.allowed_mentions[int(message["id"])] == {"parse": []}
        finally:
            bot.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(bot.wait(), 20)
        assert code == 0, (tmp_path / "bot.log").read_text()[-3000:]

        db = sqlite3.connect(tmp_path / "news.db")
        statuses = dict(db.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall())
        db.close()
        assert statuses == {"delivered": 6}
