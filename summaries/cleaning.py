"""Light cleaning of extracted article text.

Cleaning only ever *removes* whole lines or a leading prefix (byline, dateline, agency tag) and collapses
whitespace, so every sentence we return can still be found verbatim in the whitespace-collapsed input.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .lexicon import LEXICONS


class Block(NamedTuple):
    """A paragraph of the article; `heading` marks headline, standfirst and caption lines (not bullets), and
    an empty heading marks where a boilerplate line was dropped. A tuple, not a dataclass: an input of many
    short lines makes one per line, and a frozen dataclass costs four times as much to build."""

    text: str
    heading: bool = False


_BOILERPLATE = re.compile(
    r"^(?:read more|advertisement|share this article|share|share this|scroll down for video|click here\b.*"
    r"|related(?: articles| stories)?:?.*|follow us\b.*|sign up\b.*|subscribe\b.*|comments?"
    r"|story continues below.*|image copyright.*|image caption.*|media playback is unsupported.*"
    r"|getty images|reuters|ap photo|\(?photo:.*|\(?image:.*|\(?picture:.*|photograph:.*"
    r"|copyright .*|all rights reserved.*|back to top|print|email|tweet)\W*$",
    re.IGNORECASE,
)
# "By . Daily Mail Reporter . PUBLISHED: . 10:28 EST, 22 December 2013 . | . UPDATED: . ... 2013 . "
_DM_BYLINE = re.compile(
    r"^\s*(?:By\s*\.?\s*[^.|]{1,80}?\s*\.\s*)?(?:(?:PUBLISHED|UPDATED|Last updated)\s*:?\s*\.?\s*"
    r"[^|]{0,60}?\d{4}\s*\.?\s*\|?\s*\.?\s*)+",
)
_BYLINE_LINE = re.compile(
    r"^(?:By|BY|Written by|Reporting by)\s+[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|&|,|de|van|von))*"
    r"(?:\s*[,|-]\s*.{0,60})?$"
)
_BYLINE_PREFIX = re.compile(r"^By\s+(?:[A-Z][\w'’-]+\s+){1,3}(?:and\s+(?:[A-Z][\w'’-]+\s+){1,3})?(?=[A-Z(])")
# "WASHINGTON - ", "LONDON (Reuters) -", "NEW YORK, March 3 (AP) —", "(CNN)"
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Z.'’ -]{1,40}(?:,\s*[A-Z][\w.]*(?:\s+\d{1,2})?){0,2}\s*(?:\([\w .]+\))?\s*[-–—]{1,2}\s+"
    r"|(?:[A-Z][\w.'’-]*(?:,? [A-Z][\w.'’-]*){0,3} ?)?\((?:CNN|Reuters|AP|AFP)\)\s*(?:[-–—]+\s*)?)"
)
_CAPTION_TAIL = re.compile(r"\((?:Photo|Image|Picture|Credit)[^)]*\)$|(?:Getty Images|AFP|AP|Reuters)$", re.I)
# Photo captions pasted into the text: after a "Scroll down for video" marker, or a short "Label: " lead-in
# ("Pictured: ", "Star-crossed lovers: "). Speech tags ("Mr Smith said: ") are not labels.
_VIDEO_MARKER = re.compile(r"^(?:scroll down for (?:the )?videos?|watch the video)\b[\s.:,-]*", re.IGNORECASE)
_LABEL = re.compile(r"^([A-Z][\w'’-]*(?: [\w'’-]+){0,2}): (?=[A-Z])")
def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_SPEECH = LEXICONS["english"].speech_verbs
# Where a caption with no full stop runs into the next caption or sentence: a word (or closing quote) then a
# typical sentence opener, or the next caption's "Label: ". Only searched inside text known to be a caption.
_CAPTION_END = re.compile(
    r"(?<=[\w'’”)%])\s+(?=(?:The|A|An|He|She|It|They|We|His|Her|Their|Its|This|These|Those|Now|But|According"
    r"|Police|Officials|Officers)\s)|(?<=[a-z][’'”])\s+(?=[A-Z])"
    r"|\s+(?=([A-Z][\w'’-]*(?: [\w'’-]+){0,2}): [A-Z])"
)
# Words after which a capitalised "The"/"A" is a name ("told The Times"), not a new sentence.
_NAME_CONTEXT = _wordset("in on at of to by for from with the a an and or told said called named dubbed")
_QUOTE_MARK = re.compile(r"[\"“”„«»]")
_LINES = re.compile(r"\n\s*\n|\n")
_PREFIX_LINES = 20  # headline, standfirst and caption lines that may come before the first body line
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$|[\"”’]$")


def collapse(text: str) -> str:
    """The normalisation every returned string is checked against: runs of whitespace become one space."""
    return " ".join(text.split())


def _is_heading(line: str) -> bool:
    # Headlines, standfirsts and photo captions rarely end in terminal punctuation; a line ending in a
    # colon ("He told the Guardian:") introduces the next paragraph instead.
    return not _TERMINAL.search(line) and not line.endswith((":", ",")) and len(line.split()) < 40


def strip_caption(sentence: str) -> str:
    """The part of a split sentence that is not photo-caption text ("" when it is all caption).

    Daily Mail style pages paste captions, without a full stop, right before the next sentence, so the
    splitter returns "Scroll down for video Caption one Caption two The real sentence." as one sentence.
    Such blobs repeat the lead and are long, which hurts extractive summaries, so keep only the text after
    the last caption boundary. Returns a suffix, so the result is still verbatim input text.
    """
    marker = _VIDEO_MARKER.match(sentence)
    rest = sentence[marker.end():] if marker else sentence
    label = _LABEL.match(rest)
    if label and not _SPEECH & set(label.group(1).lower().split()):
        rest = rest[label.end():]
    elif not marker:
        return sentence
    cuts = [m.end() for m in _CAPTION_END.finditer(rest) if _is_caption_end(rest, m)]
    if cuts:
        rest = rest[cuts[-1]:]
        label = _LABEL.match(rest)
        return rest[label.end():] if label and not _SPEECH & set(label.group(1).lower().split()) else rest
    return "" if marker and not _TERMINAL.search(rest) else rest


def _is_caption_end(text: str, m: re.Match[str]) -> bool:
    if m.group(1) is not None:
        return not _SPEECH & set(m.group(1).lower().split())
    before = text[:m.start()].rsplit(None, 1)
    return not before or before[-1].lower() not in _NAME_CONTEXT


def clean(text: str, title: str | None = None) -> list[Block]:
    """Split raw article text into blocks, dropping boilerplate and stripping byline/dateline prefixes."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines: list[tuple[str, bool]] = []
    title_key = collapse(title).lower() if title else None
    body_started = False
    for raw in _LINES.split(text):
        line = collapse(raw)
        if not line:
            continue
        if _BOILERPLATE.match(line) or _BYLINE_LINE.match(line):
            if lines:  # a gap marker: a quotation never runs on across a dropped line
                lines.append(("", True))
            continue
        if title_key and line.lower() == title_key:
            continue
        if _CAPTION_TAIL.search(line) and len(line.split()) < 40:
            continue
        m = _DM_BYLINE.match(line)
        if m and m.end() < len(line):
            line = line[m.end():]
        heading = _is_heading(line)
        # The first body line may carry a dateline or byline; headlines keep theirs. Only the opening
        # lines are tried, so a text of many short lines costs one pass, not one per line.
        if not body_started and len(lines) < _PREFIX_LINES:
            stripped = _strip_prefixes(line)
            if not stripped:
                continue
            if stripped is not line and not _is_heading(stripped):
                line, heading = stripped, False
        if not heading:
            body_started = True
        lines.append((line, heading))
    if lines and not body_started:  # no line ends like a sentence: unpunctuated text, not all headlines
        return [Block(line, heading=not line) for line, _ in lines]
    if lines and lines[-1][1] and len(lines[-1][0].split()) >= 8:
        lines[-1] = (lines[-1][0], False)  # a body's last sentence that lost its full stop
    return [Block(line, heading) for line, heading in lines]


def quote_paragraphs(blocks: list[Block], quoted_headings: bool = False) -> list[str]:
    """Body paragraphs for quote finding. A headline or caption line inside the body becomes an empty
    paragraph, as a dropped boilerplate line does: a quotation never runs on across it (its parts would
    not be one stretch of the article). With `quoted_headings`, heading lines holding quote marks stay."""
    out: list[str] = []
    for b in blocks:
        if b.heading and b.text and not (quoted_headings and _QUOTE_MARK.search(b.text)):
            if out and out[-1]:
                out.append("")
            continue
        out.append(b.text)
    return out


def _strip_prefixes(line: str) -> str:
    for pattern in (_DM_BYLINE, _BYLINE_PREFIX, _DATELINE):
        m = pattern.match(line)
        if m and m.end() < len(line):
            line = line[m.end():].lstrip(" .|-–—")
    return line
