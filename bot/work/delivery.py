"""The delivery interface between the outbox and whatever shows stories to people.

The Discord layer implements `Sink` with real channel messages; console mode implements it by printing.
The delivery lanes (bot/work/lanes.py) never know which one it talks to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.models import DigestSchedule, Notice, PendingDelivery, StoryView


@dataclass(frozen=True, slots=True)
class Delivered:
    message_id: int


@dataclass(frozen=True, slots=True)
class RetryLater:
    """A transient failure (5xx, timeout, 429): try again after `after_seconds`.

    Discord being down or slow is waited out however long it lasts (see bot/work/retry.py). `bounded`
    marks a failure nobody can explain (an unexpected 404, an exception of ours): that one is given up
    after the configured number of attempts, so a bug cannot hold a channel back for ever.
    """

    error: str
    after_seconds: float
    bounded: bool = False


@dataclass(frozen=True, slots=True)
class Refused:
    """Discord answered for good that it will not take this message (a 4xx other than 403/404/429):
    sending it again cannot help, so it is given up at once and the guild's log channel is told."""

    error: str


@dataclass(frozen=True, slots=True)
class ChannelGone:
    """The channel is deleted or the bot may not post there: pause its subscriptions and tell the guild."""

    reason: str


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """The subscription was paused (or removed) after its delivery was taken from the outbox: nothing is
    posted, and the row keeps what the pause made of it (cancelled, or queued again by a resume)."""

    reason: str


Outcome = Delivered | RetryLater | Refused | ChannelGone | Withdrawn


class Sink(Protocol):
    async def deliver(self, delivery: PendingDelivery) -> Outcome:
        """Post one story. Must be idempotent per `delivery.id` (Discord: message nonce with enforce_nonce),
        because a crash after posting and before recording it retries the same delivery."""
        ...

    async def post_digest(self, schedule: DigestSchedule, stories: list[StoryView]) -> Outcome:
        ...

    async def report_given_up(self, guild_id: int, channel_id: int, what: str, reason: str) -> None:
        """Tell the guild (its log channel) that `what` (plain text: a story's title, "the daily digest")
        will not be posted in `channel_id`, and why. Best effort: must not raise."""
        ...

    async def post_notice(self, notice: Notice) -> Outcome:
        """Tell a guild something it should act on (a filter that timed out, a disabled feed): its log
        channel, else `notice.channel_id`; a guild with neither gets a log line."""
        ...
