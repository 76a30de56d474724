"""Extractive news summaries and attributed quotes, offline and synchronous.

The bot runs `summarize()` in an executor; nothing here does I/O or needs NLTK data.
"""

import logging

from .language import SUPPORTED_LANGUAGES
from .model import Quote, Summary
from .pipeline import ALGORITHMS, summarize
from .speakers import extract_quotes
from .splitter import split_sentences

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "ALGORITHMS", "SUPPORTED_LANGUAGES", "Quote", "Summary", "extract_quotes", "split_sentences", "summarize",
]
