"""`discord.shards` set: the AutoShardedBot connects every shard and answers in guilds on each of them."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from discord.ext import commands

from bot.config import parse_settings
from bot.discord.client import create_bot, point_at
from bot.fetch.net import Fetcher
from bot.store import open_store
from tests.e2e.conftest import ADMIN
from tests.fake_discord import FakeDiscord, patch_discord_urls

GUILD_A, GUILD_B = 100 << 22, (101 << 22)  # shard 0 and shard 1 of 2
NEWS_A, NEWS_B = 3000, 3001


async def test_sharded_bot_serves_guilds_on_every_shard(tmp_path) -> None:
    assert (GUILD_A >> 22) % 2 == 0 and (GUILD_B >> 22) % 2 == 1
    async with FakeDiscord(shard_count=2) as fake:
        fake.add_channel(GUILD_A, NEWS_A, "news-a")
        fake.add_channel(GUILD_B, NEWS_B, "news-b")
        settings = parse_settings({
            "net": {"allow_private_addresses": True},
            "discord": {"api_base": fake.api_base, "gateway_url": fake.gateway_url, "shards": 2},
        })
        store = await open_store(tmp_path / "sharded.db")
        now = datetime.now(UTC)
        for guild, channel, title in ((GUILD_A, NEWS_A, "Alpha"), (GUILD_B, NEWS_B, "Beta")):
            feed = await store.add_feed(f"https://{title.lower()}.example/rss", title=title, now=now)
            await store.subscribe(guild, channel, feed.id, now=now)
        async with Fetcher(settings.net) as fetcher:
            bot = create_bot(settings, store, fetcher, guild_ready_timeout=0.05)
            assert isinstance(bot, commands.AutoShardedBot) and bot.shard_count == 2
            with patch_discord_urls(fake.api_base, fake.gateway_url):
                point_at(settings)
                await bot.login("fake-token")
                task = asyncio.create_task(bot.connect(reconnect=False))
                try:
                    await asyncio.wait_for(bot.wait_until_ready(), 15)
                    assert {s.shard[0] for s in fake.sessions} == {0, 1}
                    assert bot.get_guild(GUILD_A).shard_id == 0  # type: ignore[union-attr]
                    assert bot.get_guild(GUILD_B).shard_id == 1  # type: ignore[union-attr]
                    for guild, channel, title in ((GUILD_A, NEWS_A, "Alpha"), (GUILD_B, NEWS_B, "Beta")):
                        handle = await fake.invoke("feed list", {}, guild_id=guild, channel_id=channel,
                                                   permissions=ADMIN)
                        await handle.response()
                        text = str(await handle.wait_original())  # the answer, not the "thinking…"
                        assert title in text and ("Beta" if title == "Alpha" else "Alpha") not in text
                finally:
                    await bot.close()
                    with contextlib.suppress(Exception, asyncio.CancelledError):
                        await asyncio.wait_for(task, 5)
        await store.close()
