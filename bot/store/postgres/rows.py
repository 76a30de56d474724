"""Conversions between asyncpg records and the shared records, and what is refused at the boundary.

A naive datetime is refused (ValueError), as on SQLite: a naive time silently shifted by the host's zone
is the kind of bug that only shows up in a digest posted at the wrong hour. PostgreSQL text cannot hold
NUL characters (nor jsonb an escaped one), so hostile input has them removed here rather than failing
an insert halfway through ingest.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.models import DigestSchedule, Feed, NewArticle, QuoteRecord, Subscription
from bot.store import common

Row = Mapping[str, Any]


def ts(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime given to the store: {dt!r} (all store times are aware UTC)")
    return dt.astimezone(UTC)


def opt_ts(dt: datetime | None) -> datetime | None:
    return None if dt is None else ts(dt)


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def opt_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def txt(value: str) -> str:
    return value.replace("\x00", "")


def opt_txt(value: str | None) -> str | None:
    return None if value is None else value.replace("\x00", "")


def clean_article(article: NewArticle) -> NewArticle:
    """The article with NUL characters removed from every text field."""
    return dataclasses.replace(
        article,
        guid=txt(article.guid), url=txt(article.url), canonical_url=txt(article.canonical_url),
        title=txt(article.title), text=txt(article.text), text_source=txt(article.text_source),
        bullets=tuple(txt(b) for b in article.bullets),
        quotes=tuple(QuoteRecord(txt(q.text), opt_txt(q.speaker)) for q in article.quotes),
        author=opt_txt(article.author), site_name=opt_txt(article.site_name),
        image_url=opt_txt(article.image_url), language=opt_txt(article.language),
    )


def feed_from_row(row: Row) -> Feed:
    return common.feed_from_row(row, utc)


def subscription_from_row(row: Row) -> Subscription:
    return common.subscription_from_row(row)


def digest_from_row(row: Row) -> DigestSchedule:
    return common.digest_from_row(row, utc)
