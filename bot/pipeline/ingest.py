"""The ingest pipeline: a due feed in, new stories stored with their pending deliveries out.

Order matters for crash safety. A feed's ETag is recorded only after every new entry of that body is
stored, and an entry is marked seen only in the transaction that stores its article, so a process killed
at any point re-reads the feed on restart and picks up exactly the entries it had not finished.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot import metrics
from bot.config import Settings
from bot.fetch.feedentries import FeedError
from bot.fetch.net import Fetcher, FetchError
from bot.fetch.urls import canonicalize
from bot.models import (
    ArticleToStore,
    EntryFailure,
    Feed,
    FeedEntry,
    NewArticle,
    ParsedFeed,
    StoredArticle,
)
from bot.pipeline.build import ArticleJob, BuildSettings, PageBody, parse_feed_body, prepare_article
from bot.pipeline.build import summarize_text as summarize_text  # used by /summarize and the CLI
from bot.pipeline.cluster import StoryClusterer
from bot.pipeline.workers import CpuPool
from bot.status import plural
from bot.store import Store

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

ENTRY_CONCURRENCY = 4
"""Articles of one feed fetched at once (or four per worker process, if more); the fetcher's per-host limit
still applies below this."""

WRITE_BATCH = 500
"""Articles of one feed stored in one transaction at most (as many as are ready, in order)."""

MAX_ENTRY_ATTEMPTS = 5
"""Tries an entry that fails every time (a poison entry) gets before it is given up, with back-off from
the feed's poll interval doubling up to ENTRY_BACKOFF_MAX (seconds) between them."""
ENTRY_BACKOFF_MAX = 6 * 3600


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PollResult:
    feed_id: int
    ok: bool
    not_modified: bool = False
    entries: int = 0
    new_articles: int = 0
    error: str | None = None
    disabled: bool = False


