"""Discord-layer figures through the fake Discord: slash-command latency and delivery throughput.

    python -m bench.discord

Latency is measured from the interaction being dispatched on the gateway to its answer being visible
(the reply, or the edited "thinking…" message after a deferral), with 50 interactions in flight at once.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import parse_settings
from bot.discord.client import create_bot, point_at
from bot.discord.sink import DiscordSink
from bot.fetch.net import Fetcher
from bot.models import NewArticle, PendingDelivery, QuoteRecord
from bot.store import Store
from tests.fake_discord import MANAGE_GUILD, MEMBER_PERMISSIONS, FakeDiscord, patch_discord_urls

GUILD, CHANNELS = 100, list(range(1000, 1010))
STORIES, CONCURRENT, DELIVERIES = 300, 50, 500
WORDS = ["council", "bridge", "river", "election", "budget", "school", "hospital", "rail", "storm", "harbour"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def seed(store: Store, now: datetime) -> int:
    feed = await store.add_feed("https://bench.example/rss", title="Bench", now=now)
    for ch in CHANNELS:
        await store.subscribe(GUILD, ch, feed.id, now=now)
    for i in range(STORIES):
        w = WORDS[i % len(WORDS)]
        title = f"Story {i}: the {w} plan and the {WORDS[(i * 7) % len(WORDS)]} vote"
        await store.add_article(NewArticle(
            feed_id=feed.id, guid=f"g{i}", url=f"https://bench.example/{i}", canonical_url=f"https://bench.example/{i}",
            title=title, text=(title + ". ") * 40, text_source="page",
            bullets=(f"The {w} was discussed.", "A vote follows next week."),
            quotes=(QuoteRecord(f"We need the {w}", "Ana Silva"),), word_count=400, reading_minutes=2,
            reduction=0.8, published_at=now - timedelta(minutes=i)), story_id=None, now=now)
    return feed.id


async def latency(fake: FakeDiscord, name: str, options: dict[str, Any]) -> tuple[list[float], int]:
    async def one() -> tuple[float, bool]:
        start = time.perf_counter()
        handle = await fake.invoke(name, options, channel_id=CHANNELS[0],
                                   permissions=MEMBER_PERMISSIONS | MANAGE_GUILD)

        def answered(h: Any) -> bool:
            done = h.original is not None and not int(h.original.get("flags") or 0) & (1 << 7)
            return bool(h.followups) or (done and not h.original_deleted)

        await handle.wait_for(answered, 30)
        ok = "Something went wrong" not in str(handle.messages[-1].get("content"))
        return time.perf_counter() - start, ok

    results = await asyncio.gather(*(one() for _ in range(CONCURRENT)))
    return [r[0] * 1000 for r in results], sum(1 for r in results if not r[1])


async def main() -> None:
    logging.basicConfig(level=logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeDiscord() as fake:
            for ch in CHANNELS:
                fake.add_channel(GUILD, ch)
            settings = parse_settings({"discord": {"api_base": fake.api_base, "gateway_url": fake.gateway_url,
                                                   "delivery_interval": 0}})
            store = await Store.open(Path(tmp) / "bench.db")
            now = datetime.now(UTC)
            await seed(store, now)
            async with Fetcher(settings.net) as fetcher:
                bot = create_bot(settings, store, fetcher, guild_ready_timeout=0.05)
                with patch_discord_urls(fake.api_base, fake.gateway_url):
                    point_at(settings)
                    await bot.login("bench")
                    task = asyncio.create_task(bot.connect(reconnect=False))
                    await asyncio.wait_for(bot.wait_until_ready(), 10)
                    try:
                        print(f"store: {STORIES} stories, {len(CHANNELS)} channels; {CONCURRENT} concurrent "
                              "interactions per command")
                        for name, options in (("latest", {"count": 5}), ("search", {"query": "bridge vote"}),
                                              ("quotes", {"who": "Silva"})):
                            await latency(fake, name, options)  # warm-up
                            ms, errors = await latency(fake, name, options)
                            p50, p95 = statistics.median(ms), pct(ms, 95)
                            print(f"/{name:<7} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
                                  f"max {max(ms):7.1f} ms  errors {errors}/{CONCURRENT}")
                        story = await store.latest(GUILD, limit=1)
                        sink = DiscordSink(bot, interval=0)
                        for label, channels in (("1 channel", CHANNELS[:1]), ("10 channels", CHANNELS)):
                            rows = [PendingDelivery(id=10_000 * len(channels) + i, guild_id=GUILD,
                                                    channel_id=channels[i % len(channels)],
                                                    subscription_id=None, story=story[0], attempts=0)
                                    for i in range(DELIVERIES)]
                            before = len(fake.all_messages())
                            start = time.perf_counter()

                            async def lane(ch: int, rows: list[PendingDelivery] = rows) -> None:
                                for row in rows:
                                    if row.channel_id == ch:
                                        await sink.deliver(row)

                            await asyncio.gather(*(lane(ch) for ch in channels))
                            took = time.perf_counter() - start
                            posted = len(fake.all_messages()) - before
                            print(f"DiscordSink, {label}: {posted} stories posted in {took:.2f} s = "
                                  f"{posted / took * 60:,.0f} stories/min")
                    finally:
                        await bot.close()
                        await asyncio.gather(task, return_exceptions=True)
            await store.close()


if __name__ == "__main__":
    asyncio.run(main())
