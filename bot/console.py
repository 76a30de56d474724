"""Console mode: the same pipeline with the terminal as the only channel.

With no Discord token, `newsbot run` delivers to this sink, so a new user sees summaries offline at once.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import TextIO

import summaries
from bot.models import CONSOLE_GUILD_ID, DigestSchedule, Notice, PendingDelivery, StoryView
from bot.work.delivery import Delivered, Outcome

log = logging.getLogger(__name__)

CONSOLE_CHANNEL_ID = 0
SAMPLES_FEED_URL = "https://newsbot.invalid/samples"
"""The pseudo-feed that bundled samples are stored under; it is kept disabled, so nothing polls it."""


@dataclass(frozen=True, slots=True)
class SampleArticle:
    title: str
    url: str
    source: str
    published: datetime
    author: str | None
    text: str


def load_samples() -> list[SampleArticle]:
    samples = []
    for item in sorted(resources.files("bot.samples").iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".json"):
            continue
        data = json.loads(item.read_text(encoding="utf-8"))
        published = datetime.fromisoformat(data["published"].replace("Z", "+00:00")).astimezone(UTC)
        samples.append(SampleArticle(data["title"], data["url"], data["source"], published,
                                     data.get("author"), data["text"]))
    return samples


class ConsoleSink:
    """Prints each delivery as Markdown; message ids are the delivery ids (there is no server to ask)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.printed = 0

    async def deliver(self, delivery: PendingDelivery) -> Outcome:
        self.out.write(story_markdown(delivery.story) + "\n")
        self.out.flush()
        self.printed += 1
        return Delivered(delivery.id)

    async def post_digest(self, schedule: DigestSchedule, stories: list[StoryView]) -> Outcome:
        lines = [f"# Daily digest ({len(stories)} stories)"]
        lines += [f"- {s.title} ({s.source.name}) {s.url}" for s in stories]
        self.out.write("\n".join(lines) + "\n\n")
        self.out.flush()
        return Delivered(0)

    async def report_given_up(self, guild_id: int, channel_id: int, what: str, reason: str) -> None:
        self.out.write(f"(gave up posting {what}: {reason})\n")
        self.out.flush()

    async def post_notice(self, notice: Notice) -> Outcome:
        self.out.write(f"! {notice.text}\n")
        self.out.flush()
        return Delivered(0)


def story_markdown(story: StoryView) -> str:
    width = min(shutil.get_terminal_size((100, 20)).columns, 100)
    when = story.published_at.strftime("%Y-%m-%d %H:%M UTC") if story.published_at else "undated"
    sources = story.source.name
    if story.other_sources:
        sources += " · also: " + ", ".join(s.name for s in story.other_sources)
    lines = [f"## {story.title}", f"{sources} · {when}", story.url, ""]
    lines += [textwrap.fill(b, width, initial_indent="• ", subsequent_indent="  ") for b in story.bullets]
    for quote in story.quotes[:2]:
        who = quote.speaker or "unattributed"
        lines.append(textwrap.fill(f"“{quote.text}” — {who}", width, initial_indent="> ",
                                   subsequent_indent="> "))
    lines.append(f"_{story.reading_minutes} min read · summary {round(story.reduction * 100)}% shorter_")
    return "\n".join(lines) + "\n"


def summary_markdown(summary: summaries.Summary, *, title: str | None, url: str | None) -> str:
    lines = [f"# {title or 'Summary'}"]
    if url:
        lines.append(url)
    lines.append("")
    lines += [f"- {b}" for b in summary.bullets]
    if summary.quotes:
        lines += ["", "## Quotes"]
        lines += [f"> “{q.text}” — {q.speaker or 'unattributed'}" for q in summary.quotes]
    lines += ["", f"_{summary.word_count} words · {summary.reading_minutes} min read · "
                  f"summary {round(summary.reduction * 100)}% shorter_"]
    return "\n".join(lines) + "\n"


__all__ = ["CONSOLE_CHANNEL_ID", "CONSOLE_GUILD_ID", "SAMPLES_FEED_URL", "ConsoleSink", "load_samples",
           "story_markdown", "summary_markdown"]
