"""sumy's summarizers behind one function, fed by our offline tokenizer."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.summarizers.edmundson import EdmundsonSummarizer
from sumy.summarizers.kl import KLSummarizer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.reduction import ReductionSummarizer
from sumy.summarizers.sum_basic import SumBasicSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer

from .language import stemmer, stop_words
from .splitter import Tokenizer

logger = logging.getLogger(__name__)

SUMY_ALGORITHMS: dict[str, Any] = {
    "lexrank": LexRankSummarizer,
    "textrank": TextRankSummarizer,
    "lsa": LsaSummarizer,
    "luhn": LuhnSummarizer,
    "edmundson": EdmundsonSummarizer,
    "kl": KLSummarizer,
    "sumbasic": SumBasicSummarizer,
    "reduction": ReductionSummarizer,
}


def build_document(paragraphs: Sequence[Sequence[str]], language: str) -> ObjectDocumentModel:
    tokenizer = Tokenizer(language)
    return ObjectDocumentModel(
        [Paragraph([Sentence(s, tokenizer) for s in para]) for para in paragraphs if para]
    )


def sumy_rank(
    name: str, paragraphs: Sequence[Sequence[str]], count: int, language: str, title: str | None = None
) -> list[int]:
    """Indices (over the flattened sentences) that sumy's `name` summarizer picks, in article order."""
    flat = [s for para in paragraphs for s in para]
    if len(flat) <= count:
        return list(range(len(flat)))
    document = build_document(paragraphs, language)
    summarizer = SUMY_ALGORITHMS[name](stemmer(language))
    stops = stop_words(language)
    if hasattr(summarizer, "stop_words"):
        summarizer.stop_words = stops
    if name == "edmundson":
        # Edmundson's cue/key methods need hand-made word lists; location + title work from the text.
        summarizer = EdmundsonSummarizer(stemmer(language), cue_weight=0.0, key_weight=0.0,
                                         title_weight=1.0 if title else 0.0, location_weight=1.0)
        summarizer.null_words = stops
    first: dict[str, int] = {}
    for i, s in enumerate(flat):
        first.setdefault(" ".join(s.split()), i)
    picked = summarizer(document, count)
    out = sorted({first[str(s)] for s in picked if str(s) in first})
    logger.debug("%s picked %s of %s sentences", name, len(out), len(flat))
    return out
