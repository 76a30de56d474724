"""Backend-neutral pieces every store implementation shares: JSON columns, names, sources, filter input.

Both backends must agree on these exactly (a quote found by surname on SQLite must be found on PostgreSQL,
a copied database must read back the same), so they live here once rather than in each backend.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from bot.models import ArticleToStore, DigestSchedule, Feed, QuoteRecord, Source, StoredArticle, StoryView, Subscription
from bot.pipeline.filters import validate_filter
from bot.store.errors import StoreError


class Row(Protocol):
    """A sqlite3.Row or an asyncpg.Record: both read by column name."""

    def __getitem__(self, key: str, /) -> Any: ...


# ---- rows to models (each backend passes how it reads a stored time)

When = Callable[[Any], datetime]


def feed_from_row(row: Row, when: When) -> Feed:
    last_polled = row["last_polled_at"]
    return Feed(
        id=row["id"],
        url=row["url"],
        title=row["title"],
        site_url=row["site_url"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        poll_interval=row["poll_interval"],
        next_poll_at=when(row["next_poll_at"]),
        failure_count=row["failure_count"],
        disabled=bool(row["disabled"]),
        disabled_reason=row["disabled_reason"],
        last_error=row["last_error"],
        last_polled_at=None if last_polled is None else when(last_polled),
        initialized=bool(row["initialized"]),
        failing_entries=int(row["failing_entries"]),
        entry_error=row["entry_error"],
    )


def subscription_from_row(row: Row) -> Subscription:
    return Subscription(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        feed_id=row["feed_id"],
        include=row["include"],
        exclude=row["exclude"],
        paused=bool(row["paused"]),
        paused_reason=row["paused_reason"],
    )


def digest_from_row(row: Row, when: When) -> DigestSchedule:
    last_sent = row["last_sent_at"]
    return DigestSchedule(
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        time_of_day=row["time_of_day"],
        timezone=row["timezone"],
        next_due_at=when(row["next_due_at"]),
        last_sent_at=None if last_sent is None else when(last_sent),
    )


# ---- batches of add_articles


def check_batch(batch: Sequence[ArticleToStore]) -> None:
    """Refuse, before anything is written, a `join` that does not name an earlier item of the batch."""
    for i, item in enumerate(batch):
        if item.story_id is None and item.join is not None and not 0 <= item.join < i:
            raise ValueError(f"batch item {i} joins item {item.join}, which is not an earlier item")


def batch_story(item: ArticleToStore, earlier: Sequence[StoredArticle | None]) -> int | None:
    """The story an item joins: its own story_id, else that of the earlier item it names (when that one
    was stored), else None (a new story)."""
    if item.story_id is not None or item.join is None:
        return item.story_id
    joined = earlier[item.join]
    return None if joined is None else joined.story_id


# ---- JSON columns


def bullets_to_json(bullets: tuple[str, ...]) -> str:
    return json.dumps(list(bullets), ensure_ascii=False)


def bullets_from_json(value: str) -> tuple[str, ...]:
    return tuple(str(b) for b in json.loads(value))


def quotes_to_json(quotes: tuple[QuoteRecord, ...]) -> str:
    return json.dumps([[q.text, q.speaker] for q in quotes], ensure_ascii=False)


def quotes_from_json(value: str) -> tuple[QuoteRecord, ...]:
    return tuple(QuoteRecord(text=str(t), speaker=s) for t, s in json.loads(value))


# ---- names

_HONORIFICS = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lord", "lady", "rev", "fr",
    "president", "pm", "senator", "sen", "rep", "gov", "governor", "minister", "chancellor",
    "secretary", "judge", "justice", "gen", "general", "col", "capt", "king", "queen", "prince",
    "princess",
})
_NON_WORD = re.compile(r"[^\w]+")


def normalize_name(name: str | None) -> str | None:
    """Casefolded, diacritics stripped, punctuation to spaces, leading honorifics dropped.

    "Dr. José Ramos-Horta" -> "jose ramos horta": quote lookups then match however a person types the name.
    """
    if not name:
        return None
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = [w for w in _NON_WORD.sub(" ", plain).replace("_", " ").split() if w]
    while len(words) > 1 and words[0] in _HONORIFICS:
        words.pop(0)
    return " ".join(words) or None


def surname(norm: str | None) -> str | None:
    return norm.rsplit(" ", 1)[-1] if norm else None


def url_host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or url
    except ValueError:
        return url
    return host.removeprefix("www.")


def source_name(feed_title: str | None, site_name: str | None, url: str) -> str:
    """How a source is named under a story: the feed's title, else the page's site name, else the host."""
    return (feed_title or "").strip() or (site_name or "").strip() or url_host(url)


# ---- filters


def filter_text(title: str, bullets: Sequence[str]) -> str:
    """What include/exclude filters look at: the title and the summary, not the whole article."""
    return "\n".join([title, *bullets])


def clean_filter(expr: str | None) -> str | None:
    """None for "no filter"; a StoreError with the reason for an unusable one."""
    if expr is None or not expr.strip():
        return None
    error = validate_filter(expr)
    if error:
        raise StoreError(f"invalid filter {expr[:60]!r}: {error}")
    return expr.strip()


def quote_index_text(quotes: Sequence[QuoteRecord]) -> str:
    """The searchable text of an article's quotes: each quote with its speaker, one per line."""
    return "\n".join(f"{q.text} {q.speaker or ''}".strip() for q in quotes)


def feed_key(canonical_url: str, feed_id: int) -> str:
    """The unique key of a feed's own copy of an article another feed stored first.

    canonical_url is unique, but one feed's entry must never stand in for another's (a hostile feed
    could otherwise title and summarise a story another server receives), so a second feed's article
    is stored under this key. Canonical URLs never carry a fragment, so it cannot collide with one.
    """
    return f"{canonical_url}#feed={feed_id}"


def story_view(story_id: int, articles: Sequence[Any], published_at: datetime | None) -> StoryView:
    """A story as one guild sees it: its first visible article, with the other outlets as extra sources.

    `published_at` is the first article's, already converted by the backend (the one column stored differently).
    """
    first = articles[0]
    primary = Source(source_name(first["feed_title"], first["site_name"], first["url"]), first["url"])
    others: list[Source] = []
    names = {primary.name}
    for row in articles[1:]:
        name = source_name(row["feed_title"], row["site_name"], row["url"])
        if name in names:
            continue
        names.add(name)
        others.append(Source(name, row["url"]))
    return StoryView(
        story_id=story_id,
        article_id=first["id"],
        title=first["title"],
        url=first["url"],
        source=primary,
        bullets=bullets_from_json(first["bullets"]),
        quotes=quotes_from_json(first["quotes"]),
        published_at=published_at,
        image_url=first["image_url"],
        reading_minutes=first["reading_minutes"],
        reduction=first["reduction"],
        other_sources=tuple(others),
        author=first["author"],
        text_source=first["text_source"],
        source_count=len(names),
    )


def ordered(views: dict[int, StoryView], story_ids: Sequence[int]) -> list[StoryView]:
    return [views[sid] for sid in dict.fromkeys(story_ids) if sid in views]
