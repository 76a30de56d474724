"""Process entry: owns `asyncio.run` and the lifetimes of the HTTP session, the database and the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta

from bot.config import TOKEN_ENV, Settings
from bot.console import CONSOLE_CHANNEL_ID, CONSOLE_GUILD_ID, SAMPLES_FEED_URL, ConsoleSink, load_samples
from bot.fetch.net import Fetcher
from bot.models import Feed, FeedEntry
from bot.pipeline.ingest import Ingestor, utcnow
from bot.store import Store, open_store
from bot.work.delivery import Sink
from bot.work.lanes import DeliveryLanes
from bot.work.leases import new_owner
from bot.work.notices import notice_feed_disabled
from bot.work.poller import FeedPoller
from bot.work.scheduler import DELIVER_JOB, Delivering, build_scheduler, wake

log = logging.getLogger("bot")


ROLES = ("all", "ingest", "discord")


def start(settings: Settings, *, once: bool = False, role: str = "all") -> int:
    """Run until stopped; SIGTERM stops as cleanly as Ctrl-C.

    `role`: `ingest` polls, extracts, summarizes and stores; `discord` connects, answers commands and
    delivers; `all` does both. Any number of processes of each role can share one database.
    """
    if role == "discord" and not settings.token:
        print(f"newsbot: --role discord needs the bot token in ${TOKEN_ENV}", file=sys.stderr)
        return 2
    if role == "ingest":
        main = run_ingest(settings, once=once)
    elif settings.token:
        main = run_discord(settings, ingest=role == "all")
    else:
        main = run_console(settings, once=once)
    try:
        return asyncio.run(_until_signal(main))
    except KeyboardInterrupt:
        log.info("stopped")
        return 0


async def _until_signal(main: Coroutine[object, object, int]) -> int:
    task = asyncio.ensure_future(main)
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        log.info("stopped")
        return 0


@contextlib.asynccontextmanager
async def _services(settings: Settings) -> AsyncIterator[tuple[Store, Fetcher]]:
    store = await open_store(settings.bot.database)
    try:
        async with Fetcher(settings.net) as fetcher:
            yield store, fetcher
    finally:
        await store.close()


def _lease(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.scheduler.lease_seconds)


def _poller(settings: Settings, store: Store, fetcher: Fetcher, owner: str,
            on_feed_disabled: Callable[[Feed, str], Awaitable[object]] | None = None) -> FeedPoller:
    if on_feed_disabled is None:
        async def on_feed_disabled(feed: Feed, reason: str) -> object:
            return await notice_feed_disabled(store, feed, reason, now=utcnow())

    ingestor = Ingestor(settings, store, fetcher, clock=utcnow, on_feed_disabled=on_feed_disabled)
    cfg = settings.scheduler
    return FeedPoller(ingestor, owner=owner, concurrency=cfg.feed_concurrency, deadline=cfg.feed_deadline,
                      lease=_lease(settings))


def _delivering(settings: Settings, store: Store, sink: Sink, owner: str, *, interval: float) -> Delivering:
    shard_count = settings.discord.shards
    shard_ids = settings.discord.shard_ids if shard_count else None
    lanes = DeliveryLanes(store, sink, owner=owner, clock=utcnow,
                          max_attempts=settings.discord.max_delivery_attempts, interval=interval,
                          concurrency=settings.scheduler.lane_concurrency, lease=_lease(settings),
                          shard_count=shard_count, shard_ids=shard_ids)
    return Delivering(lanes, sink, owner, shard_count, shard_ids)


async def _run_scheduled(settings: Settings, store: Store, *, poller: FeedPoller | None,
                         delivering: Delivering | None) -> None:
    """Run the jobs until cancelled; the first delivery tick, at start, sends what is already due."""
    if poller is not None:
        await poller.ingestor.load_clusters()
    scheduler = build_scheduler(settings, store=store, clock=utcnow, poller=poller, delivering=delivering)
    if poller is not None and delivering is not None:
        poller.on_new_deliveries = lambda: wake(scheduler, DELIVER_JOB)
    scheduler.start()
    try:
        await asyncio.Event().wait()
    finally:
        scheduler.shutdown(wait=False)
        if poller is not None:
            await poller.close()
        if delivering is not None:
            await delivering.lanes.close()


async def run_ingest(settings: Settings, *, once: bool = False) -> int:
    """The ingest role: no Discord connection; what guilds must hear goes out as notices."""
    owner = new_owner()
    async with _services(settings) as (store, fetcher):
        poller = _poller(settings, store, fetcher, owner)
        if once:
            await poller.ingestor.load_clusters()
            results = await poller.poll_due()
            log.info("polled %s feeds", len(results))
            return 0
        log.info("ingest process %s started", owner)
        await _run_scheduled(settings, store, poller=poller, delivering=None)
    return 0


async def run_console(settings: Settings, *, once: bool = False) -> int:
    sink = ConsoleSink()
    owner = new_owner()
    async with _services(settings) as (store, fetcher):
        poller = _poller(settings, store, fetcher, owner)
        delivering = _delivering(settings, store, sink, owner, interval=0.0)
        if settings.bot.console_samples:
            shown = await ingest_samples(settings, store, poller.ingestor)
            if not shown:
                log.info("the bundled sample articles were already shown (database %s)", settings.bot.database)
        if once:
            await poller.ingestor.load_clusters()
            await poller.poll_due()
            report = await delivering.lanes.drain()  # everything due, however many lanes and rows
            log.info("printed %s stories", report.delivered)
            return 0
        feeds = await store.guild_subscriptions(CONSOLE_GUILD_ID)
        polled = [f for _s, f in feeds if f.url != SAMPLES_FEED_URL]
        print(f"Console mode (no ${TOKEN_ENV} set): watching {len(polled)} feed(s). "
              "Add one with `newsbot feeds add URL`; Ctrl-C to stop.", file=sys.stderr)
        await _run_scheduled(settings, store, poller=poller, delivering=delivering)
    return 0


async def ingest_samples(settings: Settings, store: Store, ingestor: Ingestor) -> int:
    """Store the bundled articles under a disabled pseudo-feed the terminal subscribes to.

    Returns how many were new; the store's URL uniqueness makes a second run a no-op.
    """
    now = datetime.now(UTC)
    feed = await store.add_feed(SAMPLES_FEED_URL, title="newsbot samples", now=now)
    await store.subscribe(CONSOLE_GUILD_ID, CONSOLE_CHANNEL_ID, feed.id, now=now)
    if not feed.disabled:
        await store.set_feed_enabled(feed.id, False, now=now)
        feed = await store.get_feed(feed.id) or feed
    new = 0
    for sample in load_samples():
        entry = FeedEntry(guid=sample.url, link=sample.url, title=sample.title, published=sample.published,
                          author=sample.author, content=sample.text)
        if await ingestor.ingest_entry(feed, entry, fetch_page=False):
            new += 1
    return new


async def run_discord(settings: Settings, *, ingest: bool = True) -> int:
    """The discord role (and, with `ingest`, the all role): gateway, commands, delivery lanes, digests."""
    import aiohttp
    import discord

    from bot.discord.client import create_bot, point_at

    point_at(settings)
    owner = new_owner()
    async with _services(settings) as (store, fetcher):
        bot = create_bot(settings, store, fetcher)
        async with bot:
            poller = (_poller(settings, store, fetcher, owner, on_feed_disabled=bot.sink.announce_feed_disabled)
                      if ingest else None)
            delivering = _delivering(settings, store, bot.sink, owner, interval=settings.discord.delivery_interval)
            pipeline = asyncio.create_task(_run_scheduled(settings, store, poller=poller, delivering=delivering))
            try:
                await bot.start(settings.token or "")
            except discord.LoginFailure:
                print(f"newsbot: Discord rejected the token in ${TOKEN_ENV}; copy it again from the "
                      "developer portal (Bot → Reset Token)", file=sys.stderr)
                return 2
            except (aiohttp.ClientError, OSError) as exc:
                print(f"newsbot: cannot reach Discord at {settings.discord.api_base}: {exc}", file=sys.stderr)
                return 1
            finally:
                pipeline.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pipeline
    return 0


def sync_commands(settings: Settings) -> int:
    if not settings.token:
        print(f"newsbot: sync-commands needs the bot token in ${TOKEN_ENV}", file=sys.stderr)
        return 2

    async def run() -> int:
        from bot.discord.client import create_bot, point_at

        point_at(settings)
        async with _services(settings) as (store, fetcher):
            bot = create_bot(settings, store, fetcher, sync_on_start=False)
            async with bot:
                await bot.login(settings.token or "")
                await bot.sync_commands(force=True)
        print("slash commands registered")
        return 0

    return asyncio.run(run())


if __name__ == "__main__":
    from bot.cli import main

    sys.exit(main())
