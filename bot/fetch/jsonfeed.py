"""JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1); small enough not to need a library.

Every field is checked for its type before use: a hostile or sloppy feed sends numbers, lists or
objects where strings belong, and one bad field must cost only that field.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from bot.fetch.feedentries import MAX_PARSED_ENTRIES, FeedError, hash_guid, key_entries, newest, title_from
from bot.fetch.fields import MAX_AUTHOR_CHARS, clean_content, clean_text, entry_id, http_url, plausible_date
from bot.models import FeedEntry, ParsedFeed

log = logging.getLogger(__name__)

JSON_FEED_PREFIX = "https://jsonfeed.org/version/"


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("z", "Z"))
        return plausible_date((dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC))
    except (ValueError, OverflowError):  # 0001-01-01T00:00+01:00 is before datetime.min in UTC
        return None


def _author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors")
    if isinstance(authors, list):
        names = [clean_text(a.get("name"), MAX_AUTHOR_CHARS) for a in authors[:20] if isinstance(a, dict)]
        if any(names):
            return ", ".join(n for n in names if n)[:MAX_AUTHOR_CHARS]
    author = item.get("author")  # JSON Feed 1.0
    if isinstance(author, dict):
        return clean_text(author.get("name"), MAX_AUTHOR_CHARS) or None
    return None


def parse_json_feed(body: bytes, *, url: str, max_entries: int) -> ParsedFeed:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedError(f"not valid JSON: {str(exc)[:200]}") from None
    except RecursionError:
        raise FeedError("not valid JSON: nested too deeply") from None
    version = doc.get("version") if isinstance(doc, dict) else None
    if not isinstance(version, str) or not version.startswith(JSON_FEED_PREFIX):
        raise FeedError("this is JSON but not a JSON Feed")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedError("the JSON Feed has no items list")
    items = [item for item in items[: max(max_entries, MAX_PARSED_ENTRIES) * 2] if isinstance(item, dict)]
    items = items[: max(max_entries, MAX_PARSED_ENTRIES)]
    entries = []
    for item in items:
        try:
            entries.append(_entry(item, url))
        except Exception:  # one odd item must not cost the feed's others
            log.warning("skipped an unreadable entry in feed %s", url, exc_info=True)
    return ParsedFeed(
        title=clean_text(doc.get("title")) or (urlsplit(url).hostname or url),
        site_url=http_url(doc.get("home_page_url"), url),
        entries=newest(key_entries(entries), max_entries),
        format="json1",
    )


def _entry(item: dict[str, Any], url: str) -> FeedEntry:
    link = http_url(item.get("url"), url) or http_url(item.get("external_url"), url)
    title = clean_text(item.get("title"))
    bodies = (clean_content(item.get(k)) for k in ("content_html", "content_text", "summary"))
    content = next((v for v in bodies if v), "")
    image = http_url(item.get("image"), url) or http_url(item.get("banner_image"), url)
    return FeedEntry(
        guid=entry_id(item.get("id"), None) or link or hash_guid(title, content),
        link=link,
        title=title or title_from(content),
        published=_iso(item.get("date_published")) or _iso(item.get("date_modified")),
        author=_author(item),
        content=content,
        image_url=image,
    )
