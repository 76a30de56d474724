"""Typed records passed between the pipeline stages, the store and the Discord layer.

They are frozen so that a story read from the store can be handed to several channels' renderers
without one of them changing what another sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

CONSOLE_GUILD_ID = 0
"""Guild id of the terminal "channel" that console mode (no Discord token) delivers to."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One entry of a parsed feed; `guid` falls back to the link, then to a hash of title+summary."""

    guid: str
    link: str | None
    title: str
    published: datetime | None = None
    author: str | None = None
    content: str = ""  # the entry's summary/content, HTML or text
    image_url: str | None = None
    legacy_guid: str | None = None  # the id as older versions resolved it (against the post-redirect URL)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    site_url: str | None
    entries: tuple[FeedEntry, ...]
    format: str  # feedparser's version string ("rss20", "atom10", ...) or "json1"


@dataclass(frozen=True, slots=True)
class ExtractedPage:
    """What trafilatura found on an article page."""

    text: str
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    site_name: str | None = None
    image_url: str | None = None
    language: str | None = None
    canonical_url: str | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    id: int
    url: str
    title: str | None
    site_url: str | None
    etag: str | None
    last_modified: str | None
    poll_interval: int  # seconds
    next_poll_at: datetime
    failure_count: int
    disabled: bool
    disabled_reason: str | None
    last_error: str | None
    last_polled_at: datetime | None
    initialized: bool  # first poll done (existing entries recorded, only the newest few queued)
    failing_entries: int = 0  # entries that failed to be stored, retrying or given up (poison entries)
    entry_error: str | None = None  # the latest of their errors

    @property
    def display_name(self) -> str:
        return self.title or self.url


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    guild_id: int
    channel_id: int
    feed_id: int
    include: str | None = None  # comma-separated keywords, or /regex/
    exclude: str | None = None
    paused: bool = False
    paused_reason: str | None = None


@dataclass(frozen=True, slots=True)
class QuoteRecord:
    text: str
    speaker: str | None


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article ready to be stored: fetched, extracted and summarized."""

    feed_id: int
    guid: str
    url: str
    canonical_url: str
    title: str
    text: str
    text_source: str  # "page" when extracted from the article page, "feed" when the page failed
    bullets: tuple[str, ...]
    quotes: tuple[QuoteRecord, ...]
    word_count: int
    reading_minutes: int
    reduction: float  # fraction of the article's words that the summary drops, 0..1
    author: str | None = None
    published_at: datetime | None = None
    site_name: str | None = None
    image_url: str | None = None
    language: str | None = None
    fingerprint: bytes | None = None  # MinHash signature for cross-outlet clustering


@dataclass(frozen=True, slots=True)
class ArticleToStore:
    """One item of `Store.add_articles`: an article and the story it joins, decided by the clusterer."""

    article: NewArticle
    story_id: int | None  # an existing story this article joins (from the clusterer), or None
    join: int | None = None  # or: index of an EARLIER item of the same batch whose story it joins
    # (used only when story_id is None; if that item was a duplicate and not stored, this one starts a
    # new story)


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class StoryView:
    """A story as the renderers and commands see it: its first article plus the cluster's other sources."""

    story_id: int
    article_id: int
    title: str
    url: str
    source: Source
    bullets: tuple[str, ...]
    quotes: tuple[QuoteRecord, ...]
    published_at: datetime | None
    image_url: str | None
    reading_minutes: int
    reduction: float
    other_sources: tuple[Source, ...] = ()
    author: str | None = None
    text_source: str = "page"
    source_count: int = 1


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    id: int
    guild_id: int
    channel_id: int
    subscription_id: int | None
    story: StoryView
    attempts: int


@dataclass(frozen=True, slots=True)
class QuoteHit:
    quote: QuoteRecord
    story: StoryView


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    guild_id: int
    channel_id: int
    time_of_day: str  # "HH:MM" local time
    timezone: str  # IANA name
    next_due_at: datetime  # UTC
    last_sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredArticle:
    article_id: int
    story_id: int
    new_story: bool
    deliveries: tuple[int, ...] = field(default=())  # delivery ids queued in the same transaction


LOOKS = ("full", "compact", "text")
ADMIN_PAUSE = "paused by an admin"
"""Subscription.paused_reason of a `/feed pause`: resumed by `/feed resume`, not by `/feed enable`."""


@dataclass(frozen=True, slots=True)
class PostSettings:
    """How one subscription's stories are posted: the defaults are today's full embed from the bot."""

    look: str = "full"  # one of LOOKS
    bullets: int | None = None  # None: as many as the summary has
    quotes: bool = True
    colour: int | None = None  # 0xRRGGBB; None: the default colour
    webhook: bool = False
    thread_per_story: bool = False
    auto_publish: bool = False
    forum_tag_id: int | None = None
    ping_role_id: int | None = None
    ping_keywords: str | None = None  # comma-separated; None: every story pings
    paused_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EntryFailure:
    """A feed entry that failed to be stored: retried with back-off, given up after a bound."""

    guid: str
    attempts: int
    last_error: str
    next_attempt_at: datetime
    gave_up: bool


@dataclass(frozen=True, slots=True)
class Notice:
    """A message for a guild's log channel (or `channel_id` when it has none), written by any process."""

    id: int
    guild_id: int
    channel_id: int | None
    text: str
    attempts: int = 0  # earlier takes of this notice (each failed or was cut short)
