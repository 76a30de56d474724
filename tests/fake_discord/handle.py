"""What a test gets back from ``fake.invoke``: everything the bot answered.

The handle collects the callback, the @original message (kept current as
the bot edits it), followups and refused calls (10062, 40060, ...), and
offers waiters so tests never sleep for fixed times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import FakeState

JSON = dict[str, Any]

EPHEMERAL = 1 << 6
LOADING = 1 << 7


@dataclass
class Rejection:
    """A call the fake refused for this interaction (e.g. a callback after the deadline)."""

    method: str
    path: str
    status: int
    body: JSON


@dataclass
class InteractionHandle:
    fake: FakeState
    id: int
    token: str
    payload: JSON
    created_at: float
    callback: JSON | None = None
    callback_at: float | None = None
    original: JSON | None = None
    followups: list[JSON] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    original_deleted: bool = False
    first_followup_edited: bool = False  # the first follow-up after a deferral replaced "thinking…"

    # -- state ---------------------------------------------------------------------

    @property
    def acknowledged(self) -> bool:
        return self.callback is not None

    @property
    def callback_type(self) -> int | None:
        return None if self.callback is None else int(self.callback.get("type", 0))

    @property
    def deferred(self) -> bool:
        return self.callback_type == 5

    @property
    def ephemeral(self) -> bool:
        return bool(self.original and int(self.original.get("flags") or 0) & EPHEMERAL)

    @property
    def choices(self) -> list[JSON] | None:
        """Autocomplete choices (callback type 8)."""
        if self.callback_type != 8 or self.callback is None:
            return None
        return list((self.callback.get("data") or {}).get("choices") or [])

    @property
    def modal(self) -> JSON | None:
        """Modal definition (callback type 9)."""
        if self.callback_type != 9 or self.callback is None:
            return None
        return self.callback.get("data")

    @property
    def messages(self) -> list[JSON]:
        """Visible answer messages: @original (unless still loading/deleted) then followups."""
        out = []
        if self.original is not None and not self.original_deleted:
            out.append(self.original)
        return out + self.followups

    @property
    def contents(self) -> list[str]:
        return [m.get("content") or "" for m in self.messages]

    # -- waiting -----------------------------------------------------------------------

    # The waiters take ``timeout`` like asyncio.wait_for so tests stay one-liners.
    async def wait_for(
        self, predicate: Callable[[InteractionHandle], bool], timeout: float = 10.0,  # noqa: ASYNC109
    ) -> None:
        await self.fake.wait_until(lambda: predicate(self), timeout)

    async def response(self, timeout: float = 10.0) -> JSON:  # noqa: ASYNC109
        """The callback body (``{"type": ..., "data": ...}``) once the bot acknowledged."""
        await self.wait_for(lambda h: h.callback is not None, timeout)
        assert self.callback is not None
        return self.callback

    async def wait_followups(self, count: int = 1, timeout: float = 10.0) -> list[JSON]:  # noqa: ASYNC109
        await self.wait_for(lambda h: len(h.followups) >= count, timeout)
        return list(self.followups)

    async def wait_original(
        self, predicate: Callable[[JSON], bool] | None = None, timeout: float = 10.0,  # noqa: ASYNC109
    ) -> JSON:
        """The @original message once it exists, is no longer loading and matches ``predicate``."""

        def ready(h: InteractionHandle) -> bool:
            msg = h.original
            if msg is None or int(msg.get("flags") or 0) & LOADING:
                return False
            return predicate is None or predicate(msg)

        await self.wait_for(ready, timeout)
        assert self.original is not None
        return self.original

    async def wait_rejection(self, timeout: float = 10.0) -> Rejection:  # noqa: ASYNC109
        await self.wait_for(lambda h: bool(h.rejections), timeout)
        return self.rejections[0]
