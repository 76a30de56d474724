"""/summarize: summarize any article on demand, without following its feed.

The page is fetched through the same guarded fetcher as feeds (no private or local addresses unless the
operator allowed them), and the CPU-heavy extraction and summarizing run in worker threads so the bot
keeps answering other commands meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.exts._shared import UserError, defer, news_bot, reply
from bot.discord.limits import cooldown
from bot.discord.render import fit, story_embed
from bot.fetch.extract import extract_article
from bot.fetch.net import BlockedAddressError, FetchError
from bot.models import QuoteRecord, Source, StoryView
from bot.pipeline.ingest import summarize_text

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 200
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
TIME_LIMIT = 60.0


class Summarize(commands.Cog):
    @app_commands.command(name="summarize", description="Summarize an article: key points and quotes")
    @app_commands.describe(url="The article's address", bullets="How many key points (default from settings)")
    @cooldown("summarize")
    async def summarize(self, interaction: discord.Interaction, url: str,
                        bullets: app_commands.Range[int, 1, 10] | None = None) -> None:
        url = url.strip().strip("<>")
        if not url.startswith(("http://", "https://")):
            raise UserError("Give the article's full address, starting with https:// (or http://).")
        pool = news_bot(interaction).limits.summarize
        job = pool.start(self._summarize(interaction, url, bullets))
        if job is None:
            raise UserError(f"I'm already summarizing {pool.size} articles; try again in a minute.")
        await defer(interaction, ephemeral=False)  # fetching and summarizing take seconds
        # The job keeps its pool slot until its worker threads are done, even after we stop waiting.
        done, _ = await asyncio.wait({job}, timeout=TIME_LIMIT)
        if not done:
            raise UserError(f"Summarizing {fit(url, 300)} took longer than {TIME_LIMIT:g} s; the site may be "
                            "slow. Try again later.")
        await reply(interaction, embed=story_embed(job.result()), ephemeral=False)

    async def _summarize(self, interaction: discord.Interaction, url: str, bullets: int | None) -> StoryView:
        bot = news_bot(interaction)
        try:
            response = await bot.fetcher.fetch(url, accept=PAGE_ACCEPT)
        except BlockedAddressError:
            raise UserError(f"I won't fetch {fit(url, 300)}: it points to a private or local network "
                            "address.") from None
        except FetchError as exc:
            raise UserError(f"I couldn't fetch {fit(url, 300)}: {exc.reason}.") from None
        ctype = (response.content_type or "").split(";")[0].strip().lower()
        if ctype and "html" not in ctype:
            raise UserError(f"{fit(url, 300)} is not a web page ({fit(ctype, 80)}); "
                            "give an article's address.")
        page = await asyncio.to_thread(extract_article, response.body, url=response.url,
                                       charset=response.charset)
        if page is None or len(page.text.strip()) < MIN_TEXT_CHARS:
            raise UserError(f"I found too little article text on {fit(url, 300)} to summarize (paywall, "
                            "video page or a site that needs JavaScript?).")
        summary = await asyncio.to_thread(summarize_text, page.text, title=page.title, settings=bot.settings,
                                          language_code=page.language, bullets=bullets)
        parts = urlsplit(response.url)
        host = parts.hostname or response.url
        return StoryView(
            story_id=0, article_id=0, title=page.title or summary.title or host, url=response.url,
            source=Source(page.site_name or host, f"{parts.scheme}://{parts.netloc}/"),
            bullets=summary.bullets, quotes=tuple(QuoteRecord(q.text, q.speaker) for q in summary.quotes),
            published_at=page.published, image_url=page.image_url, reading_minutes=summary.reading_minutes,
            reduction=summary.reduction, author=page.author,
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Summarize())
