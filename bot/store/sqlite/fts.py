"""Full-text helpers: user text -> a safe FTS5 MATCH expression, and the indexed values of an article.

User text is never passed to MATCH as written: FTS5 syntax (`AND`, `NEAR(`, `"`, `*`, `:`, `^`) would
either raise a syntax error in the middle of a slash command or let someone build a query that scans the
whole index. Every term is a double-quoted string instead; only a trailing `*` (prefix search) survives.
"""

from __future__ import annotations

import re
import sqlite3

from bot.models import QuoteRecord

MAX_QUERY_CHARS = 500
MAX_TERMS = 12
MIN_PREFIX_CHARS = 2  # "a*" would expand to a large part of the vocabulary

# bm25() column weights, in the table's column order (title, bullets, quotes, text): a word in the title
# says more about what the story is than the same word deep in the text.
BM25_WEIGHTS = (10.0, 4.0, 3.0, 1.0)

_WORD = re.compile(r"\w", re.UNICODE)


def match_expression(query: str) -> str | None:
    """The FTS5 expression for a user's search text, or None when nothing searchable is left.

    Terms are ANDed (FTS5's implicit operator); `word*` is a prefix query. A term with no letter or digit
    (emoji, punctuation, a lone `*`) is dropped, because the tokenizer would turn it into an empty phrase.
    """
    terms: list[str] = []
    for raw in query[:MAX_QUERY_CHARS].split():
        prefix = raw.endswith("*")
        word = raw.rstrip("*").replace("\x00", "")
        if not _WORD.search(word):
            continue
        quoted = '"' + word.replace('"', '""') + '"'
        if prefix and len(word) >= MIN_PREFIX_CHARS:
            quoted += "*"
        if quoted not in terms:
            terms.append(quoted)
        if len(terms) >= MAX_TERMS:
            break
    return " ".join(terms) if terms else None


def fts_values(title: str, bullets: tuple[str, ...], quotes: tuple[QuoteRecord, ...],
               text: str | None) -> tuple[str, str, str, str]:
    """The (title, bullets, quotes, text) indexed for an article.

    The index is contentless, so deleting a row needs exactly the values it was indexed with; they are
    always rebuilt from the stored article through this one function, never kept separately.
    """
    quote_text = "\n".join(f"{q.text} {q.speaker or ''}".strip() for q in quotes)
    return title, "\n".join(bullets), quote_text, text or ""


def segment_count(db: sqlite3.Connection) -> int:
    """How many b-tree segments the index has (its %_idx table holds rows for each segment's pages)."""
    return int(db.execute("SELECT count(DISTINCT segid) FROM articles_fts_idx").fetchone()[0])


def merge_step(db: sqlite3.Connection, pages: int) -> bool:
    """One step of FTS5's incremental merge ('merge' command): writes about abs(pages) pages. True when
    it did work, which FTS5 reports only through the change counter (a difference of 2 or more)."""
    before = db.total_changes
    db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('merge', ?)", (pages,))
    return db.total_changes - before >= 2
