"""The :class:`FakeDiscord` server: lifecycle and URLs.

It listens on 127.0.0.1 with an ephemeral port so parallel test runs never
collide, and it can serve a bot running in another process as well as one in
the test's own event loop (point ``discord.api_base``/``discord.gateway_url``
at :attr:`api_base`/:attr:`gateway_url`).
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from .gateway import GatewayMixin
from .interactions import InteractionsMixin
from .ratelimits import RateLimiter

log = logging.getLogger(__name__)


class FakeDiscord(InteractionsMixin, GatewayMixin):
    """Discord REST v10 + JSON gateway on localhost, with test controls.

    Use as ``async with FakeDiscord() as fake:``; see the package docstring
    for the full API.  ``valid_tokens=None`` accepts any bot token (all seen
    tokens land in :attr:`tokens_seen`).
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 valid_tokens: set[str] | None = None, rate_limits: bool = True, identify_interval: float = 5.0,
                 privileged_intents: int = 0, **options: Any) -> None:
        super().__init__(**options)
        self.identify_interval = identify_interval
        self.privileged_intents = privileged_intents
        self.heartbeat_timeouts = 0
        self.identify_refused = 0
        self.close_codes = []
        self._last_identify = {}
        self.ratelimits = RateLimiter(clock=self.now, enabled=rate_limits)
        self.host = host
        self.port = port
        self.valid_tokens = valid_tokens
        self._fail_rules = []
        self._sessions = {}
        self._conns = set()
        self._interactions = {}
        self.gateway_connections = []
        self.presence_updates = []
        self.replayed_count = 0
        self._gate = asyncio.Event()
        self._gate.set()
        self._runner: web.AppRunner | None = None

    # -- URLs ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE`` / newsbot's ``discord.api_base``."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """Value for ``DiscordWebSocket.DEFAULT_GATEWAY`` / newsbot's ``discord.gateway_url``."""
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway/resume"

    # -- lifecycle -----------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        self._add_rest_routes(app)
        self._add_message_routes(app)
        self._add_interaction_routes(app)
        self._add_gateway_routes(app)
        return app

    async def start(self) -> Self:
        self._runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            self.port = int(self._runner.addresses[0][1])
        log.info("fake discord listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        await self._close_gateway()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None,
    ) -> None:
        await self.stop()
