"""How one subscription's story post looks: full embed, compact embed or text only, with an optional role
ping. Pure: no I/O, so `/feed preview` and the delivery build the very same post.

A role ping is the only mention a story post may make: the post allows exactly that role, so `@everyone`,
`@here`, users or other roles named in article text never ping (render also defuses every `@` in article
text, so they do not even render as mentions).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import discord

from bot.discord.render import (
    COLOUR,
    CONTENT_LIMIT,
    TITLE_LIMIT,
    bullets_block,
    fit,
    fit_plain,
    quotes_block,
    safe_url,
    story_embed,
    truncate,
)
from bot.models import PostSettings, StoryView
from bot.pipeline.filters import matches

THREAD_NAME_LIMIT = 100
NO_MENTIONS = discord.AllowedMentions.none()


@dataclass(frozen=True, slots=True)
class StoryPost:
    content: str | None
    embed: discord.Embed | None
    thread_name: str  # a forum post's title, or the name of the story's thread
    allowed_mentions: discord.AllowedMentions
    pinged_role: int | None = None


def pings(story: StoryView, settings: PostSettings) -> bool:
    """Whether this story mentions the subscription's role: always, or when it matches the keywords."""
    if settings.ping_role_id is None:
        return False
    if not settings.ping_keywords:
        return True
    return matches(settings.ping_keywords, None, f"{story.title}\n" + "\n".join(story.bullets))


def story_post(story: StoryView, settings: PostSettings) -> StoryPost:
    if settings.bullets is not None:
        story = dataclasses.replace(story, bullets=story.bullets[: settings.bullets])
    if not settings.quotes:
        story = dataclasses.replace(story, quotes=())
    colour = discord.Colour(settings.colour) if settings.colour is not None else COLOUR
    content: str | None = None
    embed: discord.Embed | None = None
    if settings.look == "compact":
        embed = discord.Embed(title=fit(story.title, TITLE_LIMIT) or "(untitled)", url=safe_url(story.url),
                              colour=colour)
        first = bullets_block(story.bullets[:1], 700)
        if first:
            embed.description = first
    elif settings.look == "text":
        content = _text_post(story)
    else:
        embed = story_embed(story)
        embed.colour = colour
    role = settings.ping_role_id if pings(story, settings) else None
    allowed = NO_MENTIONS
    if role is not None:
        mention = f"<@&{role}>"
        content = f"{mention}\n{content}" if content else mention
        content = truncate(content, CONTENT_LIMIT)
        allowed = discord.AllowedMentions(everyone=False, users=False, replied_user=False,
                                          roles=[discord.Object(id=role)])
    thread_name = fit_plain(story.title, THREAD_NAME_LIMIT) or "Untitled story"
    return StoryPost(content, embed, thread_name, allowed, role)


_TEXT_POST_HEAD = re.compile(r"(?:<@&\d{1,20}>\n)?\*\*[^\n]{1,600}\*\*\n<(https?://[^\s<>]{1,2048})>")


def text_post_url(content: str | None) -> str | None:
    """The story URL of a text-only story post (`_text_post`, maybe after its role mention), else None: how
    a restarted process recognises its own earlier text post in a channel's history."""
    match = _TEXT_POST_HEAD.match((content or "")[:3000])
    return match.group(1) if match else None


def _text_post(story: StoryView) -> str:
    """Title, link (angle brackets: no preview card) and the bullets and quotes as plain lines."""
    url = safe_url(story.url)
    head = f"**{fit(story.title, TITLE_LIMIT) or '(untitled)'}**" + (f"\n<{url}>" if url else "")
    room = CONTENT_LIMIT - 40 - len(head)  # 40: room for a role mention in front
    body = bullets_block(story.bullets, max(0, room * 2 // 3))
    quotes = quotes_block(story.quotes[:2], max(0, room - len(body) - 1)) if story.quotes else ""
    return "\n".join(part for part in (head, body, quotes) if part)
