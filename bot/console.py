"""Console mode: the same pipeline with the terminal as the only channel.

With no Discord token, `newsbot run` delivers to this sink, so a new user sees summaries offline at once.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, TextIO

import summaries
from bot.models import CONSOLE_GUILD_ID, DigestSchedule, Notice, PendingDelivery, StoryView
from bot.status import plural
from bot.work.delivery import Delivered, Outcome

if TYPE_CHECKING:
    from rich.console import Console

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


CONTROL_CHARS = {c: None for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)] if c not in (0x09, 0x0A)}


def without_controls(text: str) -> str:
    """Feed and page text is hostile: no escape sequence may reach the terminal (rich passes ESC through)."""
    return text.translate(CONTROL_CHARS)


@functools.cache
def terminal() -> Console | None:
    """Rich's console for stdout when stdout is a terminal (colour, rendered Markdown), else None: piped
    output stays plain Markdown text, one line per bullet, for grep and files."""
    from rich.console import Console

    console = Console(highlight=False)
    return console if console.is_terminal else None


class ConsoleSink:
    """Prints each delivery; message ids are the delivery ids (there is no server to ask)."""

    def __init__(self, out: TextIO | None = None, *, console: Console | None = None) -> None:
        self.out = out or sys.stdout
        self.console = console if out is None else None
        self.printed = 0

    def show(self, markdown: str) -> None:
        markdown = without_controls(markdown)
        if self.console is not None:
            from rich.markdown import Markdown

            self.console.print(Markdown(markdown, hyperlinks=True))
            self.console.rule(style="dim")
        else:
            self.out.write(markdown + "\n")
            self.out.flush()

    async def deliver(self, delivery: PendingDelivery) -> Outcome:
        self.show(story_markdown(delivery.story))
        self.printed += 1
        return Delivered(delivery.id)

    async def post_digest(self, schedule: DigestSchedule, stories: list[StoryView]) -> Outcome:
        lines = [f"# Daily digest ({plural(len(stories), 'story', 'stories')})", ""]
        lines += [f"- {s.title} ({s.source.name}) <{s.url}>" for s in stories]
        self.show("\n".join(lines) + "\n")
        return Delivered(0)

    async def report_given_up(self, guild_id: int, channel_id: int, what: str, reason: str) -> None:
        note = without_controls(f"(gave up posting {what}: {reason})")
        if self.console is not None:
            self.console.print(note, style="yellow", markup=False)
        else:
            self.out.write(note + "\n")
            self.out.flush()

    async def post_notice(self, notice: Notice) -> Outcome:
        note = without_controls(f"! {notice.text}")
        if self.console is not None:
            self.console.print(note, style="yellow", markup=False)
        else:
            self.out.write(note + "\n")
            self.out.flush()
        return Delivered(0)


def story_markdown(story: StoryView) -> str:
    """Markdown, unwrapped: the terminal (or rich) wraps at word boundaries, never inside a name."""
    when = story.published_at.strftime("%Y-%m-%d %H:%M UTC") if story.published_at else "undated"
    sources = story.source.name
    if story.other_sources:
        sources += " · also: " + ", ".join(s.name for s in story.other_sources)
    lines = [f"## {story.title}", "", f"{sources} · {when} · <{story.url}>", ""]
    lines += [f"- {b}" for b in story.bullets]
    for quote in story.quotes[:2]:
        lines += ["", f"> “{quote.text}” — {quote.speaker or 'unattributed'}"]
    lines += ["", f"_{story.reading_minutes} min read · summary {round(story.reduction * 100)}% shorter_"]
    return "\n".join(lines) + "\n"


def summary_markdown(summary: summaries.Summary, *, title: str | None, url: str | None) -> str:
    lines = [f"# {title or 'Summary'}"]
    if url:
        lines += ["", f"<{url}>"]
    lines.append("")
    lines += [f"- {b}" for b in summary.bullets]
    if summary.quotes:
        lines += ["", "## Quotes"]
        for q in summary.quotes:
            lines += ["", f"> “{q.text}” — {q.speaker or 'unattributed'}"]
    lines += ["", f"_{plural(summary.word_count, 'word')} · {summary.reading_minutes} min read · "
                  f"summary {round(summary.reduction * 100)}% shorter_"]
    return "\n".join(lines) + "\n"


__all__ = ["CONSOLE_CHANNEL_ID", "CONSOLE_GUILD_ID", "SAMPLES_FEED_URL", "ConsoleSink", "load_samples",
           "plural", "story_markdown", "summary_markdown",
           "terminal", "without_controls"]
