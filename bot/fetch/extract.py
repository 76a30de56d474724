"""Main text and metadata of an article page, via trafilatura, without any network access.

Synchronous and CPU-bound (the caller runs it in a thread). Pages are decoded here rather than by
trafilatura so that the charset the server declared wins over guessing, and the input is capped because
lxml's time grows with the page and a multi-megabyte page is never a news article.
"""

from __future__ import annotations

import codecs
import logging
import re
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import trafilatura
from trafilatura.settings import Document

from bot.models import ExtractedPage

log = logging.getLogger(__name__)

MAX_HTML_BYTES = 3_000_000
MIN_TEXT_CHARS = 50  # below this the "text" is a menu or a cookie notice, not an article
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HTML_LANG = re.compile(r"""<html[^>]*?\slang\s*=\s*["']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?""", re.I)
_PUBLISHED_META = re.compile(
    r"""<meta[^>]+(?:property|name|itemprop)\s*=\s*["'](?:article:published_time|datePublished|"""
    r"""og:published_time|pubdate|publishdate)["'][^>]*>""",
    re.I,
)
_CONTENT_ATTR = re.compile(r"""content\s*=\s*["']([^"']+)["']""", re.I)


def _known_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def _decode(data: bytes, encoding: str, errors: str = "strict", *, truncated: bool = False) -> str:
    """`truncated`: the bytes were cut at a cap, so a partial character at the end is dropped, not an error."""
    return codecs.getincrementaldecoder(encoding)(errors).decode(data, final=not truncated)


def decode_html(data: bytes, charset: str | None = None, *, truncated: bool = False) -> str:
    """Header charset, then BOM / <meta charset>, then UTF-8, then windows-1252 (never fails).

    Pass `truncated` when `data` was cut at a size cap: otherwise a multi-byte character split by the
    cut fails the strict decodes and the whole page falls through to windows-1252 mojibake.
    """
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[3:], "utf-8", "replace", truncated=truncated)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16", "replace", truncated=truncated)
    declared = _known_codec(charset)
    if declared is None:
        m = _META_CHARSET.search(data[:4096])
        declared = _known_codec(m.group(1).decode("ascii", "ignore")) if m else None
    if declared is not None:
        if declared in ("latin-1", "iso8859-1", "ascii"):
            declared = "cp1252"  # what browsers do: the labels mean windows-1252 on the web
        try:
            return _decode(data, declared, truncated=truncated)
        except UnicodeDecodeError:
            log.debug("page does not decode as its declared %s", declared)
    try:
        return _decode(data, "utf-8", truncated=truncated)
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    value = value.strip()
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)


def _meta_published(html: str) -> datetime | None:
    """The page's own timestamp (article:published_time and kin), which keeps the time of day that
    trafilatura's date (day only) drops."""
    for tag in _PUBLISHED_META.finditer(html[:200_000]):
        m = _CONTENT_ATTR.search(tag.group(0))
        if m and (dt := _parse_date(m.group(1))):
            return dt
    return None


def _http_url(value: str | None, base: str) -> str | None:
    if not value:
        return None
    absolute = urljoin(base, value.strip())
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def extract_article(
    html: bytes | str,
    *,
    url: str,
    charset: str | None = None,
    max_bytes: int = MAX_HTML_BYTES,
    min_chars: int = MIN_TEXT_CHARS,
) -> ExtractedPage | None:
    """The article's text and metadata, or None when the page has no extractable main text."""
    if isinstance(html, bytes):
        html = decode_html(html[:max_bytes], charset, truncated=len(html) > max_bytes)
    else:
        html = html[:max_bytes]
    if not html.strip():
        return None
    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            deduplicate=False,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception:  # trafilatura/lxml raise many types on odd markup; one page must not stop a poll
        log.warning("extraction failed for %s", url, exc_info=True)
        return None
    if not isinstance(doc, Document) or not (doc.text or "").strip():
        return None
    lang = _HTML_LANG.search(html[:5000])
    published = _meta_published(html) or _parse_date(doc.date)
    title = (doc.title or "").strip() or None
    text = (doc.text or "").strip()
    first, _, rest = text.partition("\n")
    if title and first.strip() == title and rest.strip():
        text = rest.strip()  # the <h1> headline is not part of the story's prose
    if len(text) < min_chars:
        return None
    return ExtractedPage(
        text=text,
        title=title,
        author=(doc.author or "").strip() or None,
        published=published,
        site_name=(doc.sitename or "").strip() or None,
        image_url=_http_url(doc.image, url),
        language=(lang.group(1).lower() if lang else None) or doc.language,
        canonical_url=_http_url(doc.url, url),
    )