class Ingestor:
    """Polls feeds and stores what is new; one instance per process, shared by the scheduler jobs."""

    def __init__(self, settings: Settings, store: Store, fetcher: Fetcher, *, clock: Clock = utcnow,
                 on_new_deliveries: Callable[[], None] | None = None,
                 on_feed_disabled: Callable[[Feed, str], Awaitable[object]] | None = None,
                 cpu: CpuPool | None = None, write_batch: int = WRITE_BATCH) -> None:
        """`cpu`: the worker processes for the CPU stages (None: the default thread pool, as `workers=0`);
        `write_batch`: articles stored per transaction at most (1: one write per article)."""
        self.settings = settings
        self._job_settings = BuildSettings.of(settings)
        self.cpu = cpu if cpu is not None else CpuPool(0)
        self.write_batch = max(1, write_batch)
        self.store = store
        self.fetcher = fetcher
        self.clock = clock
        self.on_new_deliveries = on_new_deliveries
        self.on_feed_disabled = on_feed_disabled
        self.clusterer = StoryClusterer(settings.feeds.cluster_threshold)
        self._cluster_lock = asyncio.Lock()
        self._polling: set[int] = set()

    async def load_clusters(self) -> int:
        """Rebuild the in-memory cluster index from recent stories, so a restart still groups wire copies."""
        since = self.clock() - timedelta(hours=self.settings.feeds.cluster_window_hours)
        rows = await self.store.recent_fingerprint_times(since)
        for story_id, fp, at in rows:
            self.clusterer.add(story_id, fp, at)
        log.info("cluster index rebuilt with %s recent articles", len(rows))
        return len(rows)

    async def poll_feed(self, feed: Feed, *, deadline: float | None = None) -> PollResult:
        """One feed's whole poll, article pages included, within `deadline` seconds (None: no limit).

        This is the unit of work that bot.work.poller claims and runs; a feed past its deadline is recorded
        as a failure (backing off like any other) and holds up nothing else.
        """
        self._polling.add(feed.id)
        try:
            try:
                async with asyncio.timeout(deadline) as scope:
                    return await metrics.timed_poll(self._poll_feed(feed))
            except TimeoutError:
                if not scope.expired():
                    raise
                log.warning("feed %s (%s) took longer than %g s to poll; stopped", feed.id, feed.url, deadline)
                return await self._failed(feed, f"the poll took longer than {deadline:g} s", None)
        except Exception as exc:  # a bug in one feed's handling must not stop the others
            log.exception("unexpected error polling feed %s (%s)", feed.id, feed.url)
            return await self._failed(feed, f"internal error: {type(exc).__name__}", None)
        finally:
            self._polling.discard(feed.id)

    async def _poll_feed(self, feed: Feed) -> PollResult:
        try:
            response = await self.fetcher.fetch(
                feed.url, etag=feed.etag, last_modified=feed.last_modified,
                accept="application/rss+xml, application/atom+xml, application/feed+json, "
                       "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
            )
        except FetchError as exc:
            return await self._failed(feed, exc.reason, exc.retry_after)
        now = self.clock()
        if response.not_modified:
            await self.store.record_poll_success(
                feed.id, now=now, next_poll_at=self._next_poll(feed, now),
                etag=feed.etag, last_modified=feed.last_modified,
            )
            return PollResult(feed.id, ok=True, not_modified=True)
        try:
            parsed = await self.cpu.run(functools.partial(
                parse_feed_body, url=response.url, content_type=response.content_type,
                max_entries=self.settings.feeds.max_entries, id_base=feed.url,
            ), response.body)
        except FeedError as exc:
            return await self._failed(feed, exc.reason, None)
        stored, failed = await self._ingest_entries(feed, parsed)
        now = self.clock()
        # Entries that failed stay unseen; without the validators the next poll reads the body again
        # instead of getting a 304 that would hide them until the feed changes.
        await self.store.record_poll_success(
            feed.id, now=now, next_poll_at=self._next_poll(feed, now),
            etag=None if failed else response.etag, last_modified=None if failed else response.last_modified,
            title=parsed.title or None, site_url=parsed.site_url,
        )
        return PollResult(feed.id, ok=True, entries=len(parsed.entries), new_articles=stored)

    async def _ingest_entries(self, feed: Feed, parsed: ParsedFeed) -> tuple[int, int]:
        """(stored, failed) counts for the feed's unseen entries."""
        entries = _unique_by_guid(parsed.entries)
        # An id seen under its older spelling (resolved against the post-redirect URL) stays seen.
        legacy = [e.legacy_guid for e in entries if e.legacy_guid]
        unseen = await self.store.unseen_guids(feed.id, [e.guid for e in entries] + legacy)
        fresh = [e for e in entries if e.guid in unseen and (e.legacy_guid is None or e.legacy_guid in unseen)]
        if not feed.initialized:
            # Like every feed bot: a new subscription starts with the newest few, not the whole archive.
            keep = _newest(fresh, self.settings.feeds.first_poll_queue)
            kept = {e.guid for e in keep}
            skipped = [e.guid for e in fresh if e.guid not in kept]
            if skipped:
                await self.store.mark_seen(feed.id, skipped, now=self.clock())
            fresh = keep
        # Entries that failed before wait out their back-off; given-up ones are left alone for good.
        failures = await self.store.entry_failures(feed.id, [e.guid for e in fresh])
        now = self.clock()
        waiting = [e for e in fresh if e.guid in failures and not failures[e.guid].gave_up
                   and failures[e.guid].next_attempt_at > now]
        fresh = [e for e in fresh if e.guid not in failures
                 or (not failures[e.guid].gave_up and failures[e.guid].next_attempt_at <= now)]
        # Pages are fetched and summarized a few at a time, but stored oldest first, so channels
        # receive stories in the order they were published.
        fresh.sort(key=lambda e: e.published or datetime.min.replace(tzinfo=UTC))
        gate = asyncio.Semaphore(max(ENTRY_CONCURRENCY, 4 * self.cpu.workers))

        async def prepare(entry: FeedEntry) -> NewArticle:
            async with gate:
                return await self.prepare_entry(feed, entry)

        tasks = [asyncio.create_task(prepare(e)) for e in fresh]
        stored = 0
        failed = len(waiting)
        recovered: list[str] = []
        try:
            start = 0
            while start < len(tasks):
                # The next entry in order, and every one after it that is already prepared: one write.
                await asyncio.wait([tasks[start]])
                end = start + 1
                while end < len(tasks) and end - start < self.write_batch and tasks[end].done():
                    end += 1
                entries, ready = fresh[start:end], tasks[start:end]
                start = end
                prepared = [(e, t.result()) for e, t in zip(entries, ready, strict=True) if t.exception() is None]
                outcomes = dict(zip((e.guid for e, _ in prepared),
                                    await self._store_batch(feed, [a for _, a in prepared]), strict=True))
                for entry, task in zip(entries, ready, strict=True):
                    outcome = outcomes.get(entry.guid) if task.exception() is None else task.exception()
                    if isinstance(outcome, Exception):
                        failed += not await self._entry_failed(feed, entry, outcome, failures.get(entry.guid))
                        continue
                    stored += outcome is not None
                    if entry.guid in failures:
                        recovered.append(entry.guid)
        finally:
            for task in tasks:
                task.cancel()
        await self.store.clear_entry_failures(feed.id, recovered)
        if not feed.initialized:
            await self.store.mark_initialized(feed.id)
        return stored, failed

    async def _entry_failed(self, feed: Feed, entry: FeedEntry, exc: Exception,
                            before: EntryFailure | None) -> bool:
        """Record a failed entry with back-off; True when it is now given up for good."""
        attempts = (before.attempts if before else 0) + 1
        give_up = attempts >= MAX_ENTRY_ATTEMPTS
        error = f"{type(exc).__name__}: {exc}"[:300]
        interval = max(feed.poll_interval, self.settings.feeds.min_poll_interval)
        wait = min(interval * 2 ** (attempts - 1), ENTRY_BACKOFF_MAX)
        now = self.clock()
        await self.store.record_entry_failure(feed.id, entry.guid, error, now=now,
                                              next_attempt_at=now + timedelta(seconds=wait), give_up=give_up)
        if give_up:
            log.error("gave up entry %r of feed %s (%s) after %s attempts: %s", entry.guid[:200], feed.id,
                      feed.url, attempts, error)
        else:
            log.warning("could not ingest entry %r of feed %s (%s), attempt %s of %s, next in %.0f s: %s",
                        entry.guid[:200], feed.id, feed.url, attempts, MAX_ENTRY_ATTEMPTS, wait, error,
                        exc_info=exc)
        return give_up

    async def ingest_entry(self, feed: Feed, entry: FeedEntry, *, fetch_page: bool = True) -> StoredArticle | None:
        """Fetch, extract, summarize and store one entry; None when it was a duplicate."""
        return await self.store_article(feed, await self.prepare_entry(feed, entry, fetch_page=fetch_page))

    async def prepare_entry(self, feed: Feed, entry: FeedEntry, *, fetch_page: bool = True) -> NewArticle:
        url = entry.link or feed.site_url or feed.url
        canonical = canonicalize(url) if entry.link else f"{canonicalize(url)}#guid={entry.guid}"
        page = None
        # A URL this feed already stored (the same article under a new guid) is not fetched again:
        # add_article records the guid and queues the story for the feed's channels that lack it.
        # Another feed's copy is no substitute: this feed's article is built from its own entry.
        if fetch_page and entry.link and not await self.store.feed_has_url(feed.id, canonical):
            page = await self._fetch_page(entry.link)
        return await self.cpu.run(prepare_article, ArticleJob(self._job_settings, feed, entry, url, canonical, page))

    async def store_article(self, feed: Feed, article: NewArticle) -> StoredArticle | None:
        [outcome] = await self._store_batch(feed, [article])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def _store_batch(self, feed: Feed, articles: list[NewArticle]) -> list[StoredArticle | Exception | None]:
        """Store a feed's prepared articles, in order, in one transaction; per article what was stored
        (None: a duplicate) or the exception that stopped it.

        The batch commits whole or not at all, so when it fails its articles are stored one at a time,
        and only the one that fails alone counts as a failed entry.
        """
        if not articles:
            return []
        articles = await self._own_canonicals(feed, articles)
        async with self._cluster_lock:
            now = self.clock()
            self.clusterer.expire(now - timedelta(hours=self.settings.feeds.cluster_window_hours))
            plan = self.clusterer.plan([a.fingerprint for a in articles])
            batch = [ArticleToStore(a, story_id, join) for a, (story_id, join) in zip(articles, plan, strict=True)]
            results: list[StoredArticle | None] | None
            try:
                results = await self.store.add_articles(batch, now=now)
            except Exception as exc:
                if len(articles) == 1:
                    return [exc]
                log.warning("a batch of %s articles of feed %s failed (%s: %s); storing them one at a time",
                            len(articles), feed.id, type(exc).__name__, exc)
                results = None
            for article, stored in zip(articles, results or (), strict=False):
                if stored is not None and article.fingerprint:
                    # Every stored article, as a restart would load them: its story under its latest text.
                    self.clusterer.add(stored.story_id, article.fingerprint, now)
        if results is None:
            return [(await self._store_batch(feed, [a]))[0] for a in articles]
        for article, stored in zip(articles, results, strict=True):
            metrics.stored(stored)
            if stored is not None:
                log.info("stored %r from %s (story %s, %s)", article.title, feed.display_name,
                         stored.story_id, plural(len(stored.deliveries), "delivery", "deliveries"))
        return list(results)

    async def _own_canonicals(self, feed: Feed, articles: list[NewArticle]) -> list[NewArticle]:
        """Two differently titled entries of one feed whose pages name one canonical URL: a template
        naming a listing page, not one article listed twice. Each keeps its own link. Checked here, in
        storing order (earlier articles of the batch included), not while pages are fetched."""
        titles: dict[str, str] = {}
        out: list[NewArticle] = []
        for article in articles:
            own = canonicalize(article.url)
            if article.canonical_url != own and "#" not in article.canonical_url:
                known = titles.get(article.canonical_url)
                if known is None:
                    known = await self.store.feed_article_title(feed.id, article.canonical_url)
                if known is not None and known != article.title:
                    log.info("page canonical %s of %s names another entry's page; using the link",
                             article.canonical_url, article.url)
                    article = dataclasses.replace(article, canonical_url=own)
            titles.setdefault(article.canonical_url, article.title)
            out.append(article)
        return out

    async def _fetch_page(self, url: str) -> PageBody | None:
        try:
            response = await self.fetcher.fetch(url, accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
        except FetchError as exc:
            log.info("article page %s not fetched (%s); using the feed's content", url, exc.reason)
            return None
        if response.content_type and "html" not in response.content_type:
            log.info("article page %s is %s, not HTML; using the feed's content", url, response.content_type)
            return None
        return PageBody(response.body, response.url, response.charset)

    async def _failed(self, feed: Feed, reason: str, retry_after: float | None) -> PollResult:
        now = self.clock()
        failures = feed.failure_count + 1
        cfg = self.settings.feeds
        interval = max(feed.poll_interval, cfg.min_poll_interval)  # the floor holds for retries too
        backoff = min(interval * (2 ** min(failures - 1, 16)), cfg.backoff_max)
        wait = max(backoff, retry_after or 0.0)
        disable = failures >= cfg.disable_after_failures
        error = reason if not disable else f"{reason} (disabled after {failures} failures in a row)"
        updated = await self.store.record_poll_failure(
            feed.id, now=now, next_poll_at=now + timedelta(seconds=wait), error=error, disable=disable,
        )
        log.warning("feed %s (%s) failed: %s; next try in %.0f s%s", feed.id, feed.url, reason, wait,
                    " — feed disabled" if disable else "")
        if disable and self.on_feed_disabled is not None:
            try:
                await self.on_feed_disabled(updated, error)
            except Exception:
                log.exception("could not announce that feed %s was disabled", feed.id)
        return PollResult(feed.id, ok=False, error=reason, disabled=disable)

    def _next_poll(self, feed: Feed, now: datetime) -> datetime:
        interval = max(feed.poll_interval, self.settings.feeds.min_poll_interval)
        jitter = random.uniform(0, self.settings.feeds.jitter) * interval
        return now + timedelta(seconds=interval + jitter)


def _unique_by_guid(entries: Sequence[FeedEntry]) -> list[FeedEntry]:
    seen: dict[str, FeedEntry] = {}
    for entry in entries:
        seen.setdefault(entry.guid, entry)
    return list(seen.values())


def _newest(entries: list[FeedEntry], n: int) -> list[FeedEntry]:
    if n <= 0:
        return []
    dated = [e for e in entries if e.published]
    if len(dated) == len(entries):
        return sorted(entries, key=lambda e: e.published or datetime.min.replace(tzinfo=UTC))[-n:]
    return entries[:n]  # feeds list newest first when they carry no dates
