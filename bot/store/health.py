"""What `newsbot status` reads, shared by both backends' read-only `read_health`."""

from __future__ import annotations

from dataclasses import dataclass

HEARTBEAT_KEY = "heartbeat"
INTERNAL_FEEDS = "%.invalid/%"  # the console's samples pseudo-feed, which is disabled by design


@dataclass(frozen=True, slots=True)
class FeedProblem:
    id: int
    url: str
    title: str | None
    reason: str
    failures: int


@dataclass(frozen=True, slots=True)
class HealthSnapshot:
    schema_version: int
    feeds: int
    feeds_due: int
    failing: tuple[FeedProblem, ...]
    disabled: tuple[FeedProblem, ...]
    pending: int
    overdue: int  # pending deliveries whose retry time is older than the given cut-off
    given_up: int
    last_poll: str | None  # ISO 8601, UTC
    last_delivery: str | None
    heartbeat: str | None
