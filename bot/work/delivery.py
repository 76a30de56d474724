"""The delivery interface between the outbox and whatever shows stories to people.

The Discord layer implements `Sink` with real channel messages; console mode implements it by printing.
The outbox loop (bot/work/outbox.py) never knows which one it talks to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.models import DigestSchedule, PendingDelivery, StoryView


@dataclass(frozen=True, slots=True)
class Delivered:
    message_id: int


@dataclass(frozen=True, slots=True)
class RetryLater:
    """A transient failure (5xx, timeout, 429): try again after `after_seconds`."""

    error: str
    after_seconds: float


@dataclass(frozen=True, slots=True)
class ChannelGone:
    """The channel is deleted or the bot may not post there: pause its subscriptions and tell the guild."""

    reason: str


Outcome = Delivered | RetryLater | ChannelGone


class Sink(Protocol):
    async def deliver(self, delivery: PendingDelivery) -> Outcome:
        """Post one story. Must be idempotent per `delivery.id` (Discord: message nonce with enforce_nonce),
        because a crash after posting and before recording it retries the same delivery."""
        ...

    async def post_digest(self, schedule: DigestSchedule, stories: list[StoryView]) -> Outcome:
        ...
