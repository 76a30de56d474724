"""Main text and metadata of an article page, via trafilatura, without any network access.

Synchronous and CPU-bound (the caller runs it in a thread). Pages are decoded here rather than by
trafilatura so that the charset the server declared wins over guessing, and the input is capped because
lxml's time grows with the page and a multi-megabyte page is never a news article.
"""

from __future__ import annotations

import codecs
import itertools
import logging
import re
from datetime import UTC, datetime

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.settings import Document

from bot.fetch.fields import MAX_AUTHOR_CHARS, MAX_CONTENT_CHARS, clean_text, http_url, scrub
from bot.models import ExtractedPage

log = logging.getLogger(__name__)

MAX_HTML_BYTES = 1_000_000
"""Characters of markup extracted, after scripts and styles are dropped (from at most three times that)."""
MAX_HEAD_TEXT = 2_000
MAX_TAGS = 15_000
"""Tags (start and end) parsed from one page; a long article is a few thousand."""
MAX_JSON_LD_CHARS = 50_000
MIN_TEXT_CHARS = 50  # below this the "text" is a menu or a cookie notice, not an article
# Every pattern stops at the next `<` or `>` and has a bounded repeat, so a page of `<meta` repeated
# (inside a comment, with no `>`) costs one pass, not one rescan of the page per `<meta`.
_META_CHARSET = re.compile(rb"""<meta[^<>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_LANG_CODE = re.compile(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})?$")
_PUBLISHED_KEYS = frozenset({"article:published_time", "datepublished", "og:published_time", "pubdate",
                             "publishdate"})
_PRUNE = ("//script|//style|//noscript|//svg|//template|//iframe|//object|//canvas|//select|//button"
          "|//comment()|//processing-instruction()")
MAX_ELEMENTS = 3_000
FAST_ABOVE_ELEMENTS = 1_500
FAST_ABOVE_DEPTH = 60
_DEEP = f"boolean(//*[count(ancestor::*) > {FAST_ABOVE_DEPTH}])"


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


def strip_scripts(html: str) -> str:
    """`html` without comments, <script> and <style> elements: inline scripts and JSON blobs are most
    of a modern page's bytes, and the caps should be spent on markup. Small JSON-LD blocks stay
    (trafilatura reads authors and dates from them); an unclosed one drops the rest of the page.

    Split on the opener (C speed), then one str.find per piece: linear, with no rescanning.
    """
    html = _drop(html, _COMMENT_OPEN, "-->", keep_json_ld=False)
    html = _drop(html, _SCRIPT_OPEN, "</script", keep_json_ld=True)
    return _drop(html, _STYLE_OPEN, "</style", keep_json_ld=False)


_COMMENT_OPEN = re.compile(r"<!--")
_SCRIPT_OPEN = re.compile(r"<script\b", re.I)
_STYLE_OPEN = re.compile(r"<style\b", re.I)


def _drop(html: str, opener: re.Pattern[str], closer: str, *, keep_json_ld: bool) -> str:
    pieces = opener.split(html)
    out = [pieces[0]]
    for piece in pieces[1:]:
        end = piece.lower().find(closer) if closer != "-->" else piece.find(closer)
        if end < 0:
            break
        close = end + len(closer) if closer == "-->" else piece.find(">", end) + 1
        if close <= 0:
            break
        if keep_json_ld and close <= MAX_JSON_LD_CHARS and "ld+json" in piece[: piece.find(">")].lower():
            out.append("<script" + piece[:close])
        out.append(piece[close:])
    return "".join(out)


def _cap_tags(html: str, limit: int) -> str:
    """`html` cut before its (limit+1)th `<`: lxml's and the pruning's time follow the tag count."""
    if html.count("<") <= limit:
        return html
    nth = next(itertools.islice(_LT.finditer(html), limit, None))  # C-speed: no Python loop per tag
    return html[: nth.start()]


_LT = re.compile("<")


def _cap_head(tree: lxml.html.HtmlElement) -> None:
    """Titles and meta values cut to a sane length before trafilatura's metadata patterns see them."""
    for el in tree.iter("title", "meta", "link"):
        if el.text and len(el.text) > MAX_HEAD_TEXT:
            el.text = el.text[:MAX_HEAD_TEXT]
        for key in ("content", "href"):
            value = el.get(key)
            if value is not None and len(value) > MAX_HEAD_TEXT:
                el.set(key, value[:MAX_HEAD_TEXT])


def _pruned_tree(html: str, url: str) -> lxml.html.HtmlElement | None:
    """The page as a tree without scripts, styles, comments and other non-text parts, within
    MAX_ELEMENTS; a bigger page is cut down to its <article>/<main>, or refused (None).

    trafilatura's time grows with the number of elements (about 0.2 ms each), and it runs in a worker
    thread that no timeout can stop: the element budget is its time bound. Parsing here is lxml's C
    parser, linear in the input.
    """
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    for node in tree.xpath(_PRUNE):
        parent = node.getparent()
        if parent is None:
            continue
        if isinstance(node, etree._Comment | etree._ProcessingInstruction):
            tail, prev = node.tail, node.getprevious()
            parent.remove(node)
            if tail:  # keep the text that followed the comment
                if prev is not None:
                    prev.tail = (prev.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail
        else:
            node.drop_tree()
    _cap_head(tree)
    if _size(tree) <= MAX_ELEMENTS:
        return tree
    body = tree.find("body")
    for main in tree.xpath("//article|//main|//*[@role='main']") if body is not None else ():
        if _size(main) <= MAX_ELEMENTS // 2:
            for child in list(body):
                body.remove(child)
            body.text = None
            body.append(main)
            return tree if _size(tree) <= MAX_ELEMENTS else None
    log.info("page %s has more than %s elements and no article element small enough; not extracted",
             url, MAX_ELEMENTS)
    return None


def _size(node: lxml.html.HtmlElement) -> int:
    count = 0
    for _ in node.iter():
        count += 1
        if count > MAX_ELEMENTS:
            break
    return count


def _meta_published_tree(tree: lxml.html.HtmlElement) -> datetime | None:
    """The page's own timestamp (article:published_time and kin), which keeps the time of day that
    trafilatura's date (day only) drops."""
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in _PUBLISHED_KEYS and (dt := _parse_date((meta.get("content") or "")[:64])):
            return dt
    return None


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
        html = decode_html(html[: max_bytes * 3], charset, truncated=len(html) > max_bytes * 3)
    raw = _cap_tags(html[: max_bytes * 3], MAX_TAGS * 4)  # bounds the pieces strip_scripts walks
    html = _cap_tags(scrub(strip_scripts(raw), max_bytes), MAX_TAGS)
    if not html.strip():
        return None
    tree = _pruned_tree(html, url)
    if tree is None:
        return None
    lang = (tree.get("lang") or "")[:16]
    published = _meta_published_tree(tree)
    # trafilatura's fallbacks (readability, jusText) cost several times its main pass on big or deep
    # trees (jusText is quadratic in depth): past FAST_ABOVE_ELEMENTS or FAST_ABOVE_DEPTH they are
    # skipped, which bounds the worst case.
    fast = _size(tree) > FAST_ABOVE_ELEMENTS or bool(tree.xpath(_DEEP))
    try:
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            fast=fast,
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
    published = published or _parse_date(doc.date)
    title = clean_text(doc.title) or None
    text = scrub(doc.text or "", MAX_CONTENT_CHARS).strip()
    first, _, rest = text.partition("\n")
    if title and first.strip() == title and rest.strip():
        text = rest.strip()  # the <h1> headline is not part of the story's prose
    if len(text) < min_chars:
        return None
    code = _LANG_CODE.match(lang)
    return ExtractedPage(
        text=text,
        title=title,
        author=clean_text(doc.author, MAX_AUTHOR_CHARS) or None,
        published=published,
        site_name=clean_text(doc.sitename, MAX_AUTHOR_CHARS) or None,
        image_url=http_url(doc.image, url),
        language=(code.group(1).lower() if code else None) or doc.language,
        canonical_url=http_url(doc.url, url),
    )
