"""Grid search of the default ranker's weights on cnndm250.dev ONLY (never the test split).

    python -m bench.tune_ranker /work/shared/datasets [--rounds 2] [--cv 5] [--candidates N]

Features are computed once per article; each weight setting then only re-scores and re-chooses.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from rouge_score import rouge_scorer

from bench.summaries import load
from summaries.language import stemmer, stop_words
from summaries.pipeline import body_sentences
from summaries.ranker import DEFAULT_WEIGHTS, NewsSummarizer, Weights, build_document, choose

GRID = {
    "decay": [0.15, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8],
    "centrality": [0.0, 0.3, 0.6, 1.0, 1.5, 2.0],
    "info": [0.0, 0.15, 0.3],
    "quote_penalty": [0.0, 0.3, 0.6],
    "long_words": [20, 25, 30],
    "long_penalty": [0.25, 0.5, 1.0],
    "dangling_penalty": [0.0, 0.3, 0.6],
    "redundancy": [0.3, 0.4, 0.5],
    "lead_similarity": [0.0, 0.3, 0.6, 1.0],
    "ideal_words": [15, 20, 25],
    "length_fit": [0.0, 0.1, 0.2, 0.4, 0.6, 0.8],
    "short_words": [6, 10, 14],
    "position": [0.5, 1.0, 1.5, 2.0],
    "candidates": [4, 6, 10, 600],
}


def prepare(rows: list[dict]) -> list[tuple[list[str], list, str]]:
    summarizer = NewsSummarizer(stemmer("english"))
    summarizer.stop_words = stop_words("english")
    out = []
    for row in rows:
        paragraphs = body_sentences(row["text"])
        flat = [s for p in paragraphs for s in p]
        out.append((flat, summarizer.features(build_document(paragraphs, "english")),
                    "\n".join(row["summary_sentences"])))
    return out


def evaluate(prepared: list, weights: Weights, scorer: rouge_scorer.RougeScorer) -> float:
    total = 0.0
    for flat, features, reference in prepared:
        picked = choose(features, 3, weights)
        total += scorer.score(reference, "\n".join(flat[i] for i in picked))["rouge1"].fmeasure
    return 100 * total / len(prepared)


def ascend(prepared: list, start: Weights, scorer: rouge_scorer.RougeScorer, rounds: int, say: bool) -> Weights:
    """Coordinate ascent: one weight at a time over its grid, keeping any gain."""
    best, best_score = start, evaluate(prepared, start, scorer)
    for _ in range(rounds):
        for name, values in GRID.items():
            for value in values:
                trial = replace(best, **{name: value})
                got = evaluate(prepared, trial, scorer)
                if got > best_score + 1e-9:
                    best, best_score = trial, got
                    if say:
                        print(f"{got:.2f} {name}={value}")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("datasets", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cv", type=int, default=0, metavar="K", help="K-fold cross-validation inside dev: "
                        "tune on K-1 folds, score the held-out fold, to choose settings that generalize")
    parser.add_argument("--candidates", type=int, default=0, metavar="N", help="hold the candidate window at N "
                        "sentences instead of tuning it (600 = every sentence competes, as before)")
    args = parser.parse_args()
    if args.candidates:
        GRID.pop("candidates")
    prepared = prepare(load(args.datasets / "cnndm250.dev.jsonl"))
    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    lead = sum(scorer.score(ref, "\n".join(flat[:3]))["rouge1"].fmeasure for flat, _, ref in prepared)
    current = evaluate(prepared, DEFAULT_WEIGHTS, scorer)
    print(f"lead-3 dev R-1 {100 * lead / len(prepared):.2f}; current default {current:.2f}")
    if not args.cv:
        best = ascend(prepared, DEFAULT_WEIGHTS, scorer, args.rounds, say=True)
        print(f"best dev R-1 {evaluate(prepared, best, scorer):.2f}: {best}")
        return
    folds = [prepared[k::args.cv] for k in range(args.cv)]
    base = Weights(candidates=args.candidates) if args.candidates else Weights()
    held_tuned, held_current, held_lead, n = 0.0, 0.0, 0.0, 0
    for k, held in enumerate(folds):
        train = [a for j, fold in enumerate(folds) if j != k for a in fold]
        tuned = ascend(train, base, scorer, args.rounds, say=False)
        lead_h = sum(scorer.score(r, "\n".join(f[:3]))["rouge1"].fmeasure for f, _, r in held)
        tuned_h, current_h = evaluate(held, tuned, scorer) * len(held), evaluate(held, base, scorer) * len(held)
        held_tuned, held_current = held_tuned + tuned_h, held_current + current_h
        held_lead, n = held_lead + lead_h, n + len(held)
        print(f"fold {k}: lead-3 {100 * lead_h / len(held):.2f}; current default {current_h / len(held):.2f}; "
              f"tuned on the other folds {tuned_h / len(held):.2f}: {tuned}")
    print(f"held-out over all folds: lead-3 {100 * held_lead / n:.2f}; current default {held_current / n:.2f} "
          f"(in-sample: it was tuned on all of dev); re-tuned per fold {held_tuned / n:.2f}")

if __name__ == "__main__":
    main()
