"""Result types shared by every stage; frozen so callers can cache and hash them safely."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Quote:
    """A direct quotation as printed, with whoever the article credits for it.

    `text` is verbatim (parts of a quote split across paragraphs or by its attribution are joined by one
    space); `speaker` is the fullest name the article gives, a description ("a Labour Party spokesman")
    when no name is given, or None when nothing in the article claims it.
    """

    text: str
    speaker: str | None
    paragraph: int = 0
    attribution: str | None = None  # the words that credited it ("she added"), for debugging and display


@dataclass(frozen=True, slots=True)
class Summary:
    """What the bot stores and posts for one article."""

    bullets: tuple[str, ...]
    quotes: tuple[Quote, ...]
    language: str
    word_count: int
    reading_minutes: int
    reduction: float
    algorithm: str = "default"
    title: str | None = None
