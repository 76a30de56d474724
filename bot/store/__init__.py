"""The store: every read and write of newsbot's state goes through `Store`.

CONTRACT STUB — the storage implementation replaces these bodies but keeps the names, signatures and
semantics documented here, because the pipeline (bot/ingest.py), the scheduler and the Discord cogs are
written against them. All datetimes in and out are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from bot.models import (
    DigestSchedule,
    Feed,
    NewArticle,
    PendingDelivery,
    QuoteHit,
    StoredArticle,
    StoryView,
    Subscription,
)


class StoreError(Exception):
    """A store operation that cannot be done; the message is fit to show the person who asked."""


class Store:
    """aiosqlite on one file (WAL, foreign keys, FTS5); migrations applied by `open`."""

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        """Open (creating if needed) the database, apply pending migrations in one transaction each."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    # ---- feeds
    async def add_feed(self, url: str, *, title: str | None = None, site_url: str | None = None,
                       poll_interval: int = 900, now: datetime) -> Feed:
        """Idempotent on `url`: returns the existing feed when the URL is already known."""
        raise NotImplementedError

    async def get_feed(self, feed_id: int) -> Feed | None:
        raise NotImplementedError

    async def get_feed_by_url(self, url: str) -> Feed | None:
        raise NotImplementedError

    async def list_feeds(self) -> list[Feed]:
        raise NotImplementedError

    async def due_feeds(self, now: datetime, limit: int = 100) -> list[Feed]:
        """Enabled feeds with next_poll_at <= now and at least one subscription, oldest due first."""
        raise NotImplementedError

    async def record_poll_success(self, feed_id: int, *, now: datetime, next_poll_at: datetime,
                                  etag: str | None, last_modified: str | None,
                                  title: str | None = None, site_url: str | None = None) -> None:
        """Resets failure_count and last_error; title/site_url update only when given."""
        raise NotImplementedError

    async def record_poll_failure(self, feed_id: int, *, now: datetime, next_poll_at: datetime,
                                  error: str, disable: bool) -> Feed:
        """Increments failure_count, stores the error; with disable=True also disables with the reason."""
        raise NotImplementedError

    async def set_feed_enabled(self, feed_id: int, enabled: bool, *, now: datetime) -> None:
        """Enabling clears failure_count/disabled_reason and makes the feed due now."""
        raise NotImplementedError

    async def delete_feed(self, feed_id: int) -> None:
        """Deletes the feed and its subscriptions; stories already stored stay."""
        raise NotImplementedError

    # ---- entries seen (dedup by guid per feed)
    async def unseen_guids(self, feed_id: int, guids: Sequence[str]) -> set[str]:
        """The subset of `guids` never recorded for this feed (seen rows or stored articles)."""
        raise NotImplementedError

    async def mark_seen(self, feed_id: int, guids: Iterable[str], *, now: datetime) -> None:
        raise NotImplementedError

    async def mark_initialized(self, feed_id: int) -> None:
        raise NotImplementedError

    # ---- articles and stories
    async def find_article_by_url(self, canonical_url: str) -> int | None:
        """Article id stored under this canonical URL, from any feed."""
        raise NotImplementedError

    async def add_article(self, article: NewArticle, *, story_id: int | None, now: datetime) -> StoredArticle | None:
        """Store an article, in ONE transaction with everything that follows from it:

        - the article row (unique canonical_url: a duplicate returns None and changes nothing except
          marking the guid seen for article.feed_id),
        - a new story when `story_id` is None, else the article joins that story (cluster),
        - its quotes (searchable by speaker), its FTS row (title, bullets, quotes, text),
        - the guid marked seen for its feed,
        - a pending delivery for every unpaused subscription of article.feed_id whose include/exclude
          filter matches (bot.filters), unique per (channel_id, story_id) so a channel never gets one
          story twice, even from two feeds or two outlets of the same cluster.
        """
        raise NotImplementedError

    async def recent_fingerprints(self, since: datetime) -> list[tuple[int, bytes]]:
        """(story_id, fingerprint) of articles stored since `since`, for rebuilding the cluster index."""
        raise NotImplementedError

    async def get_story(self, story_id: int) -> StoryView | None:
        raise NotImplementedError

    # ---- subscriptions
    async def subscribe(self, guild_id: int, channel_id: int, feed_id: int, *, now: datetime,
                        include: str | None = None, exclude: str | None = None) -> Subscription:
        """Idempotent per (channel_id, feed_id)."""
        raise NotImplementedError

    async def unsubscribe(self, guild_id: int, feed_id: int, channel_id: int | None = None) -> int:
        """Removes the guild's subscriptions to the feed (in one channel, or all); returns how many.
        A feed left with no subscription at all is deleted too."""
        raise NotImplementedError

    async def guild_subscriptions(self, guild_id: int) -> list[tuple[Subscription, Feed]]:
        raise NotImplementedError

    async def set_filters(self, subscription_id: int, include: str | None, exclude: str | None) -> None:
        raise NotImplementedError

    async def pause_channel(self, channel_id: int, reason: str) -> int:
        """Pause every subscription of a channel (it is gone or we lack permission); returns how many."""
        raise NotImplementedError

    async def resume_subscription(self, subscription_id: int) -> None:
        raise NotImplementedError

    # ---- delivery outbox
    async def pending_deliveries(self, now: datetime, limit: int = 50) -> list[PendingDelivery]:
        """Pending rows whose next_attempt_at <= now, oldest first."""
        raise NotImplementedError

    async def mark_delivered(self, delivery_id: int, message_id: int, *, now: datetime) -> None:
        raise NotImplementedError

    async def mark_delivery_failed(self, delivery_id: int, error: str, *, now: datetime,
                                   retry_at: datetime | None) -> None:
        """retry_at=None gives the delivery up (status 'failed'); otherwise attempts+1 and retried then."""
        raise NotImplementedError

    async def cancel_channel_deliveries(self, channel_id: int, reason: str) -> int:
        """Give up every pending delivery of a channel (paused or gone)."""
        raise NotImplementedError

    # ---- lookups for slash commands (always scoped to the guild's subscribed feeds)
    async def search(self, guild_id: int, query: str, *, since: datetime | None = None,
                     feed_id: int | None = None, limit: int = 5) -> list[StoryView]:
        """FTS5 BM25 over title, bullets, quotes and text. `query` is user text: it is turned into a safe
        FTS expression (terms quoted), never passed raw. Empty/garbage query -> []."""
        raise NotImplementedError

    async def latest(self, guild_id: int, *, feed_id: int | None = None, limit: int = 5) -> list[StoryView]:
        raise NotImplementedError

    async def quotes_by(self, guild_id: int, who: str, *, since: datetime | None = None,
                        limit: int = 10) -> list[QuoteHit]:
        """Quotes whose speaker matches `who` (full name, or surname), newest first."""
        raise NotImplementedError

    # ---- digests
    async def set_digest(self, guild_id: int, channel_id: int, *, time_of_day: str, timezone: str,
                         next_due_at: datetime) -> DigestSchedule:
        raise NotImplementedError

    async def remove_digest(self, channel_id: int) -> bool:
        raise NotImplementedError

    async def get_digest(self, channel_id: int) -> DigestSchedule | None:
        raise NotImplementedError

    async def due_digests(self, now: datetime) -> list[DigestSchedule]:
        raise NotImplementedError

    async def digest_stories(self, channel_id: int, since: datetime, limit: int) -> list[StoryView]:
        """Stories of the channel's subscribed feeds first stored since `since`, ranked by number of
        sources (cluster size) then recency."""
        raise NotImplementedError

    async def mark_digest_sent(self, channel_id: int, *, sent_at: datetime, next_due_at: datetime) -> None:
        raise NotImplementedError

    # ---- guild settings and metadata
    async def set_log_channel(self, guild_id: int, channel_id: int | None) -> None:
        raise NotImplementedError

    async def get_log_channel(self, guild_id: int) -> int | None:
        raise NotImplementedError

    async def get_meta(self, key: str) -> str | None:
        raise NotImplementedError

    async def set_meta(self, key: str, value: str) -> None:
        raise NotImplementedError

    # ---- retention
    async def purge_article_text(self, older_than: datetime) -> int:
        """Drop the full text of articles stored before `older_than` (summaries, quotes, FTS title/bullets
        kept); returns how many."""
        raise NotImplementedError
