"""Prometheus metrics: defined here once, incremented elsewhere with one line each.

The counters always exist (cheap, in-process); the HTTP endpoint is served only when `[metrics] enabled`.
The console's status line reads the same numbers, so what it shows and what Prometheus scrapes agree.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from prometheus_client import Counter, Gauge, Histogram, start_http_server

if TYPE_CHECKING:
    from bot.config import MetricsSettings
    from bot.models import StoredArticle
    from bot.store.health import HealthSnapshot

log = logging.getLogger(__name__)
T = TypeVar("T")

POLLS = Counter("newsbot_polls", "Feed polls by result (ok, not_modified, failed)", ["result"])
ENTRIES = Counter("newsbot_feed_entries", "Entries read from feed bodies")
ARTICLES = Counter("newsbot_articles_stored", "Articles stored")
STORIES = Counter("newsbot_stories_stored", "New stories (an article not grouped with an earlier one)")
DELIVERIES = Counter("newsbot_deliveries",
                     "Delivery attempts by outcome (delivered, retry, refused, channel_gone, error)",
                     ["outcome"])
FAILURES = Counter("newsbot_failures", "Failures by where they happened (poll, delivery, job)", ["where"])
FEEDS_IN_FLIGHT = Gauge("newsbot_feeds_in_flight", "Feeds being polled now")
FEEDS_DUE = Gauge("newsbot_feeds_due", "Subscribed feeds due for a poll (refreshed every heartbeat)")
DELIVERIES_PENDING = Gauge("newsbot_deliveries_pending", "Deliveries waiting to be sent (refreshed every heartbeat)")
DELIVERIES_GIVEN_UP = Gauge("newsbot_deliveries_given_up", "Deliveries given up after every attempt")
POLL_SECONDS = Histogram("newsbot_poll_seconds", "Time to poll one feed, entries and pages included",
                         buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
DELIVERY_SECONDS = Histogram("newsbot_delivery_seconds", "Time to post one story",
                             buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


async def timed_poll(poll: Awaitable[T]) -> T:
    """Await one feed's poll, counting it in flight, its latency and its result."""
    FEEDS_IN_FLIGHT.inc()
    started = time.perf_counter()
    try:
        result: Any = await poll
    except BaseException:
        FAILURES.labels("poll").inc()
        raise
    finally:
        FEEDS_IN_FLIGHT.dec()
        POLL_SECONDS.observe(time.perf_counter() - started)
    outcome = "failed" if not result.ok else "not_modified" if result.not_modified else "ok"
    POLLS.labels(outcome).inc()
    ENTRIES.inc(result.entries)
    if outcome == "failed":
        FAILURES.labels("poll").inc()
    return result


def stored(article: StoredArticle | None) -> None:
    if article is not None:
        ARTICLES.inc()
        if article.new_story:
            STORIES.inc()


async def timed_delivery(delivery: Awaitable[T]) -> T:
    """Await one sink delivery, counting its outcome (Delivered, RetryLater, Refused, ChannelGone) and latency."""
    started = time.perf_counter()
    try:
        outcome: Any = await delivery
    except Exception:
        DELIVERIES.labels("error").inc()
        FAILURES.labels("delivery").inc()
        raise
    finally:
        DELIVERY_SECONDS.observe(time.perf_counter() - started)
    name = {"Delivered": "delivered", "RetryLater": "retry", "Refused": "refused",
            "ChannelGone": "channel_gone"}.get(type(outcome).__name__, "other")
    DELIVERIES.labels(name).inc()
    if name != "delivered":
        FAILURES.labels("delivery").inc()
    return outcome


def depths(snapshot: HealthSnapshot) -> None:
    FEEDS_DUE.set(snapshot.feeds_due)
    DELIVERIES_PENDING.set(snapshot.pending)
    DELIVERIES_GIVEN_UP.set(snapshot.given_up)


def value(metric: Counter | Gauge, *labels: str) -> float:
    """The current value, summed over labels when none are given (for the console's status line)."""
    total = 0.0
    for family in metric.collect():
        for sample in family.samples:
            if sample.name.endswith(("_created",)):
                continue
            if not labels or tuple(sample.labels.values()) == labels:
                total += sample.value
    return total


def serve(settings: MetricsSettings) -> bool:
    """Start the /metrics endpoint when enabled; a busy port is a warning, not a reason to stop the bot."""
    if not settings.enabled:
        return False
    try:
        start_http_server(settings.port, addr=settings.host)
    except OSError as exc:
        log.warning("metrics endpoint not started on %s:%s: %s", settings.host, settings.port, exc.strerror)
        return False
    log.info("metrics at http://%s:%s/metrics", settings.host, settings.port)
    return True
