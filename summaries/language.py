"""Language support: sumy's stemmers and stop-word lists, loaded once per language."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache

# sumy ships a stemmer and stop words for these without extra packages (Greek, Polish and CJK need more).
SUPPORTED_LANGUAGES: tuple[str, ...] = (
    "arabic", "czech", "english", "french", "german", "italian", "portuguese",
    "slovak", "spanish", "swedish", "ukrainian",
)
_ALIASES = {
    "en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian", "pt": "portuguese",
    "cs": "czech", "sk": "slovak", "uk": "ukrainian", "sv": "swedish",
    "ar": "arabic",
}


def normalize_language(language: str) -> str:
    """Accept names and ISO 639-1 codes; anything else is a ValueError naming what works."""
    if not isinstance(language, str):
        raise TypeError(f"language must be a str, not {type(language).__name__}")
    key = language.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; supported: {', '.join(SUPPORTED_LANGUAGES)}")
    return key


@cache
def stemmer(language: str) -> Callable[[str], str]:
    """A memoised stemmer: NLTK's Snowball is slow and news text repeats the same words a lot.

    Imported here, not at module import: sumy's stemmers import NLTK, which imports SciPy (most of the
    memory a loaded summarizer holds), and `import summaries` should stay cheap for the bot's CLI."""
    from sumy.nlp.stemmers import Stemmer

    stem = Stemmer(language)
    return lru_cache(maxsize=65536)(lambda word: stem(word.lower()))


@cache
def stop_words(language: str) -> frozenset[str]:
    from sumy.utils import get_stop_words

    return frozenset(w.lower() for w in get_stop_words(language))
