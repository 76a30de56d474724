"""Per-member and per-server cooldowns for the costly commands, and a bounded pool for on-demand work.

`asyncio.timeout` cannot stop a worker thread: a /summarize that times out keeps extracting in its thread.
So the pool counts a job as running until its work has really finished, not until the member stopped
waiting, and refuses new jobs while it is full.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from discord import app_commands

from bot.config import LimitsSettings

log = logging.getLogger(__name__)

T = TypeVar("T")
_FORGET_AFTER = 4096  # entries kept per table before expired ones are swept


class Busy(app_commands.CheckFailure):
    """A limit was hit: `str(exc)` is the friendly answer to show, ephemerally."""


class Cooldowns:
    """Last use per (command, member) and per (command, server), with a monotonic clock."""

    def __init__(self, per_user: float, per_server: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_user = per_user
        self.per_server = per_server
        self.clock = clock
        self._users: dict[tuple[str, int], float] = {}
        self._servers: dict[tuple[str, int], float] = {}

    def check(self, command: str, user_id: int, guild_id: int | None) -> None:
        """Record a use, or raise Busy with when to try again (a refused use is not recorded)."""
        now = self.clock()
        user_key = (command, user_id)
        wait = self._users.get(user_key, -1e18) + self.per_user - now
        if wait > 0:
            raise Busy(f"Slow down: you can use `/{command}` again in {max(1, round(wait))} s.")
        if guild_id is not None:
            server_key = (command, guild_id)
            wait = self._servers.get(server_key, -1e18) + self.per_server - now
            if wait > 0:
                raise Busy(f"`/{command}` is busy in this server; try again in {max(1, round(wait))} s.")
            self._servers[server_key] = now
        self._users[user_key] = now
        self._sweep(now)

    def _sweep(self, now: float) -> None:
        for table, keep in ((self._users, self.per_user), (self._servers, self.per_server)):
            if len(table) > _FORGET_AFTER:
                for key in [k for k, at in table.items() if now - at > keep]:
                    del table[key]


class JobPool:
    """At most `size` jobs at once; a job's slot frees when its coroutine ends, whoever stopped waiting."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.running = 0
        self.refused = 0

    def start(self, job: Coroutine[Any, Any, T]) -> asyncio.Task[T] | None:
        """Run `job` in the background, or None (and `job` closed) when the pool is full."""
        if self.running >= self.size:
            job.close()
            self.refused += 1
            return None
        self.running += 1
        task = asyncio.get_running_loop().create_task(job)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.running -= 1
        if not task.cancelled() and task.exception() is not None:
            log.debug("on-demand job ended with %r", task.exception())


class Limits:
    def __init__(self, settings: LimitsSettings) -> None:
        self.settings = settings
        self.cooldowns = Cooldowns(settings.user_cooldown, settings.server_cooldown)
        self.summarize = JobPool(settings.summarize_jobs)


def cooldown(command: str) -> Callable[[T], T]:
    """An app command check applying the bot's cooldowns for `command` (answer: see errors.message_for)."""

    async def predicate(interaction: Any) -> bool:
        limits: Limits = interaction.client.limits
        limits.cooldowns.check(command, interaction.user.id, interaction.guild_id)
        return True

    return app_commands.check(predicate)
