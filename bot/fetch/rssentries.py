"""feedparser's entry dicts (RSS and Atom) into `FeedEntry`: every field capped and cleaned, links resolved
against the feed's base, ids kept stable across a feed's redirects."""

from __future__ import annotations

import calendar
import logging
import time
from datetime import UTC, datetime
from typing import Any

from bot.fetch.feedentries import hash_guid, title_from
from bot.fetch.fields import (
    MAX_AUTHOR_CHARS,
    clean_content,
    clean_text,
    entry_id,
    http_url,
    plausible_date,
)
from bot.models import FeedEntry

log = logging.getLogger(__name__)


def safe_entry(build: Any, raw: Any, bases: Any) -> FeedEntry | None:
    """One entry, or None when its hostile or odd fields trip a bug: the feed's other entries still count."""
    try:
        entry: FeedEntry = build(raw, bases)
        return entry
    except Exception:
        log.warning("skipped an unreadable entry in feed %s", bases, exc_info=True)
        return None


def struct_to_dt(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return plausible_date(datetime.fromtimestamp(calendar.timegm(value), tz=UTC))
    except (OverflowError, ValueError, OSError, TypeError):
        return None


def rss_entry(e: Any, bases: tuple[str, str]) -> FeedEntry:
    base, id_base = bases
    link = http_url(e.get("link"), base)
    title = clean_text(e.get("title"))
    content = best_content(e)
    guid = entry_id(e.get("id"), id_base) or link or hash_guid(title, content)
    legacy = entry_id(e.get("id"), base) if id_base != base else None
    author = clean_text(e.get("author"), MAX_AUTHOR_CHARS) or None
    published = struct_to_dt(e.get("published_parsed")) or struct_to_dt(e.get("updated_parsed"))
    return FeedEntry(
        guid=guid, link=link, title=title or title_from(content), published=published, author=author,
        content=content, image_url=_image(e, base), legacy_guid=legacy if legacy and legacy != guid else None,
    )


def best_content(e: Any) -> str:
    """The fullest body the entry offers: content:encoded / atom:content over summary, capped."""
    candidates = [c.get("value") for c in e.get("content") or [] if isinstance(c, dict)]
    candidates.append(e.get("summary"))
    return max((clean_content(c) for c in candidates), key=len)


def _image(e: Any, base: str) -> str | None:
    for enc in e.get("enclosures") or []:
        url = http_url(enc.get("href") or enc.get("url"), base)
        if url and str(enc.get("type", "")).startswith("image/"):
            return url
    for thumb in e.get("media_thumbnail") or []:
        if url := http_url(thumb.get("url"), base):
            return url
    for media in e.get("media_content") or []:
        kind = str(media.get("medium") or media.get("type") or "")
        url = http_url(media.get("url"), base)
        if url and (kind == "image" or kind.startswith("image/")):
            return url
    image = e.get("image")
    if isinstance(image, dict):
        return http_url(image.get("href") or image.get("url"), base)
    return None


