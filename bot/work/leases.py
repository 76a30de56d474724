"""Who owns a unit of work, and keeping a lease alive while the work runs.

A lease is (owner, expiry) on a row (a feed, a channel's delivery lane, a digest). The owner renews it
while working; a process killed with -9 stops renewing, its leases run out, and any other process's next
claim takes the work over. Owners are "<hostname>:<pid>:<random>" so a log line says which process it was
and a restarted process with a recycled pid is still someone else.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta

log = logging.getLogger(__name__)


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


async def keep_renewed(renew: Callable[[], Awaitable[bool]], lease: timedelta, on_lost: Callable[[], object],
                       what: str) -> None:
    """Renew every third of the lease until cancelled; `on_lost` when another owner took the work over
    (our lease ran out: a stalled event loop, a paused VM) or renewing keeps failing past the lease."""
    every = max(lease.total_seconds() / 3, 0.05)
    failing_since: float | None = None
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(every)
        try:
            held = await renew()
            failing_since = None
        except Exception:
            log.warning("could not renew the lease on %s", what, exc_info=True)
            failing_since = failing_since or loop.time()
            if loop.time() - failing_since < lease.total_seconds():
                continue
            held = False
        if not held:
            log.warning("lost the lease on %s to another process; stopping this copy of the work", what)
            on_lost()
            return
