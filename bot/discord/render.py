"""Turn stories, quotes and feeds into Discord embeds and messages. Pure: no I/O, no clock.

Every text that reaches an embed goes through `fit` (or `fit_plain`), which escapes it and cuts it to the
limit of the slot it goes into, so a message built here can never be rejected by Discord for size. Sizes
are counted in UTF-16 code units: that is never less than the number of code points, so the result is
within the limits whichever way the server counts.

Article text is untrusted: markdown is escaped (a headline with `**` or a `[link](evil)` renders as typed)
and every `@` is followed by a zero-width space, so `@everyone` or `<@123>` never renders as a mention,
even in places where AllowedMentions would not apply (embeds show mentions without pinging, but still
show them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

import discord
from discord.utils import escape_markdown

from bot.discord.embed_url import well_formed_url
from bot.models import QuoteRecord, Source, StoryView

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
FIELD_COUNT_LIMIT = 25
EMBED_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
CONTENT_LIMIT = 2000
URL_LIMIT = 2048

ELLIPSIS = "…"
ZWSP = "\u200b"
COLOUR = discord.Colour(0x3B82F6)

_WORD_CUT_MIN = 0.6  # cut at a space only if it keeps at least this share of the allowed length
_URL_OK = re.compile(r"https?://[^\s<>\"\x00-\x1f\x7f]+\Z", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def ulen(text: str) -> int:
    """Length in UTF-16 code units (what a JavaScript client counts; >= the number of code points)."""
    return len(text.encode("utf-16-le")) // 2


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` UTF-16 units, at a word boundary when one is near, ending with "…"."""
    if ulen(text) <= limit:
        return text
    return _cut(text, limit)


def _cut(text: str, limit: int) -> str:
    """`text` shortened and ending with "…" within `limit` units, even when it would fit whole (the
    caller knows more of it was dropped already)."""
    if limit <= 0:
        return ""
    room = limit - 1  # the ellipsis is one unit
    # Decoding with errors="ignore" drops a surrogate pair cut in half.
    head = text.encode("utf-16-le")[: room * 2].decode("utf-16-le", errors="ignore")
    space = max(head.rfind(" "), head.rfind("\n"))
    if space >= int(room * _WORD_CUT_MIN):
        head = head[:space]
    head = head.rstrip()
    # A lone trailing backslash would escape the ellipsis; an escaped one is two, so keep pairs.
    if (len(head) - len(head.rstrip("\\"))) % 2:
        head = head[:-1]
    return head + ELLIPSIS


def escape(text: str) -> str:
    """Escape markdown and defuse mentions in untrusted text."""
    escaped = escape_markdown(text)
    return escaped.replace("@", "@" + ZWSP)


def one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def fit(text: str | None, limit: int, *, single_line: bool = True) -> str:
    """Untrusted text made safe for a markdown slot and cut to `limit`."""
    if not text:
        return ""
    # Escaping only makes text longer, so anything past `limit` code points can never be shown: drop it
    # first to keep the escaping linear in the limit, not in the (possibly huge) input.
    raw = text[: limit + 1]
    if single_line:
        raw = one_line(raw)
    out = escape(raw)
    if len(text) > limit + 1:
        # The input was cut before escaping: say so even when what is left fits. (Only a real cut: text
        # that merely had its whitespace collapsed is whole.)
        return _cut(out, limit) if out.strip() else ""
    return truncate(out, limit)


def code(text: str | None, limit: int) -> str:
    """Untrusted text as inline code, shown exactly as typed (a filter, a regex): markdown is not parsed in
    a code span, so escaping would only add visible backslashes; a backtick, which would end the span, is
    shown as "ˋ". Mentions never render in code. Within `limit` including the backticks."""
    if not text:
        return ""
    body = one_line(text[: limit + 1]).replace("`", "ˋ")
    body = _cut(body, limit - 2) if len(text) > limit + 1 else truncate(body, limit - 2)
    return f"`{body}`" if body else ""


