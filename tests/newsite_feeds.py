"""The loopback news site's feeds: RSS 2.0, Atom and JSON Feed documents for a list of entries."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class FeedItem:
    """A feed entry that need not have an article page (or points elsewhere)."""

    guid: str | None
    title: str
    link: str | None = None
    content: str = ""
    published: datetime | None = None
    author: str | None = None
    image: str | None = None


def render_rss(title: str, home: str, items: list[FeedItem]) -> bytes:
    e = html.escape
    parts = []
    for it in items:
        x = [f"<title>{e(it.title)}</title>"]
        if it.link:
            x.append(f"<link>{e(it.link)}</link>")
        if it.guid:
            x.append(f'<guid isPermaLink="false">{e(it.guid)}</guid>')
        if it.published:
            x.append(f"<pubDate>{format_datetime(it.published.astimezone(UTC), usegmt=True)}</pubDate>")
        if it.author:
            x.append(f"<dc:creator>{e(it.author)}</dc:creator>")
        if it.content:
            x.append(f"<description>{e(it.content)}</description>")
        if it.image:
            x.append(f'<enclosure url="{e(it.image)}" type="image/jpeg" length="0"/>')
        parts.append("<item>" + "".join(x) + "</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{e(title)}</title><link>{home}</link><description>{e(title)}</description>"
        + "".join(parts) + "</channel></rss>"
    ).encode()


def render_atom(title: str, home: str, self_url: str, items: list[FeedItem]) -> bytes:
    e = html.escape
    dates = [it.published for it in items if it.published]
    updated = max(dates, default=datetime(2024, 1, 1, tzinfo=UTC))
    parts = []
    for it in items:
        x = [f"<title>{e(it.title)}</title>", f"<id>{e(it.guid or it.link or it.title)}</id>"]
        if it.link:
            x.append(f'<link rel="alternate" href="{e(it.link)}"/>')
        if it.published:
            x.append(f"<published>{it.published.isoformat()}</published>")
            x.append(f"<updated>{it.published.isoformat()}</updated>")
        if it.author:
            x.append(f"<author><name>{e(it.author)}</name></author>")
        if it.content:
            x.append(f'<content type="html">{e(it.content)}</content>')
        if it.image:
            x.append(f'<link rel="enclosure" type="image/jpeg" href="{e(it.image)}"/>')
        parts.append("<entry>" + "".join(x) + "</entry>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{e(title)}</title><id>{self_url}</id><updated>{updated.isoformat()}</updated>"
        f'<link rel="alternate" href="{home}"/><link rel="self" href="{self_url}"/>'
        + "".join(parts) + "</feed>"
    ).encode()


def render_json(title: str, home: str, self_url: str, items: list[FeedItem]) -> bytes:
    out: list[dict[str, Any]] = []
    for it in items:
        d: dict[str, Any] = {"id": it.guid or it.link or it.title, "title": it.title}
        if it.link:
            d["url"] = it.link
        if it.content:
            d["content_html"] = it.content
        if it.published:
            d["date_published"] = it.published.isoformat()
        if it.author:
            d["authors"] = [{"name": it.author}]
        if it.image:
            d["image"] = it.image
        out.append(d)
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": title, "home_page_url": home,
           "feed_url": self_url, "items": out}
    return json.dumps(doc).encode()
