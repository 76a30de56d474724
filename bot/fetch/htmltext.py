"""Plain text from the HTML that feeds put in their summaries and content fields."""

from __future__ import annotations

import html
import re

import lxml.html
from lxml import etree

MAX_HTML_CHARS = 200_000
"""Markup read from one feed entry (the parser already capped the field at half this in characters of text)."""
# `[^<>]` rather than `[^>]`: a run of `<p` with no `>` must not be rescanned to its end from every `<p`.
_BLOCKS = re.compile(r"(?i)</?(p|div|br|li|h[1-6]|blockquote|tr|section|article)\b[^<>]*>")
_TAG = re.compile(r"<[^<>]*>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANKS = re.compile(r"\n\s*\n+")


def html_to_text(markup: str) -> str:
    """Text with one blank line between paragraphs, the shape the summarizer splits paragraphs on."""
    if not markup or not markup.strip():
        return ""
    markup = markup[:MAX_HTML_CHARS]
    if "<" not in markup:
        return _tidy(html.unescape(markup))
    marked = _BLOCKS.sub("\n\n", markup)
    try:
        root = lxml.html.fromstring(marked)
    except (etree.ParserError, ValueError):
        return _tidy(html.unescape(_TAG.sub(" ", markup)))
    for bad in root.xpath("//script|//style|//noscript|//figcaption"):
        bad.drop_tree()
    return _tidy(root.text_content())


def _tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()
