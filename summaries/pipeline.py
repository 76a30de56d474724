"""summarize(): cleaning → sentences → ranking → quotes, wired together with input validation."""

from __future__ import annotations

import logging
import math

from .algorithms import SUMY_ALGORITHMS, sumy_rank
from .cleaning import Block, clean, quote_paragraphs, strip_caption
from .language import normalize_language, stemmer, stop_words
from .lexicon import QUOTE_LANGUAGES
from .model import Summary
from .speakers import attribute
from .splitter import split_sentences, word_count

logger = logging.getLogger(__name__)

ALGORITHMS: tuple[str, ...] = ("default", *SUMY_ALGORITHMS)
WORDS_PER_MINUTE = 230
MAX_BULLETS = 50


def _validate(text: object, bullets: object, algorithm: object) -> None:
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if not isinstance(bullets, int) or isinstance(bullets, bool) or not 0 <= bullets <= MAX_BULLETS:
        raise ValueError(f"bullets must be an int between 0 and {MAX_BULLETS}, got {bullets!r}")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose one of: {', '.join(ALGORITHMS)}")


def _paragraphs(blocks: list[Block], limit: int | None = None) -> list[list[str]]:
    """Sentences per body paragraph; with `limit`, stops once that many sentences are found."""
    out = []
    total = 0
    for b in blocks:
        if limit is not None and total >= limit:
            break
        if not b.heading:
            sentences = [strip_caption(s) for s in split_sentences(b.text)]
            out.append([s for s in sentences if s])
            total += len(out[-1])
    return out


def body_sentences(text: str, title: str | None = None) -> list[list[str]]:
    """Sentences per body paragraph after cleaning (headlines, captions and boilerplate left out).

    Lead-3 in the benchmark uses this too, so baselines get exactly the cleaning the rankers get.
    """
    return _paragraphs(clean(text, title))


SHORT_QUOTE_WORDS = 5


def summarize(
    text: str,
    *,
    title: str | None = None,
    bullets: int = 3,
    language: str = "english",
    algorithm: str = "default",
) -> Summary:
    """Extractive summary plus attributed quotes; pure and synchronous so callers choose the executor."""
    _validate(text, bullets, algorithm)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, not {type(title).__name__}")
    lang = normalize_language(language)
    blocks = clean(text, title)
    limit = None
    if algorithm == "default":
        from .ranker import MAX_RANKED, rank  # local: sumy's summarizer base imports NLTK and SciPy

        limit = MAX_RANKED  # the default ranks no more, so no more need splitting (bounded work)
    paragraphs = _paragraphs(blocks, limit)
    flat = [s for para in paragraphs for s in para]
    if bullets == 0 or not flat:
        picked: list[int] = []
    elif algorithm == "default":
        picked = rank(paragraphs, bullets, stemmer(lang), stop_words(lang), title, lang)
    else:
        picked = sumy_rank(algorithm, paragraphs, bullets, lang, title)
    chosen = tuple(flat[i] for i in picked)
    total = word_count(" ".join(b.text for b in blocks))
    kept = sum(word_count(s) for s in chosen)
    body = quote_paragraphs(blocks)
    quotes = attribute(body, lang) if lang in QUOTE_LANGUAGES else ()
    # A phrase of a few words nobody is credited with is more likely scare quotes ('find three "survivors"')
    # than anyone's words, and shown alone it tells the reader nothing.
    quotes = tuple(q for q in quotes if q.speaker is not None or len(q.text.split()) >= SHORT_QUOTE_WORDS)
    logger.debug("summarized %s words into %s bullets and %s quotes", total, len(chosen), len(quotes))
    return Summary(
        bullets=chosen,
        quotes=quotes,
        language=lang,
        word_count=total,
        reading_minutes=max(1, math.ceil(total / WORDS_PER_MINUTE)) if total else 0,
        reduction=max(0.0, 1.0 - kept / total) if total else 0.0,
        algorithm=algorithm,
        title=title,
    )
