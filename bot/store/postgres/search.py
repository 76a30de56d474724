"""Full-text search on PostgreSQL: which text-search configuration a story is indexed with, and user text
turned into safe tsquery inputs.

Each article's `search` tsvector is built with the configuration of its own language (`ts_config`), so
"elections" finds "élection" in a French story through the French stemmer and an English story through
the English one. A query is therefore parsed once per configuration in use (the `search_configs` table)
and matched only against the stories indexed with that configuration.

User text goes to `websearch_to_tsquery`, which never raises on malformed input (quotes make phrases, `or`
and `-` work as people expect). A trailing `*` (prefix search, as on SQLite) is the one thing it lacks:
such words are taken out, reduced to word characters and matched as `'word':*` prefixes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_CHARS = 500
MAX_PREFIXES = 6
MIN_PREFIX_CHARS = 2  # "a*" would expand to a large part of the vocabulary

# ts_rank_cd weights for {D, C, B, A} = {text, quotes, bullets, title}: a word in the title says more
# about what the story is than the same word deep in the text.
RANK_WEIGHTS = "{0.1, 0.3, 0.4, 1.0}"
RANK_NORMALIZATION = 1  # divide by 1 + log(document length): a long text repeating a word does not win

# ISO 639-1 codes (trafilatura) and the language names the summarizer uses (sumy), to PostgreSQL's
# built-in configurations. Only those the server has are used (set at open); anything else is 'simple'.
_CODES = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "da": "danish", "nl": "dutch",
    "en": "english", "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian", "lt": "lithuanian",
    "ne": "nepali", "no": "norwegian", "nb": "norwegian", "nn": "norwegian", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sr": "serbian", "es": "spanish", "sv": "swedish", "ta": "tamil",
    "tr": "turkish", "yi": "yiddish",
}
SIMPLE = "simple"

_NOT_WORD = re.compile(r"\W+")
_SPLIT = re.compile(r"[-_]")


def config_for(language: str | None, available: frozenset[str]) -> str:
    """The configuration for a story's language: "en", "en-GB", "english" -> 'english' (when the server
    has it); unknown or missing -> 'simple' (no stemming, no stop words: still finds exact words)."""
    if not language:
        return SIMPLE
    lang = language[:40].strip().lower()
    name = lang if lang in available else _CODES.get(_SPLIT.split(lang, maxsplit=1)[0], SIMPLE)
    return name if name in available else SIMPLE


@dataclass(frozen=True, slots=True)
class SearchTerms:
    text: str  # for websearch_to_tsquery ("" when only prefixes were given)
    prefixes: str  # for to_tsquery: "'elect':* & 'volc':*" ("" when none)


def search_terms(query: str) -> SearchTerms | None:
    """The tsquery inputs for a user's search text, or None when nothing searchable is left."""
    words: list[str] = []
    prefixes: list[str] = []
    for raw in query[:MAX_QUERY_CHARS].replace("\x00", "").split():
        if raw.endswith("*") and len(prefixes) < MAX_PREFIXES:
            stem = _NOT_WORD.sub("", raw).replace("_", "")
            if len(stem) >= MIN_PREFIX_CHARS:
                prefixes.append(f"'{stem}':*")  # word characters only: nothing to escape
                continue
            raw = raw.rstrip("*")
        words.append(raw)
    text = " ".join(words)
    if not prefixes and not any(ch.isalnum() for ch in text):
        return None
    return SearchTerms(text=text, prefixes=" & ".join(dict.fromkeys(prefixes)))
