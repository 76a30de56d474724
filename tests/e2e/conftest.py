"""The whole bot in-process: FakeDiscord + NewsSite + a real Store file + the real discord.py client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, parse_settings
from bot.discord.client import create_bot, point_at
from bot.fetch.net import Fetcher
from bot.models import NewArticle, QuoteRecord
from bot.store import Store, open_store
from tests.fake_discord import MANAGE_GUILD, MEMBER_PERMISSIONS, FakeDiscord, patch_discord_urls
from tests.newsite import NewsSite

GUILD, NEWS, LOG, LOCKED = 100, 1000, 1001, 1002
OTHER_GUILD, OTHER_NEWS = 200, 2000
ADMIN = MEMBER_PERMISSIONS | MANAGE_GUILD
LOADING = 1 << 7


class Clock:
    """An injectable clock the tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class World:
    fake: FakeDiscord
    site: NewsSite
    store: Store
    bot: Any
    clock: Clock
    settings: Settings

    async def run(self, name: str, options: dict[str, Any] | None = None, **kw: Any) -> Any:
        kw.setdefault("channel_id", NEWS)
        kw.setdefault("permissions", ADMIN)
        return await self.fake.invoke(name, options or {}, **kw)

    async def answer(self, name: str, options: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        """The visible answer (immediate or after a deferral) of a command."""
        handle = await self.run(name, options, **kw)
        await handle.response()

        def answered(h: Any) -> bool:
            done = h.original is not None and not int(h.original.get("flags") or 0) & LOADING
            return bool(h.followups) or (done and not h.original_deleted)

        await handle.wait_for(answered)
        return handle.messages[-1]  # type: ignore[no-any-return]

    async def add_story(self, feed_id: int, title: str, *, quote: QuoteRecord | None = None,
                        bullets: tuple[str, ...] = ("First point.", "Second point."),
                        age_h: float = 1) -> int:
        slug = title.lower().replace(" ", "-")
        stored = await self.store.add_article(NewArticle(
            feed_id=feed_id, guid=slug, url=f"https://news.example/{slug}",
            canonical_url=f"https://news.example/{slug}", title=title, text=f"{title}. " * 30,
            text_source="page", bullets=bullets, quotes=(quote,) if quote else (), word_count=400,
            reading_minutes=2, reduction=0.8, published_at=self.clock() - timedelta(hours=age_h),
            site_name="Example News"), story_id=None, now=self.clock())
        assert stored is not None
        return stored.story_id


@pytest.fixture
def e2e_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The bot's database: a SQLite file, or a fresh PostgreSQL database for tests marked postgres_store."""
    if request.node.get_closest_marker("postgres_store"):
        return str(request.getfixturevalue("pg_url"))
    return str(tmp_path / "newsbot.db")


@pytest.fixture
async def world(e2e_database: str) -> AsyncIterator[World]:
    async with NewsSite() as site, FakeDiscord() as fake:
        fake.add_channel(GUILD, NEWS, "news")
        fake.add_channel(GUILD, LOG, "bot-log")
        fake.add_channel(GUILD, LOCKED, "locked", can_send=False)
        fake.add_channel(OTHER_GUILD, OTHER_NEWS, "elsewhere")
        settings = parse_settings({
            "net": {"allow_private_addresses": True},
            "discord": {"api_base": fake.api_base, "gateway_url": fake.gateway_url, "delivery_interval": 0},
            "limits": {"user_cooldown": 0, "server_cooldown": 0},  # tests/e2e/test_limits.py sets its own
        })
        store = await open_store(e2e_database)
        clock = Clock(datetime(2024, 5, 1, 7, 0, tzinfo=UTC))
        async with Fetcher(settings.net) as fetcher:
            bot = create_bot(settings, store, fetcher, clock=clock, guild_ready_timeout=0.05)
            with patch_discord_urls(fake.api_base, fake.gateway_url):  # restores discord.py's globals
                point_at(settings)
                await bot.login("fake-token")
                task = asyncio.create_task(bot.connect(reconnect=False))
                try:
                    await asyncio.wait_for(bot.wait_until_ready(), 10)
                    yield World(fake, site, store, bot, clock, settings)
                finally:
                    await bot.close()
                    with contextlib.suppress(Exception, asyncio.CancelledError):
                        await asyncio.wait_for(task, 5)
        await store.close()
