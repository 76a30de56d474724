"""Finding direct quotations: pairing quote marks, joining multi-paragraph quotes, dropping scare quotes.

Speaker attribution lives in `speakers.py`; this module only decides what is a quotation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .cleaning import clean
from .model import Quote

_DOUBLE = re.compile(r"[\"“”„«»]")
_SINGLE = re.compile(r"[‘’']")
_TERMINAL_BEFORE = re.compile(r"[.!?,:;…][\"'”’]?\s*$")
# Verbs that make even a two-word quotation a citation rather than a scare quote.
SPEECH_VERBS = (
    "said|says|say|saying|added|adds|told|tells|telling|asked|asks|explained|explains|insisted|insists|"
    "warned|warns|claimed|claims|described|describes|describing|called|calls|calling|branded|brands|"
    "labelled|labeled|dubbed|believed|believes|stated|states|wrote|writes|argued|argues|noted|notes|"
    "declared|admitted|admits|suggested|replied|continued|urged|announced|revealed|joked|jokes|"
    "acknowledged|stressed|commented|predicted|confirmed|recalled|promised|vowed|remarked|"
    "conceded|agreed|thinks|thought|feels|felt|hopes|hoped|accused|criticised|criticized|"
    "according|went on to say|tweeted|posted|quoted|reported|maintained|responded|shouted|cried|"
    "whispered|boasted|complained|concluded|pointed out|contended|cautioned"
)
_SPEECH = re.compile(r"\b(?:" + SPEECH_VERBS + r")\b", re.IGNORECASE)
_SENT_START = re.compile(r"[.!?][\"'”’]?\s+(?=[\"'“‘A-Z])")


@dataclass(slots=True)
class Span:
    """A quotation before attribution: its parts and where it sits in the joined body text."""

    parts: list[str]
    start: int  # offset of the opening mark
    end: int  # offset just past the closing mark (or the end of the last part)
    paragraph: int
    split_at: int = -1  # for a quote interrupted by its attribution: end of the first piece


def _is_open(doc: str, i: int, mark: str, single: bool) -> bool | None:
    """True for an opening mark, False for a closing one, None for an apostrophe or a stray."""
    before = doc[i - 1] if i > 0 else " "
    after = doc[i + 1] if i + 1 < len(doc) else " "
    if mark in "“‘„«":
        return True
    if mark in "”»":
        return False
    if single and before.isalnum() and after.isalnum():
        return None  # don't, O’Toole
    if before.isspace() or before in "([{—–-/":
        if after.isspace():
            return None if single else False
        return True
    if after.isspace() or after in ".,;:!?)]}—–-" or i + 1 >= len(doc):
        if single and before.lower() == "s" and after.isspace():
            return False  # plural possessive looks the same; closing is the likelier reading mid-quote
        return False
    return None


def find_spans(paragraphs: Sequence[str]) -> list[Span]:
    """Pair quote marks across the body; double quotes win, single quotes only in texts that use no
    double quotes (Daily Mail style), so apostrophes can't be mistaken for quotations elsewhere."""
    doc = "\n".join(paragraphs)
    single = _DOUBLE.search(doc) is None
    marks = _SINGLE if single else _DOUBLE
    para_starts = []
    pos = 0
    for p in paragraphs:
        para_starts.append(pos)
        pos += len(p) + 1
    spans: list[Span] = []
    for pi, para in enumerate(paragraphs):
        base = para_starts[pi]
        current = spans[-1] if spans and spans[-1].end < 0 else None
        part_start = -1
        if current is not None:
            first = para.lstrip()[:1]
            reopens = bool(first) and marks.match(first) is not None \
                and _is_open(doc, base + para.index(first), first, single) is not False
            if not reopens:
                _close(current, doc, para_starts[pi - 1] + len(paragraphs[pi - 1]))
                current = None
        for m in marks.finditer(para):
            i = base + m.start()
            kind = _is_open(doc, i, m.group(0), single)
            if kind is None:
                continue
            if kind:
                if current is None:
                    current = Span([], i, -1, pi)
                    spans.append(current)
                    part_start = i + 1
                elif part_start < 0 or _TERMINAL_BEFORE.search(doc[part_start:i]):
                    if part_start >= 0:
                        current.parts.append(doc[part_start:i].strip())
                    part_start = i + 1
            elif current is not None and part_start >= 0:
                current.parts.append(doc[part_start:i])
                current.end = i + 1
                current = None
                part_start = -1
        if current is not None and part_start >= 0:
            current.parts.append(doc[part_start: base + len(para)].strip())
            part_start = -1
    if spans and spans[-1].end < 0:
        _close(spans[-1], doc, len(doc))
    return [s for s in spans if s.parts]


def _close(span: Span, doc: str, end: int) -> None:
    span.end = end


def is_quotation(text: str, sentence: str) -> bool:
    """Scare quotes, titles of works and labels aren't quotations; a short phrase counts only when the
    sentence credits it to someone with a speech verb."""
    words = text.split()
    if not words or not any(c.isalpha() for c in text):
        return False
    if len(words) >= 2 and all(w[:1].isupper() or not w[:1].isalpha() for w in words) and len(words) < 8:
        return False  # Title Case: a book, film or programme
    if len(words) >= 5:
        return True
    return bool(_SPEECH.search(sentence.replace(text, " ")))


def sentence_around(doc: str, start: int, end: int) -> str:
    """The sentence(s) containing doc[start:end], for attribution and scare-quote checks."""
    left = max(doc.rfind("\n", 0, start) + 1, start - 1500)  # bounded: huge one-line inputs stay linear
    for m in _SENT_START.finditer(doc, left, start):
        left = m.end()
    right_nl = doc.find("\n", end)
    right_nl = min(len(doc) if right_nl < 0 else right_nl, end + 1500)
    m2 = _SENT_START.search(doc, end, right_nl)
    right = m2.start() + 1 if m2 else right_nl
    return doc[left:right]


def quote_text(span: Span) -> str:
    return " ".join(" ".join(p.split()) for p in span.parts if p.strip())


def extract_quotes(text: str) -> tuple[Quote, ...]:
    """Every direct quotation in an article with its speaker (see `speakers.attribute`)."""
    from .speakers import attribute  # local: speakers imports this module's helpers

    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    paragraphs = [b.text for b in clean(text) if not b.heading or _DOUBLE.search(b.text)]
    return attribute(paragraphs)
