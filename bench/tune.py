"""Tuning sweeps on the eval set: the measurements behind the retrieval and abstention defaults.

    python bench/tune.py fusion      # dense/BM25/hybrid, convex alpha and RRF, follow-up weight
    python bench/tune.py abstention  # support/coverage of every question, and the best thresholds
    python bench/tune.py abstention --questions eval/questions.jsonl eval/heldout.jsonl  # pooled

Uses the index in the configured index_dir (run `c5qa index` first).
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from c5qa.answer import Policy, compose, evidence, unknown_names
from c5qa.evaluation import evaluate, first_relevant_rank, load_questions
from c5qa.service import Service
from c5qa.settings import load_settings


def fusion(questions: list, base) -> None:
    embedder = None
    rows = [("dense", "convex", 0.5, 0.6), ("bm25", "convex", 0.5, 0.6)]
    rows += [("hybrid", "rrf", 0.5, w) for w in (0.4, 0.6, 0.8)]
    rows += [
        ("hybrid", "convex", a, w)
        for a, w in itertools.product((0.2, 0.3, 0.4, 0.5, 0.6), (0.4, 0.6, 0.8))
    ]
    print(
        f"{'mode':>6} {'fusion':>6} {'alpha':>5} {'fu_w':>5} {'r@1':>6} {'r@5':>6} {'mrr':>6} "
        f"{'fu r@5':>6} {'cmp r@5':>7}"
    )
    for mode, how, alpha, weight in rows:
        settings = base.replace(
            retrieval=mode, fusion=how, fusion_alpha=alpha, followup_weight=weight
        )
        service = Service(settings, embedder)
        embedder = service.embedder
        kinds = evaluate(service, questions)["kinds"]
        a = kinds["all"]
        print(
            f"{mode:>6} {how:>6} {alpha:>5} {weight:>5} {a['recall@1']:>6.3f} "
            f"{a['recall@5']:>6.3f} {a['mrr']:>6.3f} {kinds['followup']['recall@5']:>6.3f} "
            f"{kinds['compare']['recall@5']:>7.3f}",
            flush=True,
        )


def abstention(questions: list, base) -> None:
    service = Service(base)
    store = service.store()
    unthresholded = Policy(min_support=0.0, min_coverage=0.0)
    rows = []
    # Compare questions never abstain as a whole: each period says what it holds or lacks.
    for q in (q for q in questions if q.kind != "compare"):
        query = service._query(q.question, q.history)
        passages = service._passages(store, query, base.k, None)  # the query encoded once
        support, coverage, _ = evidence(q.question, query.vector, passages, store)
        unknown = unknown_names(q.question, store)
        # What abstains whatever the thresholds: unknown names, a missing figure or date.
        forced = compose(q.question, query.vector, passages, store, unthresholded).abstained
        rank = first_relevant_rank(q, passages)
        rows.append((q.kind == "offcorpus", support, coverage, unknown, forced, rank, q.id))
    for off, support, coverage, unknown, forced, rank, qid in sorted(
        rows, key=lambda r: (r[0], r[2], r[1])
    ):
        print(
            f"{'OFF' if off else '   '} support {support:.3f} coverage {coverage:.3f} "
            f"rank {rank} {qid}"
            + (f" unknown names: {', '.join(unknown)}" if unknown else "")
            + (" abstains at any threshold" if forced and not unknown else "")
        )
    best = None
    # Unknown names and answer types abstain whatever the thresholds: the sweep is over the
    # two thresholds only.
    for s, c in itertools.product(
        [x / 100 for x in range(10, 61, 2)], [x / 100 for x in range(0, 101, 5)]
    ):
        abstains = [(off, sup < s or cov < c or forced) for off, sup, cov, _, forced, _, _ in rows]
        off_ok = sum(a for off, a in abstains if off) / max(1, sum(o for o, _ in abstains))
        wrong = sum(a for off, a in abstains if not off) / max(1, sum(not o for o, _ in abstains))
        # The bar: at most 5 % of answerable questions abstain; then abstain on as many
        # off-corpus questions as possible.
        key = (wrong <= 0.05, off_ok, -wrong)
        if best is None or key > best[0]:
            best = (key, s, c, off_ok, wrong)
    _, s, c, off_ok, wrong = best
    print(
        f"best: min_support {s:.2f} min_coverage {c:.2f} -> off-corpus abstain {off_ok:.3f}, "
        f"answerable abstain {wrong:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["fusion", "abstention"])
    parser.add_argument("--questions", type=Path, nargs="+", default=[Path("eval/questions.jsonl")])
    args = parser.parse_args()
    questions = [q for path in args.questions for q in load_questions(path)]
    {"fusion": fusion, "abstention": abstention}[args.what](questions, load_settings())


if __name__ == "__main__":
    main()
