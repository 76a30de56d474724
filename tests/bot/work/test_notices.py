"""send_notices: a notice Discord cannot take now is retried with growing waits, and dropped (logged) only
after MAX_NOTICE_ATTEMPTS; a sink that raises counts as a failure that can pass."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.models import Notice
from bot.store import open_store
from bot.work.delivery import Delivered, Outcome, RetryLater
from bot.work.notices import MAX_NOTICE_ATTEMPTS, send_notices
from tests.bot.store.test_store import T0


class FlakySink:
    def __init__(self, failures: int, *, raise_instead: bool = False) -> None:
        self.failures = failures
        self.raise_instead = raise_instead
        self.tries = 0
        self.posted: list[str] = []

    async def post_notice(self, notice: Notice) -> Outcome:
        self.tries += 1
        if self.tries <= self.failures:
            if self.raise_instead:
                raise ConnectionResetError("gateway went away")
            return RetryLater("503 Service Unavailable", 1.0)
        self.posted.append(notice.text)
        return Delivered(1)


async def drain(store: object, sink: FlakySink, hours: int) -> list[float]:
    """Minutes (since T0) at which a notice was taken, checking every minute."""
    taken = []
    for minute in range(hours * 60):
        if await send_notices(store, sink, now=T0 + timedelta(minutes=minute)):  # type: ignore[arg-type]
            taken.append(minute)
    return taken


@pytest.mark.parametrize("raise_instead", [False, True])
async def test_a_failed_notice_is_retried_with_back_off_until_it_is_sent(tmp_path: Path,
                                                                         raise_instead: bool) -> None:
    store = await open_store(tmp_path / "n.db")
    try:
        await store.add_notice(1, "the feed stopped", now=T0)
        sink = FlakySink(3, raise_instead=raise_instead)
        taken = await drain(store, sink, 2)
        assert sink.posted == ["the feed stopped"]
        assert taken == [0, 1, 3, 7]  # waits of 1, 2 and 4 minutes between the tries
    finally:
        await store.close()


async def test_a_notice_discord_never_takes_is_dropped_after_the_last_attempt(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = await open_store(tmp_path / "n.db")
    try:
        await store.add_notice(1, "never heard", now=T0)
        sink = FlakySink(10**6)
        taken = await drain(store, sink, 72)
        assert len(taken) == MAX_NOTICE_ATTEMPTS and sink.posted == []
        assert "gave up notice" in caplog.text
    finally:
        await store.close()
