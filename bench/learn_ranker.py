"""Would a learned linear scorer beat the hand-set one? K-fold cross-validation on cnndm250.dev ONLY.

    python -m bench.learn_ranker /work/shared/datasets [--folds 5] [--seeds 3] [--directed] [--with-bbc]

Labels are the ROUGE-1 oracle: the three sentences (of the opening window, or of the whole article) whose
union scores best against the highlights. A ridge regression over cheap sentence features is fitted on the
other folds and picks with the default's own constraints (no quote interiors, no near-duplicates, pronoun
openers only after their predecessor). ROUGE-1 here is rouge-score's own tokenizer and stemmer with the
F1 computed from counts, so thousands of candidate sets cost seconds.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rouge_score import rouge_scorer

from bench.summaries import load
from summaries.language import stemmer, stop_words
from summaries.pipeline import body_sentences
from summaries.ranker import DEFAULT_WEIGHTS, Features, NewsSummarizer, _allowed, _jaccard, build_document, choose

WHOLE = 60  # sentences considered when the window is the whole article


@dataclass
class Article:
    features: list[Features]
    first_in_paragraph: list[bool]
    tokens: list[Counter[str]]
    reference: Counter[str]
    oracle: set[int]


def rouge1(a: Article, picked: list[int] | tuple[int, ...]) -> float:
    return rouge1_tokens(a.tokens, a.reference, picked)


def rouge1_tokens(tokens: Sequence[Counter[str]], reference: Counter[str], picked: Sequence[int]) -> float:
    """ROUGE-1 F1 (x100) of the picked sentences' tokens against the reference's: fast enough to search with."""
    got: Counter[str] = Counter()
    for i in picked:
        got += tokens[i]
    overlap = sum((got & reference).values())
    if not overlap:
        return 0.0
    p, r = overlap / sum(got.values()), overlap / sum(reference.values())
    return 100 * 2 * p * r / (p + r)


def prepare(rows: list[dict], window: int) -> list[Article]:
    tokenize = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)._tokenizer.tokenize
    summarizer = NewsSummarizer(stemmer("english"))
    summarizer.stop_words = stop_words("english")
    out = []
    for row in rows:
        summarizer.title = row.get("title") or None
        paragraphs = body_sentences(row["text"], summarizer.title)
        flat = [s for p in paragraphs for s in p]
        if len(flat) < 4:
            continue
        starts = [k == 0 for p in paragraphs for k in range(len(p))]
        a = Article(summarizer.features(build_document(paragraphs, "english")), starts,
                    [Counter(tokenize(s)) for s in flat], Counter(tokenize("\n".join(row["summary_sentences"]))),
                    set())
        pool = range(min(window, len(flat)))
        if len(pool) <= 8:
            a.oracle = set(max(itertools.combinations(pool, 3), key=lambda c: rouge1(a, c)))
        else:  # greedy oracle over longer pools
            for _ in range(3):
                a.oracle.add(max((i for i in pool if i not in a.oracle),
                                 key=lambda i: rouge1(a, [*a.oracle, i])))
        out.append(a)
    return out


def forward(a: Article, i: int) -> float:
    """PacSum-style directed centrality: overlap with the sentences after minus half that with those before."""
    terms = a.features[i].terms
    after = sum(_jaccard(terms, g.terms) for g in a.features[i + 1:i + 30])
    before = sum(_jaccard(terms, g.terms) for g in a.features[max(0, i - 30):i])
    return (after - 0.5 * before) / 3


def vector(a: Article, i: int, directed: bool = False) -> list[float]:
    f = a.features[i]
    length = min(f.length, 60) / 30
    return [1.0, *(float(i == j) for j in range(1, 6)), float(i >= 6), math.exp(-0.3 * i),
            float(a.first_in_paragraph[i]), length, length * length, float(f.length < 8),
            f.centrality, f.lead, f.title, f.info, f.quote_share, float(f.dangling),
            *([forward(a, i)] if directed else [])]


def ridge(xs: list[list[float]], ys: list[float], lam: float) -> list[float]:
    """(X'X + lam I) w = X'y by Gauss-Jordan elimination: the system is only as wide as the feature list."""
    d = len(xs[0])
    m = [[sum(x[r] * x[c] for x in xs) + (lam if r == c else 0.0) for c in range(d)]
         + [sum(x[r] * y for x, y in zip(xs, ys, strict=True))] for r in range(d)]
    for c in range(d):
        pivot = max(range(c, d), key=lambda r: abs(m[r][c]))
        m[c], m[pivot] = m[pivot], m[c]
        for r in range(d):
            if r != c and m[c][c]:
                k = m[r][c] / m[c][c]
                m[r] = [v - k * w for v, w in zip(m[r], m[c], strict=True)]
    return [m[r][d] / m[r][r] if m[r][r] else 0.0 for r in range(d)]


def learned_pick(a: Article, w: list[float], window: int, directed: bool) -> list[int]:
    pool = range(min(window, len(a.features)))
    scores = {i: sum(p * q for p, q in zip(w, vector(a, i, directed), strict=True)) for i in pool}
    order = sorted(scores, key=lambda i: -scores[i])
    chosen: list[int] = []
    while len(chosen) < 3:
        pick = next((i for i in order if _allowed(i, a.features, chosen, DEFAULT_WEIGHTS)), None)
        if pick is None:
            break
        chosen.append(pick)
    return sorted(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("datasets", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--directed", action="store_true", help="add PacSum-style directed centrality")
    parser.add_argument("--with-bbc", action="store_true", help="add every 3rd bbc.dev article to training")
    args = parser.parse_args()
    rows = load(args.datasets / "cnndm250.dev.jsonl")
    bbc_rows = load(args.datasets / "bbc.dev.jsonl")[::3] if args.with_bbc else []
    for window in (DEFAULT_WEIGHTS.candidates, WHOLE):
        arts, extra = prepare(rows, window), prepare(bbc_rows, window)
        lead = [rouge1(a, [0, 1, 2]) for a in arts]
        default = statistics.fmean(rouge1(a, choose(a.features, 3, DEFAULT_WEIGHTS)) - x
                                   for a, x in zip(arts, lead, strict=True))
        oracle = statistics.fmean(rouge1(a, sorted(a.oracle)) for a in arts)
        print(f"window {window}: lead-3 {statistics.fmean(lead):.2f}; oracle {oracle:.2f}; "
              f"default - lead-3 {default:+.2f} (in-sample: its weights were set on all of dev)")
        for lam in (1.0, 30.0):
            gains = []
            for seed in range(args.seeds):
                order = list(range(len(arts)))
                random.Random(seed).shuffle(order)
                folds = [order[k::args.folds] for k in range(args.folds)]
                diff = 0.0
                for k, held in enumerate(folds):
                    train = [arts[j] for f, fold in enumerate(folds) if f != k for j in fold] + extra
                    pairs = [(vector(a, i, args.directed), float(i in a.oracle)) for a in train
                             for i in range(min(window, len(a.features)))]
                    w = ridge([x for x, _ in pairs], [y for _, y in pairs], lam)
                    diff += sum(rouge1(arts[j], learned_pick(arts[j], w, window, args.directed)) - lead[j]
                                for j in held)
                gains.append(diff / len(arts))
            label = f"ridge {lam:g}" + (", directed" if args.directed else "") + (", with bbc.dev" if extra else "")
            print(f"  learned ({label}) - lead-3 on held-out folds, "
                  f"per seed: " + " ".join(f"{g:+.2f}" for g in gains))


if __name__ == "__main__":
    main()
