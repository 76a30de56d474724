"""The CPU half of ingest: a fetched page and a feed entry in, a `NewArticle` out.

Every function here is synchronous, touches no network or database, and takes and returns plain picklable
records, so that bot.pipeline.workers can run it in a worker process as readily as in a thread. The heavy
libraries (trafilatura, the summarizer and what it pulls in) are imported on first use, so a process whose
CPU work runs in a pool never loads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.config import Settings, SummarySettings
from bot.fetch.urls import canonicalize
from bot.models import ExtractedPage, Feed, FeedEntry, NewArticle, ParsedFeed, QuoteRecord
from bot.pipeline.cluster import fingerprint

if TYPE_CHECKING:
    import summaries

LANGUAGES = {
    "en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian", "pt": "portuguese",
    "nl": "dutch", "cs": "czech", "sk": "slovak", "pl": "polish", "ru": "russian", "uk": "ukrainian",
    "el": "greek", "hu": "hungarian", "sv": "swedish", "fi": "finnish", "no": "norwegian", "da": "danish",
}
"""Page language codes (trafilatura) to the language names sumy's stemmers and stop-words know."""


@dataclass(frozen=True, slots=True)
class PageBody:
    """An article page as fetched: extracted where the article is built, not where it was fetched."""

    body: bytes
    url: str
    charset: str | None


@dataclass(frozen=True, slots=True)
class BuildSettings:
    """The settings an article is built with: all a worker gets (small to pickle per job, and never the
    token)."""

    summary: SummarySettings
    min_article_chars: int

    @classmethod
    def of(cls, settings: Settings) -> BuildSettings:
        return cls(settings.summary, settings.feeds.min_article_chars)


@dataclass(frozen=True, slots=True)
class ArticleJob:
    """Everything `prepare_article` needs, in one picklable record."""

    settings: BuildSettings
    feed: Feed
    entry: FeedEntry
    url: str
    canonical: str
    page: PageBody | None


def warm() -> None:
    """Import what a job needs and run one small job, so a worker's first real article pays no set-up."""
    from bot.fetch.extract import extract_article
    from bot.fetch.feeds import parse_feed  # noqa: F401  (imported to warm the worker)

    text = ("The council approved the budget on Monday after a long dispute. Residents welcomed the news. "
            "\"It is a good day,\" said the mayor. Work on the roads starts next month.")
    page = f"<html><head><title>Budget</title></head><body><article><p>{text}</p></article></body></html>"
    extract_article(page.encode(), url="http://localhost/warm", charset="utf-8")
    summarize_text(text, title="Budget", settings=BuildSettings.of(Settings()))
    fingerprint("Budget", text)


def parse_feed_body(body: bytes, *, url: str, content_type: str | None, max_entries: int,
                    id_base: str | None = None) -> ParsedFeed:
    """bot.fetch.feeds.parse_feed, imported where it runs (feedparser stays out of a process that only
    stores)."""
    from bot.fetch.feeds import parse_feed

    return parse_feed(body, url=url, content_type=content_type, max_entries=max_entries, id_base=id_base)


def prepare_article(job: ArticleJob) -> NewArticle:
    """Extract the page (if any), then clean up, summarize and fingerprint: the whole CPU part of an entry."""
    page = None
    if job.page is not None:
        from bot.fetch.extract import extract_article

        page = extract_article(job.page.body, url=job.page.url, charset=job.page.charset)
    canonical = page_canonical(page, job.entry.link) or job.canonical
    return build_article(job.settings, job.feed, job.entry, job.url, canonical, page)


def build_article(settings: BuildSettings, feed: Feed, entry: FeedEntry, url: str, canonical: str,
                  page: ExtractedPage | None) -> NewArticle:
    from bot.fetch.htmltext import html_to_text

    feed_text = html_to_text(entry.content)
    # The page wins unless it looks like a paywall or menu stub: shorter than the configured floor
    # and than the feed's own text, or less than half of a full-text feed.
    page_chars = len(page.text) if page else 0
    use_page = page is not None and page_chars > 0 and page_chars >= len(feed_text) // 2 and (
        page_chars >= settings.min_article_chars or page_chars >= len(feed_text))
    text = page.text if page is not None and use_page else feed_text
    title = entry.title or (page.title if page and page.title else "") or url
    summary = summarize_text(text, title=title, settings=settings, language_code=page.language if page else None)
    return NewArticle(
        feed_id=feed.id,
        guid=entry.guid,
        url=url,
        canonical_url=canonical,
        title=title,
        text=text,
        text_source="page" if use_page else "feed",
        bullets=summary.bullets,
        quotes=tuple(QuoteRecord(q.text, q.speaker) for q in summary.quotes),
        word_count=summary.word_count,
        reading_minutes=summary.reading_minutes,
        reduction=summary.reduction,
        author=entry.author or (page.author if page else None),
        published_at=entry.published or (page.published if page else None),
        site_name=(page.site_name if page else None) or feed.title,
        image_url=entry.image_url or (page.image_url if page else None),
        language=summary.language,
        fingerprint=fingerprint(title, text) if text else None,
    )


def summarize_text(text: str, *, title: str | None, settings: Settings | BuildSettings,
                   language_code: str | None = None, bullets: int | None = None) -> summaries.Summary:
    """Summarize with the configured algorithm, in the page's language when the summarizer knows it."""
    import summaries

    language = LANGUAGES.get((language_code or "").split("-")[0].lower())
    return summaries.summarize(
        text, title=title, bullets=bullets or settings.summary.bullets,
        language=language or settings.summary.language, algorithm=settings.summary.algorithm,
    )


def page_canonical(page: ExtractedPage | None, link: str | None) -> str | None:
    """The page's own canonical URL, when it may stand for the entry's link in deduplication.

    Only a URL on the same site as the entry's link counts (a page must not claim another site's story),
    and never a home or section page: sites that point every article's canonical link at their front
    page or at `/blog/` would otherwise have all but their first article dropped as duplicates.
    """
    if page is None or not page.canonical_url or not link:
        return None
    canonical, own = urlsplit(canonicalize(page.canonical_url)), urlsplit(canonicalize(link))
    if _site(canonical.hostname) is None or (_site(canonical.hostname), canonical.port) != (
            _site(own.hostname), own.port):
        return None
    path = [p for p in canonical.path.split("/") if p]
    own_path = [p for p in own.path.split("/") if p]
    if not canonical.query and (not path or (len(path) < len(own_path) and own_path[: len(path)] == path)):
        return None  # the site's root or a section that the entry's own link lies under
    return canonicalize(page.canonical_url)


def _site(host: str | None) -> str | None:
    if not host:
        return None
    for prefix in ("www.", "m.", "amp."):
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix):]
    return host
