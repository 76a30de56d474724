"""Discord-layer figures through the fake Discord, which enforces Discord's real rate limits (5 posts per
5 s per channel, 50 requests per second): slash-command latency and delivery throughput.

    python -m bench.discord [--stories 100] [--channels 10]

Latency is measured from the interaction being dispatched on the gateway to its answer being visible
(the reply, or the edited "thinking…" message after a deferral), with 50 interactions in flight at once.

Throughput: `stories` x `channels` deliveries (1,000 by default) go through the real outbox, store and
sink, as the scheduler drains them, and the bench prints stories per minute beside Discord's ceiling for
that many channels (5 posts / 5 s each) and the number of 429s the fake answered. It runs twice: with
`delivery_interval = 0` (discord.py paces itself by the rate-limit headers) and with the default 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import parse_settings
from bot.discord.client import create_bot, point_at
from bot.discord.sink import DiscordSink
from bot.fetch.net import Fetcher
from bot.models import NewArticle, QuoteRecord
from bot.store import Store, open_store
from bot.work.lanes import DeliveryLanes
from tests.fake_discord import MANAGE_GUILD, MEMBER_PERMISSIONS, FakeDiscord, patch_discord_urls

GUILD, CHANNELS = 100, list(range(1000, 1010))
STORIES, CONCURRENT = 300, 50
CHANNEL_POSTS, CHANNEL_WINDOW = 5, 5.0  # Discord: 5 messages per 5 s per channel
WORDS = ["council", "bridge", "river", "election", "budget", "school", "hospital", "rail", "storm", "harbour"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def article(feed_id: int, i: int, now: datetime, prefix: str = "g") -> NewArticle:
    w = WORDS[i % len(WORDS)]
    title = f"Story {prefix}{i}: the {w} plan and the {WORDS[(i * 7) % len(WORDS)]} vote"
    return NewArticle(
        feed_id=feed_id, guid=f"{prefix}{i}", url=f"https://bench.example/{prefix}{i}",
        canonical_url=f"https://bench.example/{prefix}{i}", title=title, text=(title + ". ") * 40,
        text_source="page", bullets=(f"The {w} was discussed.", "A vote follows next week."),
        quotes=(QuoteRecord(f"We need the {w}", "Ana Silva"),), word_count=400, reading_minutes=2,
        reduction=0.8, published_at=now - timedelta(minutes=i))


async def seed(store: Store, now: datetime) -> int:
    """Stories for the lookups, stored without deliveries (one channel follows their feed)."""
    feed = await store.add_feed("https://bench.example/rss", title="Bench", now=now)
    await store.subscribe(GUILD, CHANNELS[0], feed.id, now=now)
    await store.bulk_load([article(feed.id, i, now) for i in range(STORIES)], now=now)
    return feed.id


async def queue_deliveries(store: Store, channels: list[int], stories: int, now: datetime, tag: str) -> None:
    """`stories` new stories of a feed followed in every channel: one pending delivery per pair."""
    feed = await store.add_feed(f"https://bench.example/{tag}.xml", title=f"Bench {tag}", now=now)
    for ch in channels:
        await store.subscribe(GUILD, ch, feed.id, now=now)
    for i in range(stories):
        await store.add_article(article(feed.id, i, now, prefix=tag), story_id=None, now=now)


async def throughput(fake: FakeDiscord, store: Store, bot: Any, channels: list[int], stories: int,
                     interval: float, tag: str) -> None:
    await queue_deliveries(store, channels, stories, datetime.now(UTC), tag)
    sink = DiscordSink(bot, interval=interval)
    outbox = DeliveryLanes(store, sink, owner="bench:1:x", clock=lambda: datetime.now(UTC), max_attempts=8,
                           interval=0.0, concurrency=16, lease=timedelta(minutes=5))
    limited_before, invalid_before = len(fake.rate_limited), fake.invalid_requests
    posted_before = sum(len(fake.messages(ch)) for ch in channels)
    start = time.perf_counter()
    retried = 0
    while await store.pending_deliveries(datetime.now(UTC) + timedelta(days=1), limit=1):
        report = await outbox.drain()
        retried += report.retried
        if not report.delivered:
            await asyncio.sleep(0.2)  # something waits for a retry: the scheduler would tick again
    took = time.perf_counter() - start
    posted = sum(len(fake.messages(ch)) for ch in channels) - posted_before
    ceiling = len(channels) * CHANNEL_POSTS / CHANNEL_WINDOW * 60
    limited = Counter(f"{method} {route_of(path)} ({scope})" for method, path, scope in
                      fake.rate_limited[limited_before:])
    print(f"outbox -> DiscordSink, {len(channels)} channels, delivery_interval {interval:g} s: {posted} stories "
          f"in {took:.1f} s = {posted / took * 60:,.0f} stories/min (Discord's ceiling for {len(channels)} "
          f"channels: {ceiling:,.0f}/min); 429s received: {len(fake.rate_limited) - limited_before}"
          f"{' ' + str(dict(limited)) if limited else ''}, invalid requests: "
          f"{fake.invalid_requests - invalid_before}, retried: {retried}")


def route_of(path: str) -> str:
    return "/".join("{id}" if part.isdigit() else part for part in path.split("/"))


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


async def wait_for_channels(bot: Any, channels: list[int]) -> None:
    while any(bot.get_channel(ch) is None for ch in channels):  # noqa: ASYNC110 -- no cache event to await
        await asyncio.sleep(0.01)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=100, help="stories per channel (default 100)")
    parser.add_argument("--channels", type=int, default=10, help="channels (default 10)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeDiscord() as fake:
            for ch in CHANNELS:
                fake.add_channel(GUILD, ch)
            settings = parse_settings({"discord": {"api_base": fake.api_base, "gateway_url": fake.gateway_url,
                                                   "delivery_interval": 0},
                                       "limits": {"user_cooldown": 0, "server_cooldown": 0}})
            store = await open_store(Path(tmp) / "bench.db")
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
                        print(f"store: {STORIES} stories; {CONCURRENT} concurrent "
                              "interactions per command")
                        for name, options in (("latest", {"count": 5}), ("search", {"query": "bridge vote"}),
                                              ("quotes", {"who": "Silva"})):
                            await latency(fake, name, options)  # warm-up
                            ms, errors = await latency(fake, name, options)
                            p50, p95 = statistics.median(ms), pct(ms, 95)
                            print(f"/{name:<7} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
                                  f"max {max(ms):7.1f} ms  errors {errors}/{CONCURRENT}")
                        print(f"429s during the lookups: {len(fake.rate_limited)}")
                        for n, interval in enumerate((0.0, 1.0)):
                            channels = [c + 100 * n for c in CHANNELS[:args.channels]]
                            for ch in channels:
                                fake.add_channel(GUILD, ch)
                            await wait_for_channels(bot, channels)
                            await throughput(fake, store, bot, channels, args.stories, interval, f"run{n}-")
                    finally:
                        await bot.close()
                        await asyncio.gather(task, return_exceptions=True)
            await store.close()


if __name__ == "__main__":
    asyncio.run(main())