def fit_plain(text: str | None, limit: int) -> str:
    """For slots Discord shows without markdown (author name, footer): only whitespace and length."""
    if not text:
        return ""
    out = one_line(text[: limit + 1]).replace("@", "@" + ZWSP)
    if len(text) > limit + 1 and out:
        return _cut(out, limit)
    return truncate(out, limit)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL Discord accepts in an embed, or None (a bad URL makes Discord reject the message)."""
    if not url or len(url) > URL_LIMIT or not _URL_OK.match(url) or not well_formed_url(url):
        return None
    return url


def link(text: str, url: str | None, limit: int) -> str:
    """A masked link `[text](url)` within `limit`, falling back to the plain text when it cannot fit."""
    label = fit(text.replace("[", "(").replace("]", ")"), limit)
    target = safe_url(url)
    if target:
        target = target.replace("(", "%28").replace(")", "%29")
        candidate = f"[{label}]({target})"
        if ulen(candidate) <= limit:
            return candidate
        label = truncate(label, limit - ulen(target) - 4)
        if label and ulen(label) + ulen(target) + 4 <= limit:
            return f"[{label}]({target})"
    return truncate(label, limit)


def embed_size(embed: discord.Embed) -> int:
    """What Discord counts toward the 6000 total, in UTF-16 units."""
    data = embed.to_dict()
    total = ulen(data.get("title", "")) + ulen(data.get("description", ""))
    for f in data.get("fields", []):
        total += ulen(f["name"]) + ulen(f["value"])
    total += ulen(data.get("footer", {}).get("text", ""))
    total += ulen(data.get("author", {}).get("name", ""))
    return total


def relative_time(when: datetime | None) -> str:
    """Discord's own timestamp markup: every reader sees it in their time zone."""
    if when is None:
        return ""
    return f"<t:{int(when.timestamp())}:R>"


def percent_shorter(reduction: float) -> int:
    return max(0, min(100, round(reduction * 100)))


# ---------------------------------------------------------------- one story


@dataclass(frozen=True, slots=True)
class _StoryBudget:
    bullets: int
    bullet_chars: int
    description: int
    quotes: int
    quote_chars: int
    sources_chars: int


_FULL = _StoryBudget(bullets=10, bullet_chars=600, description=DESCRIPTION_LIMIT, quotes=2,
                     quote_chars=FIELD_VALUE_LIMIT, sources_chars=FIELD_VALUE_LIMIT)
_COMPACT = _StoryBudget(bullets=3, bullet_chars=250, description=700, quotes=0, quote_chars=0,
                        sources_chars=300)


def story_embed(story: StoryView, *, compact: bool = False) -> discord.Embed:
    """The embed a channel sees for one story; `compact` is the shorter form used in digests."""
    budget = _COMPACT if compact else _FULL
    embed = discord.Embed(
        title=fit(story.title, TITLE_LIMIT) or "(untitled)",
        url=safe_url(story.url),
        colour=COLOUR,
        timestamp=story.published_at if story.published_at and story.published_at.tzinfo else None,
    )
    author = fit_plain(story.source.name, AUTHOR_LIMIT)
    if author:
        embed.set_author(name=author, url=safe_url(story.source.url))
    if story.other_sources:
        embed.add_field(name="Also reported by",
                        value=sources_line(story.other_sources, budget.sources_chars), inline=False)
    if budget.quotes and story.quotes:
        value = quotes_block(story.quotes[: budget.quotes], budget.quote_chars)
        if value:
            embed.add_field(name="Quoted", value=value, inline=False)
    thumb = safe_url(story.image_url)
    if thumb:
        embed.set_thumbnail(url=thumb)
    embed.set_footer(text=fit_plain(story_footer(story), FOOTER_LIMIT))
    room = min(budget.description, EMBED_TOTAL_LIMIT - embed_size(embed))
    description = bullets_block(story.bullets[: budget.bullets], room, per_bullet=budget.bullet_chars)
    if description:
        embed.description = description
    return embed


