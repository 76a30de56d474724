"""Process entry: owns `asyncio.run` and the lifetimes of the HTTP session, the database and the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import UTC, datetime

from bot.config import TOKEN_ENV, Settings
from bot.console import CONSOLE_CHANNEL_ID, CONSOLE_GUILD_ID, SAMPLES_FEED_URL, ConsoleSink, load_samples
from bot.fetch.net import Fetcher
from bot.models import Feed, FeedEntry
from bot.pipeline.ingest import Ingestor, utcnow
from bot.store import Store, open_store
from bot.work.delivery import Sink
from bot.work.outbox import Outbox
from bot.work.scheduler import DELIVER_JOB, build_scheduler, wake

log = logging.getLogger("bot")


def start(settings: Settings, *, once: bool = False) -> int:
    """Run until stopped; SIGTERM stops as cleanly as Ctrl-C."""
    main = run_discord(settings) if settings.token else run_console(settings, once=once)
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


def _pipeline(settings: Settings, store: Store, fetcher: Fetcher, sink: Sink,
              on_feed_disabled: Callable[[Feed, str], Awaitable[object]] | None = None) -> tuple[Ingestor, Outbox]:
    ingestor = Ingestor(settings, store, fetcher, clock=utcnow, on_feed_disabled=on_feed_disabled)
    outbox = Outbox(store, sink, clock=utcnow, max_attempts=settings.discord.max_delivery_attempts)
    return ingestor, outbox


async def _run_scheduled(settings: Settings, store: Store, ingestor: Ingestor, outbox: Outbox, sink: Sink) -> None:
    """Run the jobs until cancelled; the deliver job's first run, at start, sends what is already due."""
    await ingestor.load_clusters()
    scheduler = build_scheduler(settings, store=store, ingestor=ingestor, outbox=outbox, sink=sink,
                                clock=utcnow)
    ingestor.on_new_deliveries = lambda: wake(scheduler, DELIVER_JOB)
    scheduler.start()
    try:
        await asyncio.Event().wait()
    finally:
        scheduler.shutdown(wait=False)


async def run_console(settings: Settings, *, once: bool = False) -> int:
    sink = ConsoleSink()
    async with _services(settings) as (store, fetcher):
        ingestor, outbox = _pipeline(settings, store, fetcher, sink)
        if settings.bot.console_samples:
            shown = await ingest_samples(settings, store, ingestor)
            if not shown:
                log.info("the bundled sample articles were already shown (database %s)", settings.bot.database)
        if once:
            await ingestor.load_clusters()
            await ingestor.poll_due()
            printed = 0
            # One drain is one batch; --once means everything that is due, however many batches.
            while delivered := (await outbox.drain()).delivered:
                printed += delivered
            log.info("printed %s stories", printed)
            return 0
        feeds = await store.guild_subscriptions(CONSOLE_GUILD_ID)
        polled = [f for _s, f in feeds if f.url != SAMPLES_FEED_URL]
        print(f"Console mode (no ${TOKEN_ENV} set): watching {len(polled)} feed(s). "
              "Add one with `newsbot feeds add URL`; Ctrl-C to stop.", file=sys.stderr)
        await _run_scheduled(settings, store, ingestor, outbox, sink)
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


async def run_discord(settings: Settings) -> int:
    import aiohttp
    import discord

    from bot.discord.client import create_bot, point_at

    point_at(settings)
    async with _services(settings) as (store, fetcher):
        bot = create_bot(settings, store, fetcher)
        async with bot:
            ingestor, outbox = _pipeline(settings, store, fetcher, bot.sink,
                                         on_feed_disabled=bot.sink.announce_feed_disabled)
            pipeline = asyncio.create_task(_run_scheduled(settings, store, ingestor, outbox, bot.sink))
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
