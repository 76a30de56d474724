"""Helpers to point a real discord.py client at a :class:`FakeDiscord`.

discord.py keeps its URLs in class attributes (``Route.BASE`` and
``DiscordWebSocket.DEFAULT_GATEWAY``); these helpers swap them and always
restore them, so one test cannot leak the fake's port into the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from .server import FakeDiscord

log = logging.getLogger(__name__)

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.contextmanager
def patch_discord_urls(api_base: str, gateway_url: str) -> Iterator[None]:
    """Point discord.py's REST base and default gateway elsewhere, restoring them on exit."""
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway


@contextlib.contextmanager
def use_fake(fake: FakeDiscord) -> Iterator[FakeDiscord]:
    """``patch_discord_urls`` for a running fake."""
    with patch_discord_urls(fake.api_base, fake.gateway_url):
        yield fake


@contextlib.asynccontextmanager
async def running_client(
    fake: FakeDiscord, client: ClientT, *, token: str = "fake-token", ready_timeout: float = 10.0,
) -> AsyncIterator[ClientT]:
    """Log ``client`` in to the fake, wait for on_ready, close it on exit.

    Pass ``guild_ready_timeout=0.05`` when building the client, or READY is
    delayed by discord.py's default 2 s wait for further GUILD_CREATEs.
    """
    with use_fake(fake):
        await client.login(token)
        task = asyncio.create_task(client.connect(reconnect=True), name="fake-discord-client")
        try:
            ready = asyncio.create_task(client.wait_until_ready())
            done, _ = await asyncio.wait({ready, task}, timeout=ready_timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if ready not in done:
                ready.cancel()
                if task in done:
                    task.result()  # re-raise the connection error
                raise TimeoutError("client did not become ready")
            yield client
        finally:
            await client.close()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 5)


@contextlib.asynccontextmanager
async def fake_discord(**options: object) -> AsyncIterator[FakeDiscord]:
    """Start a FakeDiscord (``FakeDiscord(**options)``) and stop it afterwards."""
    async with FakeDiscord(**options) as fake:  # type: ignore[arg-type]
        yield fake
