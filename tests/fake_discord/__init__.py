"""A fake Discord (REST v10 + JSON gateway) for testing newsbot with the real discord.py.

Usage::

    from tests.fake_discord import FakeDiscord, running_client

    async with FakeDiscord() as fake:
        fake.add_channel(guild_id=1, channel_id=10, name="news")
        bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(),
                           guild_ready_timeout=0.05)
        ...  # add app commands
        async with running_client(fake, bot):
            await bot.tree.sync()
            handle = await fake.invoke("feed add", {"url": "https://x"}, channel_id=10)
            assert (await handle.response())["data"]["content"] == "added"

Main API (see each method's docstring): ``api_base``/``gateway_url``,
``add_guild``/``add_channel`` (``type=5`` announcement, ``type=15`` forum with
``tags``)/``add_role``/``set_can_send``/``set_bot_permissions``/``delete_channel``,
``invoke``/``autocomplete`` -> :class:`InteractionHandle`, ``fail_next``,
``request_reconnect``/``invalidate_session``/``drop_connections``,
observation via ``requests``/``unexpected_requests``/``messages``/
``wait_for_message``/``commands``/``allowed_mentions``/``identify_count``/
``resume_count``/``connected``/``wait_until``, and the strictness counters
``rate_limited`` (429s it answered), ``invalid_requests``, ``crossposted``,
``webhooks``, ``heartbeat_timeouts``, ``identify_refused``, ``close_codes``.

It is as strict as Discord by default (see ``ratelimits``, ``validation``,
``messages``, ``interactions`` and ``gateway``): real rate limits
(``FakeDiscord(rate_limits=False)`` turns them off), one IDENTIFY per 5 s
(``identify_interval``), permissions, nonces, embeds and interaction rules.
"""

from .constants import ADMINISTRATOR, MANAGE_GUILD, MEMBER_PERMISSIONS
from .handle import InteractionHandle, Rejection
from .harness import fake_discord, patch_discord_urls, running_client, use_fake
from .server import FakeDiscord
from .state import RecordedRequest

__all__ = [
    "ADMINISTRATOR",
    "MANAGE_GUILD",
    "MEMBER_PERMISSIONS",
    "FakeDiscord",
    "InteractionHandle",
    "RecordedRequest",
    "Rejection",
    "fake_discord",
    "patch_discord_urls",
    "running_client",
    "use_fake",
]
