"""Embeds for command replies that list things (search hits, latest stories, quotes, feeds). Pure, like
`render`: every text goes through `fit`, and a listing stops (saying how many it left out) before any limit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import discord

from bot.discord.render import (
    COLOUR,
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELD_COUNT_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    TITLE_LIMIT,
    bullets_block,
    code,
    embed_size,
    fit,
    link,
    relative_time,
    safe_url,
    truncate,
    ulen,
)
from bot.models import Feed, PostSettings, QuoteHit, StoryView, Subscription


def _listing(title: str, items: Sequence[tuple[str, str]], *, empty: str, footer: str | None = None,
             description: str | None = None) -> discord.Embed:
    """An embed with one field per item, stopping (with a note) before any limit would be passed."""
    embed = discord.Embed(title=truncate(title, TITLE_LIMIT), colour=COLOUR)
    if description:
        embed.description = truncate(description, DESCRIPTION_LIMIT)
    if footer:
        embed.set_footer(text=truncate(footer, FOOTER_LIMIT - 40))
    if not items:
        text = f"{description}\n\n{empty}" if description else empty
        embed.description = truncate(text, DESCRIPTION_LIMIT)
        return embed
    reserve = 40  # room for the "n more not shown" footer note
    size = embed_size(embed)
    shown = 0
    for name, value in items:
        name = truncate(name, FIELD_NAME_LIMIT) or "—"
        value = truncate(value, FIELD_VALUE_LIMIT) or "—"
        n = ulen(name) + ulen(value)
        if shown >= FIELD_COUNT_LIMIT or size + n + reserve > EMBED_TOTAL_LIMIT:
            break
        embed.add_field(name=name, value=value, inline=False)
        size += n
        shown += 1
    if shown < len(items):
        note = f"{len(items) - shown} more not shown"
        embed.set_footer(text=f"{footer} · {note}" if footer else note)
    return embed


def _story_item(story: StoryView, *, bullets: int = 2) -> tuple[str, str]:
    head = link(story.source.name or "source", story.url, 400)
    when = relative_time(story.published_at)
    meta = f"{head} · {when}" if when else head
    if story.source_count > 1:
        meta += f" · {story.source_count} sources"
    body = bullets_block(story.bullets[:bullets], FIELD_VALUE_LIMIT - ulen(meta) - 1, per_bullet=300)
    value = f"{meta}\n{body}" if body else meta
    return fit(story.title, FIELD_NAME_LIMIT) or "(untitled)", value


def search_results_embed(query: str, stories: Sequence[StoryView], *, days: int | None = None,
                         feed_name: str | None = None) -> discord.Embed:
    scope = []
    if feed_name:
        scope.append(f"in {fit(feed_name, 100)}")
    if days:
        scope.append(f"from the last {days} day{'s' if days != 1 else ''}")
    title = f"Search: {fit(query, 150)}"
    return _listing(
        title,
        [_story_item(s) for s in stories],
        empty="No stored story matches. Try fewer or different words"
              + (", or a longer time range." if days else "."),
        footer=" ".join(scope) or None,
    )


def latest_embed(stories: Sequence[StoryView], *, feed_name: str | None = None) -> discord.Embed:
    title = f"Latest from {fit(feed_name, 200)}" if feed_name else "Latest stories"
    return _listing(title, [_story_item(s) for s in stories],
                    empty="No stories yet. New feeds are read within a few minutes of being added.")


def quotes_embed(who: str, hits: Sequence[QuoteHit], *, days: int | None = None) -> discord.Embed:
    items = []
    for hit in hits:
        speaker = fit(hit.quote.speaker or who, 100)
        when = relative_time(hit.story.published_at)
        src = link(hit.story.title or hit.story.source.name, hit.story.url, 500)
        tail = f"\n— in {src}" + (f" · {when}" if when else "")
        body = fit(hit.quote.text, FIELD_VALUE_LIMIT - ulen(tail) - 2)
        items.append((f"{speaker} · {fit(hit.story.source.name, 100)}", f"“{body}”{tail}"))
    span = f" in the last {days} day{'s' if days != 1 else ''}" if days else ""
    return _listing(f"Quotes by {fit(who, 150)}", items,
                    empty=f"No quotes by “{fit(who, 100)}” found{span}. Try the surname alone.",
                    footer=f"Quotes{span}" if span else None)


def settings_line(settings: PostSettings) -> str | None:
    """What `/feed look`, `/feed mode` and `/feed ping` changed from the defaults, on one line (None: nothing)."""
    parts = []
    if settings.look != "full":
        parts.append(f"look: {settings.look}")
    if settings.bullets is not None:
        parts.append(f"{settings.bullets} bullet{'s' if settings.bullets != 1 else ''}")
    if not settings.quotes:
        parts.append("no quotes")
    if settings.colour is not None:
        parts.append(f"colour #{settings.colour:06X}")
    if settings.webhook:
        parts.append("via webhook")
    if settings.thread_per_story:
        parts.append("thread per story")
    if settings.auto_publish:
        parts.append("auto-publish")
    if settings.forum_tag_id is not None:
        parts.append("forum tag set")
    if settings.ping_role_id is not None:
        ping = f"pings <@&{settings.ping_role_id}>"
        if settings.ping_keywords:
            ping += f" on {code(settings.ping_keywords, 100)}"
        parts.append(ping)
    return "🎨 " + " · ".join(parts) if parts else None


def feed_list_embed(rows: Sequence[tuple[Subscription, Feed]],
                    settings: Mapping[int, PostSettings] | None = None) -> discord.Embed:
    """One field per subscription: channel, address, state, filters and (given `settings`, keyed by
    subscription id) how its posts look."""
    items = []
    for sub, feed in rows:
        state = []
        if feed.disabled:
            state.append(f"⛔ disabled: {fit(feed.disabled_reason or 'too many failures', 200)} "
                         f"(`/feed enable {feed.id}`)")
        elif feed.last_error:
            state.append(f"⚠️ last poll failed: {fit(feed.last_error, 200)}")
        if feed.failing_entries:
            entries = "entry" if feed.failing_entries == 1 else "entries"
            state.append(f"⚠️ {feed.failing_entries} {entries} not stored: {fit(feed.entry_error or '?', 200)}")
        if sub.paused:
            state.append(f"⏸️ paused: {fit(sub.paused_reason or 'paused', 200)}")
        if sub.include:
            state.append(f"include: {code(sub.include, 150)}")
        if sub.exclude:
            state.append(f"exclude: {code(sub.exclude, 150)}")
        look = settings_line(settings[sub.id]) if settings and sub.id in settings else None
        if look:
            state.append(look)
        url = safe_url(feed.url)
        lines = [f"<#{sub.channel_id}> · {url or fit(feed.url, 300)}", *state]
        items.append((f"#{feed.id} · {fit(feed.display_name, 200)}", "\n".join(lines)))
    return _listing("Feeds in this server", items,
                    empty="No feeds yet. Add one with `/feed add url:<feed address>`.")
