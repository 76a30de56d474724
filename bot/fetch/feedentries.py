"""What RSS, Atom and JSON Feed parsing share: the error type, entry keys and ordering."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime

from bot.fetch.fields import clean_text
from bot.models import FeedEntry

MAX_PARSED_ENTRIES = 500
"""Entries read from one body, before the newest `max_entries` are picked. feedparser holds every entry
in memory (5 MB of bare `<item/>` is 700,000 entries, ~400 MB and 20 s) and spends about half a
millisecond on each, so the rest of a longer feed is cut off; feeds list newest first, so what is
dropped is the oldest."""


class FeedError(Exception):
    """A body that is not a usable feed; `alternates` lists feed URLs found when it was a web page."""

    def __init__(self, reason: str, *, alternates: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.alternates = alternates


def newest(entries: list[FeedEntry], limit: int) -> tuple[FeedEntry, ...]:
    """Newest first; undated entries keep their feed order after the dated ones (feeds list newest
    first by convention)."""
    floor = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(enumerate(entries), key=lambda p: (-(p[1].published or floor).timestamp(), p[0]))
    if all(e.published is None for e in entries):
        ordered = list(enumerate(entries))
    return tuple(e for _, e in ordered[:limit])


def hash_guid(title: str, content: str) -> str:
    return "sha256:" + hashlib.sha256(f"{title}\n{content}".encode("utf-8", "replace")).hexdigest()[:32]


def title_from(content: str) -> str:
    text = clean_text(content, 400)
    return text[:80].rsplit(" ", 1)[0] + "…" if len(text) > 80 else text


def key_entries(entries: list[FeedEntry]) -> list[FeedEntry]:
    """Entries keyed by guid and link together: feeds that give every entry one guid (a template bug)
    still have distinct entries. A guid used once keeps its plain form, so ids recorded as seen by
    earlier versions still match; a shared guid becomes "<guid> <link>" for each of its entries.
    Entries with no title, link or content (a bare `<item/>`) carry nothing to store and are dropped."""
    entries = [e for e in entries if e.title or e.link or e.content]
    links: dict[str, set[str | None]] = {}
    for e in entries:
        links.setdefault(e.guid, set()).add(e.link)
    return [dataclasses.replace(e, guid=f"{e.guid} {e.link}") if len(links[e.guid]) > 1 and e.link else e
            for e in entries]