def story_footer(story: StoryView) -> str:
    parts = [f"{max(1, story.reading_minutes)} min read",
             f"summary {percent_shorter(story.reduction)}% shorter"]
    if story.source_count > 1:
        parts.append(f"{story.source_count} sources")
    if story.text_source == "feed":
        parts.append("summarized from the feed (page unavailable)")
    return " · ".join(parts)


def bullets_block(bullets: Iterable[str], limit: int, *, per_bullet: int = 600) -> str:
    """"• ..." lines; a bullet that does not fit whole is shortened, and the rest are left out."""
    lines: list[str] = []
    used = 0
    for raw in bullets:
        sep = 1 if lines else 0
        room = min(per_bullet, limit - used - sep)
        if room < 12:  # "• " plus a few words; less than that is noise
            break
        text = fit(raw, room - 2)
        if not text:
            continue
        line = "• " + text
        lines.append(line)
        used += sep + ulen(line)
    return "\n".join(lines)


def quotes_block(quotes: Sequence[QuoteRecord], limit: int) -> str:
    """“text” — Speaker, one per line, sharing `limit` between them."""
    lines: list[str] = []
    share = limit // max(1, len(quotes))
    for q in quotes:
        who = fit(q.speaker, 80)
        tail = f" — {who}" if who else ""
        body = fit(q.text, share - ulen(tail) - 2 - (1 if lines else 0))
        if not body:
            continue
        lines.append(f"“{body}”{tail}")
    out = "\n".join(lines)
    return truncate(out, limit)


def sources_line(sources: Sequence[Source], limit: int) -> str:
    """Linked source names, comma-separated, with "and N more" when they do not all fit."""
    parts: list[str] = []
    used = 0
    for i, src in enumerate(sources):
        piece = link(src.name or src.url, src.url, 200)
        sep = 2 if parts else 0
        left = len(sources) - i - 1
        reserve = len(f", and {left} more") if left else 0
        if used + sep + ulen(piece) + reserve > limit:
            rest = len(sources) - i
            tail = f"and {rest} more"
            if used + 2 + len(tail) <= limit:
                parts.append(tail)
            break
        parts.append(piece)
        used += sep + ulen(piece)
    return truncate(", ".join(parts), limit) or "—"


# ---------------------------------------------------------------- digests


Message = tuple[str, list[discord.Embed]]


def digest_messages(stories: Sequence[StoryView], *, title: str, tz: str | tzinfo = UTC,
                    now: datetime | None = None) -> list[Message]:
    """The digest as messages: the first goes to the channel, the rest into a thread under it.

    Each message holds at most 10 embeds and 6000 characters across them; each story is a compact embed,
    so a story is never split across messages.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    when = (now or (stories[0].published_at if stories and stories[0].published_at else None))
    local = when.astimezone(zone) if when else None
    date = f" · {local:%A} {local.day} {local:%B}" if local else ""
    count = f"{len(stories)} stor{'y' if len(stories) == 1 else 'ies'}"
    header = truncate(f"📰 **{fit(title, 200)}**{date} · {count}", CONTENT_LIMIT)
    if not stories:
        return [(truncate(f"📰 **{fit(title, 200)}**{date} · no new stories.", CONTENT_LIMIT), [])]
    messages: list[Message] = []
    current: list[discord.Embed] = []
    size = 0
    for story in stories:
        embed = story_embed(story, compact=True)
        n = embed_size(embed)
        if current and (len(current) >= EMBEDS_PER_MESSAGE or size + n > EMBED_TOTAL_LIMIT):
            messages.append(("", current))
            current, size = [], 0
        current.append(embed)
        size += n
    messages.append(("", current))
    if len(messages) > 1:
        header = truncate(header + " (the rest in the thread below)", CONTENT_LIMIT)
        for i in range(1, len(messages)):
            messages[i] = (f"Part {i + 1} of {len(messages)}", messages[i][1])
    messages[0] = (header, messages[0][1])
    return messages
