"""Caps and clean-up for every field a feed or page hands us, applied before any pattern looks at it.

Feed authors are untrusted: a field may be megabytes long, hold NULs or lone surrogates (which SQLite
and Discord reject on every retry), or carry dates no article has. Every helper here cuts its input to a
fixed size first, and every pattern is linear (no nested or overlapping repetition), so the work per
field is bounded by construction, not by a timeout the worker thread cannot honour.
"""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

MAX_TITLE_CHARS = 500
MAX_AUTHOR_CHARS = 200
MAX_CONTENT_CHARS = 100_000
MAX_URL_CHARS = 2_048
MAX_ID_CHARS = 512
MARKUP_FACTOR = 4
"""Raw markup read per character kept: tags and entities of a 500-character title fit in 2,000."""

EARLIEST_YEAR = 1990
FUTURE_SLACK = timedelta(days=2)
"""Dates before the web's news feeds or days ahead (year 0001, year 9999) are typos or defaults: missing."""

# `<` then anything but `<` or `>`: a scan never runs past the next `<`, so a run of 40,000 `<` costs
# one pass (the old `<[^>]*>` rescanned to the end of the string from every `<`).
_TAG = re.compile(r"<[^<>]*>")
_SPACE = re.compile(r"\s+")
# In one-line fields U+FFFD goes too: html.unescape turns `&#0;` and other invalid references into it.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd-\uffff]")
_CONTROL_KEEP_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def scrub(value: str, limit: int) -> str:
    """`value` cut to `limit` characters, without NULs, C0/C1 controls (newlines and tabs kept) or lone
    surrogates: text SQLite can store and Discord accepts."""
    return _CONTROL_KEEP_LINES.sub("", value[:limit])


def clean_text(value: Any, limit: int = MAX_TITLE_CHARS) -> str:
    """Tags stripped, entities unescaped, controls removed, whitespace collapsed, at most `limit`
    characters: fit for a title or author line. Non-strings (JSON Feed's wrong types) give ""."""
    if not isinstance(value, str) or not value:
        return ""
    raw = value[: limit * MARKUP_FACTOR]
    text = _CONTROL.sub("", html.unescape(_TAG.sub(" ", raw)))
    return _SPACE.sub(" ", text).strip()[:limit].rstrip()


def clean_content(value: Any) -> str:
    return scrub(value, MAX_CONTENT_CHARS).strip() if isinstance(value, str) else ""


def http_url(value: Any, base: str) -> str | None:
    """An absolute http(s) URL of sane length, or None (javascript:, data:, mailto:, junk)."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_URL_CHARS:
        return None
    try:
        absolute = urljoin(base, _CONTROL.sub("", value.strip()))
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or len(absolute) > MAX_URL_CHARS:
        return None
    return absolute


def entry_id(value: Any, base: str | None) -> str:
    """A stable id for an entry: with `base` (the feed URL as subscribed, so ids do not change when the
    feed moves), relative ids resolved against it as feedparser used to; controls removed, long ids
    replaced by their hash."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    raw = _CONTROL.sub("", str(value)[: MAX_ID_CHARS * 8]).strip()
    if not raw:
        return ""
    if base is not None:
        try:
            raw = urljoin(base, raw)
        except ValueError:
            pass
    if len(raw) > MAX_ID_CHARS:
        return "sha256:" + hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()
    return raw


def plausible_date(value: datetime | None, *, now: datetime | None = None) -> datetime | None:
    """`value` when it could be an article's date, else None (missing beats a wrong order)."""
    if value is None:
        return None
    now = now or datetime.now(UTC)
    if value.year < EARLIEST_YEAR or value > now + FUTURE_SLACK:
        return None
    return value
