"""Our default sentence ranker.

News puts the key facts first, so position carries most of the weight; centrality (similarity to the
article's centroid) and title overlap let a strong later sentence beat a weak lead one, and a small
"information" bonus (names, numbers) versus a penalty for quote-heavy or fragmentary sentences keeps
who/what/how-many sentences ahead of colour quotes.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from .splitter import words

_QUOTED = re.compile(r"[\"“”‘’']([^\"“”]{3,})[\"“”’']")
_NUMBER = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class Weights:
    """Tuned on cnndm250.dev only."""

    position: float = 1.0
    decay: float = 0.25
    centrality: float = 0.3
    title: float = 0.3
    info: float = 0.15
    quote_penalty: float = 0.3
    short_penalty: float = 0.5
    # Past ~30 words a sentence is often caption text glued to a sentence, and long bullets cost ROUGE
    # precision (and readers' time) more than they add.
    long_words: int = 30
    long_penalty: float = 0.5
    # Jaccard overlap of terms above which a candidate repeats a chosen bullet; news pages restate the lead
    # in captions and standfirsts, so fairly modest overlap already means "same fact".
    redundancy: float = 0.4


DEFAULT_WEIGHTS = Weights()


def _terms(sentence: str, stem: Callable[[str], str], stop: frozenset[str]) -> list[str]:
    return [stem(w) for w in words(sentence) if w.lower() not in stop and not w.isdigit()]


def _quote_share(sentence: str) -> float:
    quoted = sum(len(m.group(1)) for m in _QUOTED.finditer(sentence))
    return min(1.0, quoted / max(1, len(sentence)))


def _info(sentence: str) -> float:
    toks = sentence.split()
    caps = sum(1 for t in toks[1:] if t[:1].isupper())
    nums = len(_NUMBER.findall(sentence)) > 0
    return min(1.0, caps / 4) * 0.7 + 0.3 * nums


def rank(
    sentences: Sequence[str],
    count: int,
    stem: Callable[[str], str],
    stop: frozenset[str],
    title: str | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[int]:
    """Indices of the `count` best sentences, in article order."""
    n = len(sentences)
    if n <= count:
        return list(range(n))
    bags = [Counter(_terms(s, stem, stop)) for s in sentences]
    df: Counter[str] = Counter()
    for bag in bags:
        df.update(bag.keys())
    idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
    vecs: list[dict[str, float]] = []
    centroid: Counter[str] = Counter()
    for bag in bags:
        vec = {t: (1 + math.log(c)) * idf[t] for t, c in bag.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vec = {t: v / norm for t, v in vec.items()}
        vecs.append(vec)
        centroid.update(vec)
    cnorm = math.sqrt(sum(v * v for v in centroid.values())) or 1.0
    title_terms = set(_terms(title, stem, stop)) if title else set()
    scores: list[float] = []
    for i, (sentence, vec) in enumerate(zip(sentences, vecs, strict=True)):
        cent = sum(v * centroid[t] for t, v in vec.items()) / cnorm
        score = weights.position * math.exp(-weights.decay * i) + weights.centrality * cent
        if title_terms and vec:
            score += weights.title * len(title_terms & vec.keys()) / len(title_terms)
        score += weights.info * _info(sentence)
        score -= weights.quote_penalty * _quote_share(sentence)
        length = len(sentence.split())
        if length < 6:
            score -= weights.short_penalty
        score -= weights.long_penalty * max(0, length - weights.long_words) / weights.long_words
        scores.append(score)
    chosen: list[int] = []
    for i in sorted(range(n), key=lambda j: -scores[j]):
        terms = vecs[i].keys()
        if any(_jaccard(terms, vecs[j].keys()) > weights.redundancy for j in chosen):
            continue
        chosen.append(i)
        if len(chosen) == count:
            break
    return sorted(chosen)


def _jaccard(a: AbstractSet[str], b: AbstractSet[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)

