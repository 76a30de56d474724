"""Limits through the real client: feeds per server, per-member and per-server cooldowns on the costly
commands (friendly, ephemeral), and a bounded pool of /summarize jobs that counts a job until its work has
really ended, even after the member was told it took too long."""

from __future__ import annotations

import asyncio
import dataclasses
import sys

import pytest

from bot.config import LimitsSettings
from bot.discord.limits import Limits
from tests.e2e.conftest import LOG, World

EPHEMERAL = 1 << 6


def limit(world: World, **changes: float) -> None:
    settings = dataclasses.replace(LimitsSettings(user_cooldown=0, server_cooldown=0), **changes)
    world.bot.settings = dataclasses.replace(world.bot.settings, limits=settings)
    world.bot.limits = Limits(settings)


async def test_feeds_per_server(world: World) -> None:
    limit(world, feeds_per_server=1)
    world.site.add_article("a", "Harbour opens", "The harbour opened. " * 40)
    first = world.site.set_feed("/one.xml", entries=["a"], title="One")
    second = world.site.set_feed("/two.xml", entries=["a"], title="Two")
    assert "Following **One**" in (await world.answer("feed add", {"url": first}))["content"]
    refused = await world.answer("feed add", {"url": second})
    assert "follows 1 feeds already" in refused["content"] and int(refused["flags"]) & EPHEMERAL
    again = await world.answer("feed add", {"url": first, "channel": LOG})  # same feed, another channel
    assert "Following **One**" in again["content"]


async def test_cooldowns_per_member_and_per_server(world: World) -> None:
    limit(world, user_cooldown=600, server_cooldown=0)
    assert "Slow down" not in (await world.answer("search", {"query": "bridge"})).get("content", "")
    slow = await world.answer("search", {"query": "bridge"})
    assert slow["content"].startswith("Slow down: you can use `/search` again in ")
    assert int(slow["flags"]) & EPHEMERAL
    other = await world.answer("quotes", {"who": "Ana Silva"})  # another command has its own cooldown
    assert "Slow down" not in (other.get("content") or "")
    assert "Slow down" not in ((await world.answer("search", {"query": "x"}, user_id=2)).get("content") or "")

    limit(world, user_cooldown=0, server_cooldown=600)
    await world.answer("quotes", {"who": "Ana Silva"}, user_id=3)
    busy = await world.answer("quotes", {"who": "Ana Silva"}, user_id=4)
    assert "busy in this server" in busy["content"] and int(busy["flags"]) & EPHEMERAL


async def test_summarize_pool_is_bounded_and_holds_a_slot_until_the_work_ends(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    limit(world, summarize_jobs=1)
    monkeypatch.setattr(sys.modules["bot.discord.exts.summarize"], "TIME_LIMIT", 0.3)
    pool = world.bot.limits.summarize
    slow_page = world.site.url("/delay?ms=2500")
    timed_out = await world.answer("summarize", {"url": slow_page})
    assert "took longer than 0.3 s" in timed_out["content"]
    assert pool.running == 1  # the member stopped waiting; the fetch has not ended
    refused = await world.answer("summarize", {"url": slow_page})
    assert "already summarizing 1 articles" in refused["content"] and int(refused["flags"]) & EPHEMERAL
    assert pool.refused == 1
    for _ in range(1500):  # the page answers after 2.5 s; the job ends right after
        if pool.running == 0:
            break
        await asyncio.sleep(0.01)
    assert pool.running == 0
    monkeypatch.setattr(sys.modules["bot.discord.exts.summarize"], "TIME_LIMIT", 30.0)
    answered = await world.answer("summarize", {"url": slow_page})
    assert "not a web page" in answered["content"]  # the slot was free again: the job ran to its answer
