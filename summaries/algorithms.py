"""sumy's summarizers behind one function, fed by our offline tokenizer; each imported only when asked for."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence

from .language import stemmer, stop_words

logger = logging.getLogger(__name__)

# name → (module, class) in sumy; imported lazily because LSA and others pull NumPy and more
SUMY_ALGORITHMS: dict[str, tuple[str, str]] = {
    "lexrank": ("sumy.summarizers.lex_rank", "LexRankSummarizer"),
    "textrank": ("sumy.summarizers.text_rank", "TextRankSummarizer"),
    "lsa": ("sumy.summarizers.lsa", "LsaSummarizer"),
    "luhn": ("sumy.summarizers.luhn", "LuhnSummarizer"),
    "edmundson": ("sumy.summarizers.edmundson", "EdmundsonSummarizer"),
    "kl": ("sumy.summarizers.kl", "KLSummarizer"),
    "sumbasic": ("sumy.summarizers.sum_basic", "SumBasicSummarizer"),
    "reduction": ("sumy.summarizers.reduction", "ReductionSummarizer"),
}


def sumy_rank(
    name: str, paragraphs: Sequence[Sequence[str]], count: int, language: str, title: str | None = None
) -> list[int]:
    """Indices (over the flattened sentences) that sumy's `name` summarizer picks, in article order."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

    from .splitter import Tokenizer

    flat = [s for para in paragraphs for s in para]
    if len(flat) <= count:
        return list(range(len(flat)))
    tokenizer = Tokenizer(language)
    body = [Paragraph([Sentence(s, tokenizer) for s in para]) for para in paragraphs if para]
    if title:  # Edmundson's title method reads the document's headings
        body.insert(0, Paragraph([Sentence(title, tokenizer, is_heading=True)]))
    document = ObjectDocumentModel(body)
    module, cls = SUMY_ALGORITHMS[name]
    summarizer_class = getattr(importlib.import_module(module), cls)
    stops = stop_words(language)
    if name == "edmundson":
        # cue and key methods need hand-made word lists; title and location work from the text itself
        summarizer = summarizer_class(stemmer(language), cue_weight=0.0, key_weight=0.0,
                                      title_weight=1.0 if title else 0.0, location_weight=1.0)
        summarizer.null_words = stops
    else:
        summarizer = summarizer_class(stemmer(language))
        if hasattr(summarizer, "stop_words"):
            summarizer.stop_words = stops
    first: dict[str, int] = {}
    for i, s in enumerate(flat):
        first.setdefault(" ".join(s.split()), i)
    picked = summarizer(document, count)
    out = sorted({first[str(s)] for s in picked if str(s) in first})
    logger.debug("%s picked %s of %s sentences", name, len(out), len(flat))
    return out
