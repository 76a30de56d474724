"""What a member sees inside their own server: only stories of feeds posted to channels they can view.

A private staff channel (View Channel denied to @everyone, allowed to a staff role) follows its own feed;
an ordinary member's /latest, /search, /quotes and feed suggestions must not show it, a staff member's do.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.models import QuoteRecord
from tests.e2e.conftest import GUILD, NEWS, World
from tests.fake_discord import MEMBER_PERMISSIONS

STAFF, STAFF_ROLE = 1003, 555
MEMBER: dict[str, Any] = {"permissions": MEMBER_PERMISSIONS, "user_id": 42}  # not the owner (1)
STAFF_MEMBER: dict[str, Any] = {"permissions": MEMBER_PERMISSIONS, "user_id": 43, "roles": (STAFF_ROLE,)}


def text_of(msg: dict[str, Any]) -> str:
    return (msg.get("content") or "") + " ".join(str(e) for e in msg.get("embeds") or [])


@pytest.fixture
async def staff_world(world: World) -> dict[str, int]:
    world.fake.add_role(GUILD, STAFF_ROLE, "staff")
    world.fake.add_channel(GUILD, STAFF, "staff-only")
    world.fake.make_private(STAFF, roles=(STAFF_ROLE,))
    for _ in range(500):  # the gateway events reach the bot's cache
        channel = world.bot.get_channel(STAFF)
        if channel is not None and channel.overwrites and world.bot.get_guild(GUILD).get_role(STAFF_ROLE):
            break
        await asyncio.sleep(0.01)
    else:
        raise TimeoutError("the bot never saw the private channel")
    now = world.clock()
    public = await world.store.add_feed("https://public.example/rss", title="Public Wire", now=now)
    private = await world.store.add_feed("https://private.example/rss", title="Staff Memos", now=now)
    await world.store.subscribe(GUILD, NEWS, public.id, now=now)
    await world.store.subscribe(GUILD, STAFF, private.id, now=now)
    await world.add_story(public.id, "Council opens the bridge", age_h=2,
                          quote=QuoteRecord("The bridge is open", "Ana Silva"))
    await world.add_story(private.id, "Council layoffs planned in secret", age_h=1,
                          quote=QuoteRecord("We will cut forty jobs", "Ana Silva"))
    return {"public": public.id, "private": private.id}


async def test_latest_search_and_quotes_hide_feeds_of_channels_the_member_cannot_view(
        world: World, staff_world: dict[str, int]) -> None:
    latest = text_of(await world.answer("latest", {}, **MEMBER))
    assert "Council opens the bridge" in latest and "layoffs" not in latest
    found = text_of(await world.answer("search", {"query": "council"}, **MEMBER))
    assert "Council opens the bridge" in found and "layoffs" not in found
    quotes = text_of(await world.answer("quotes", {"who": "Ana Silva"}, **MEMBER))
    assert "The bridge is open" in quotes and "forty jobs" not in quotes

    # Naming the hidden feed directly does not help either, and does not reveal its name.
    named = text_of(await world.answer("latest", {"feed": str(staff_world["private"])}, **MEMBER))
    assert "layoffs" not in named and "Staff Memos" not in named and "no feed" in named


async def test_a_member_who_can_view_the_private_channel_sees_its_feed(
        world: World, staff_world: dict[str, int]) -> None:
    latest = text_of(await world.answer("latest", {}, **STAFF_MEMBER))
    assert "Council opens the bridge" in latest and "Council layoffs planned in secret" in latest
    found = text_of(await world.answer("search", {"query": "layoffs"}, **STAFF_MEMBER))
    assert "Council layoffs planned in secret" in found
    quotes = text_of(await world.answer("quotes", {"who": "Ana Silva"}, **STAFF_MEMBER))
    assert "forty jobs" in quotes


async def test_feed_suggestions_list_only_feeds_of_visible_channels(
        world: World, staff_world: dict[str, int]) -> None:
    for command in ("latest", "search"):
        options = {"feed": ""} if command == "latest" else {"query": "council", "feed": ""}
        handle = await world.fake.autocomplete(command, options, focused="feed", channel_id=NEWS, **MEMBER)
        await handle.response()
        assert [c["value"] for c in handle.choices or []] == [str(staff_world["public"])]
        handle = await world.fake.autocomplete(command, options, focused="feed", channel_id=NEWS,
                                               **STAFF_MEMBER)
        await handle.response()
        assert sorted(c["value"] for c in handle.choices or []) == sorted(
            str(i) for i in staff_world.values())
