"""Offline sentence and word splitting.

sumy's default tokenizer needs NLTK's punkt data, which a self-hosted bot cannot assume; a regex splitter
that knows news abbreviations is faster and good enough for extractive ranking.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .lexicon import ABBREVIATIONS, SENTENCE_FINAL_ABBREVIATIONS, SENTENCE_STARTERS

_ABBREVIATIONS = ABBREVIATIONS
_SENTENCE_STARTERS = SENTENCE_STARTERS
_CLOSERS = "\"'”’»«“‘)]」』"
_OPENERS = "\"'“‘«»„‚(「『—–"
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"(?:[.!?]+|…)[" + re.escape(_CLOSERS) + r"]*(?=\s+)")
_NEXT_START = re.compile(r"\s+([" + re.escape(_OPENERS) + r"]*)\s*(\S+)")
_INITIALS = re.compile(r"(?:[A-Z]\.)+[A-Z]")
_WORD = re.compile(r"\w+(?:[-'’.]\w+)*", re.UNICODE)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n")


def _previous_token(text: str, end: int) -> str:
    start = end
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in _OPENERS:
        start -= 1
    return text[start:end]


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    punct = match.group(0)
    nxt = _NEXT_START.match(text, match.end())
    if nxt is None:
        return True
    opener, word = nxt.group(1), nxt.group(2)
    first = word[0]
    if not (first.isupper() or first.isdigit() or opener):
        return False  # "... and then" or "3.5 p.m. today": lowercase continues the sentence
    if not punct.startswith(".") or punct.startswith(".."):
        return True
    if punct.rstrip(_CLOSERS) != ".":
        return True
    token = _previous_token(text, match.start()).lstrip(_OPENERS)
    low = token.lower().rstrip(".")
    if not token:
        return True
    if len(token) == 1 and token.isalpha() and (token.isupper() or (len(word) == 2 and word.endswith("."))):
        return False  # an initial ("J. R. Smith") or a spaced abbreviation ("z. B.", "d. h.")
    if low in _ABBREVIATIONS:
        if low in SENTENCE_FINAL_ABBREVIATIONS:
            return word.strip(_CLOSERS + ",;:") in _SENTENCE_STARTERS
        return False
    return not _INITIALS.fullmatch(token)  # "J.R.R." style initials


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """Yield (start, end) offsets of sentences; offsets let callers map sentences back to paragraphs."""
    pos = 0
    n = len(text)
    while pos < n and text[pos].isspace():
        pos += 1
    for match in _BOUNDARY.finditer(text):
        if match.end() <= pos:
            continue
        if _is_boundary(text, match):
            yield pos, match.end()
            pos = match.end()
            while pos < n and text[pos].isspace():
                pos += 1
    end = len(text.rstrip())
    if pos < end:
        yield pos, end


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph (or of a whole text, treating line breaks as paragraph breaks)."""
    out: list[str] = []
    for para in _PARAGRAPH_BREAK.split(text):
        out.extend(" ".join(para[s:e].split()) for s, e in sentence_spans(para))
    return [s for s in out if s]


def words(text: str) -> list[str]:
    """Word tokens; keeps contractions, hyphenated words and decimals whole."""
    return [w.rstrip(".") for w in _WORD.findall(text)]


def word_count(text: str) -> int:
    """len(words(text)) without stripping each word (counted on every article)."""
    return len(_WORD.findall(text))


class Tokenizer:
    """Drop-in for sumy's Tokenizer (same two methods) that needs no NLTK data."""

    def __init__(self, language: str = "english") -> None:
        self.language = language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(words(sentence))
