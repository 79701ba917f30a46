"""Tuning sweeps on the eval set: the measurements behind the retrieval and abstention defaults.

    python bench/tune.py fusion      # dense/BM25/hybrid, convex alpha and RRF, follow-up weight
    python bench/tune.py abstention  # support/coverage of every question, and the best thresholds
    python bench/tune.py abstention --questions eval/questions.jsonl eval/heldout.jsonl  # pooled
    python bench/tune.py presence --questions eval/heldout6.jsonl eval/heldout8.jsonl
        # questions answered side by side: how the periods judged present score
    python bench/tune.py counterpart  # a diff's counterpart score on eval/pairs.jsonl
    python bench/tune.py counterpart --pairs eval/pairs.jsonl eval/pairs-best.jsonl
    python bench/tune.py themes       # the theme map's presence on eval/theme-presence.jsonl

Uses the index in the configured index_dir (run `c5qa index` first).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from c5qa.answer.compare import findings
from c5qa.answer.plain import compose, evidence
from c5qa.app.service import Service
from c5qa.measure.evaluation import evaluate, first_relevant_rank, is_relevant, load_questions
from c5qa.query.analysis import mention_answered
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


@dataclass(frozen=True)
class Rows:
    """Per question: off-corpus or not, support, coverage, whether it abstains whatever the
    thresholds (unknown names, a missing figure, date or name), and whether it asks if a text
    mentions something that one passage holds whole (then support does not count)."""

    off: np.ndarray
    support: np.ndarray
    coverage: np.ndarray
    forced: np.ndarray
    mentioned: np.ndarray

    def take(self, mask: np.ndarray) -> Rows:
        return Rows(*(column[mask] for column in dataclasses.astuple(self)))

    def rates(self, s: float, c: float) -> tuple[float, float]:
        """(off-corpus abstention, answerable abstention) under the rule compose applies."""
        abstains = ((self.support < s) & ~self.mentioned) | (self.coverage < c) | self.forced
        return float(abstains[self.off].mean()), float(abstains[~self.off].mean())


def best_thresholds(rows: Rows) -> tuple[tuple[float, float], float, float]:
    """The issue's bar: at most 5 % of answerable questions abstain; then abstain on as many
    off-corpus questions as possible. Ties keep the lower thresholds."""
    best = None
    for s, c in itertools.product(
        [x / 100 for x in range(10, 61, 2)], [x / 100 for x in range(0, 101, 5)]
    ):
        off_ok, wrong = rows.rates(s, c)
        key = (wrong <= 0.05, off_ok, -wrong)
        if best is None or key > best[0]:
            best = (key, (s, c), off_ok, wrong)
    _, chosen, off_ok, wrong = best
    return chosen, off_ok, wrong


def _describe(chosen: tuple[float, float]) -> str:
    return f"min_support {chosen[0]:.2f} min_coverage {chosen[1]:.2f}"


def abstention(sets: dict[str, list], base) -> None:
    """Every question's support and coverage, the best thresholds on all sets together, and
    how thresholds chosen without one set do on that set (leave one set out): the estimate of
    how they do on questions written later."""
    service = Service(base)
    store = service.store()
    unthresholded = base.replace(abstain_below=0.0, min_coverage=0.0)
    rows, names, printed = [], [], []
    for name, questions in sets.items():
        for q in questions:
            asked = service.analyze(q.question, q.history)
            if asked.periods:  # judged period by period (see presence below)
                continue
            query = service.searcher.query(asked.asks, asked.previous)  # encoded once
            passages = service.searcher.passages(store, query, base.k, None)
            found = evidence(asked.asks.terms, query.vector, passages, store, base)
            support, coverage = found.support, found.coverage
            unknown = list(asked.unknown)
            forced = compose(asked, query.vector, passages, store, unthresholded).abstained
            rank = first_relevant_rank(q, passages)
            mentioned = mention_answered(asked, coverage)
            rows.append((q.kind == "offcorpus", support, coverage, forced, mentioned))
            names.append(name)
            printed.append((q.kind == "offcorpus", support, coverage, unknown, forced, rank, q.id))
    for off, support, coverage, unknown, forced, rank, qid in sorted(
        printed, key=lambda r: (r[0], r[2], r[1])
    ):
        print(
            f"{'OFF' if off else '   '} support {support:.3f} coverage {coverage:.3f} "
            f"rank {rank} {qid}"
            + (f" unknown names: {', '.join(unknown)}" if unknown else "")
            + (" abstains at any threshold" if forced and not unknown else "")
        )
    columns = list(zip(*rows, strict=True))
    every = Rows(*(np.array(col) for col in columns))
    names_a = np.array(names)
    current = (base.abstain_below, base.min_coverage)
    if len(sets) > 1:
        print("\nleave one set out: thresholds chosen on the others, measured on it")
        for name in sets:
            chosen, _, _ = best_thresholds(every.take(names_a != name))
            off_ok, wrong = every.take(names_a == name).rates(*chosen)
            was_off, was_wrong = every.take(names_a == name).rates(*current)
            print(
                f"  {name}: {_describe(chosen)} -> off-corpus abstain {off_ok:.3f}, answerable "
                f"abstain {wrong:.3f} (current settings: {was_off:.3f}, {was_wrong:.3f})"
            )
    chosen, off_ok, wrong = best_thresholds(every)
    print(f"best: {_describe(chosen)} -> off-corpus {off_ok:.3f}, answerable {wrong:.3f} abstain")


def presence(sets: dict[str, list], base) -> None:
    """For questions answered side by side: how many periods holding a relevant passage are
    judged present, how many periods of off-corpus questions are (each should be silent), and
    the support and coverage of both, to show whether a threshold could part them."""
    service = Service(base)
    store = service.store()
    found: dict[str, list[tuple[bool, float, float]]] = {"relevant": [], "off-corpus": []}
    for questions in sets.values():
        for q in questions:
            asked = service.analyze(q.question, q.history)
            if not asked.periods:
                continue
            if asked.theme:
                query = service.searcher.query(service.analyze(asked.theme).asks)
            else:
                query = service.searcher.query(asked.within, asked.previous)
            judged = findings(service.searcher, store, query, asked.periods, base.k, None)
            for f in judged:
                if q.kind == "offcorpus":
                    found["off-corpus"].append((f.present, f.support, f.coverage))
                elif any(is_relevant(q, p) for p in f.passages):
                    found["relevant"].append((f.present, f.support, f.coverage))
    for kind, rows in found.items():
        present = [(s, c) for judged, s, c in rows if judged]
        line = f"{kind} periods: {len(present)} of {len(rows)} judged present"
        if present:
            supports, coverages = zip(*present, strict=True)
            line += (
                f"; of those, support {min(supports):.2f}-{max(supports):.2f}, "
                f"coverage {min(coverages):.2f}-{max(coverages):.2f}"
            )
        print(line)


def best_point(scores: np.ndarray, same: np.ndarray) -> tuple[float, float, float, float]:
    """(threshold, precision, recall, F1) of "score >= threshold means the same commitment"
    at the threshold with the best F1 (the lowest such threshold on a tie)."""
    best = (float("inf"), 0.0, 0.0, 0.0)
    for bar in np.unique(scores):
        said = scores >= bar
        hits = int((said & same).sum())
        precision = hits / int(said.sum()) if said.any() else 0.0
        recall = hits / int(same.sum()) if same.any() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
        if f1 > best[3]:
            best = (float(bar), precision, recall, f1)
    return best


def _at(scores: np.ndarray, same: np.ndarray, bar: float) -> tuple[float, float]:
    said = scores >= bar
    hits = int((said & same).sum())
    return hits / max(int(said.sum()), 1), hits / max(int(same.sum()), 1)


def counterpart(base, pairs: list[dict]) -> None:
    """For each lexical weight, the threshold with the best F1 on all pairs; its precision and
    recall when chosen on one half of the pairs and measured on the other (both ways); the
    false "same" calls by label, with the diff's own scoring (``answer.diff.match_scores``);
    then precision and recall at the settings' weight and threshold."""

    from c5qa.answer.statements import Statement, match_scores
    from c5qa.ingest.tokens import tokenize

    embedder = Service(base).embedder
    sides = []
    for key in ("a", "b"):
        vectors = embedder.encode([p[key] for p in pairs])
        sides.append(
            [
                Statement(p[f"{key}_source"], 0, 0, v, frozenset(tokenize(p[key])))
                for p, v in zip(pairs, vectors, strict=True)
            ]
        )
    same = np.array([p["label"] == "same" for p in pairs])
    labels = np.array([p["label"] for p in pairs])
    half = np.arange(len(pairs)) % 2 == 0
    print(
        f"{len(pairs)} pairs: "
        + ", ".join(f"{k} {int((labels == k).sum())}" for k in ("same", "related", "unrelated"))
    )
    print(
        f"{'weight':>6} {'thresh':>7} {'P':>6} {'R':>6} {'F1':>6}   cross-fitted P / R"
        "   false same: related, unrelated"
    )
    for weight in (0.0, 0.15, 0.3, 0.5, 0.75):
        values = np.array(
            [float(match_scores([a], [b], weight)[0, 0]) for a, b in zip(*sides, strict=True)]
        )
        bar, precision, recall, f1 = best_point(values, same)
        fitted = []
        for fit in (half, ~half):
            chosen = best_point(values[fit], same[fit])[0]
            fitted.append(_at(values[~fit], same[~fit], chosen))
        said = values >= bar
        wrong = [int((said & (labels == kind)).sum()) for kind in ("related", "unrelated")]
        print(
            f"{weight:>6.2f} {bar:>7.3f} {precision:>6.3f} {recall:>6.3f} {f1:>6.3f}   "
            f"{np.mean([f[0] for f in fitted]):.3f} / {np.mean([f[1] for f in fitted]):.3f}"
            f"   {wrong[0]}, {wrong[1]}"
        )
    weight, bar = base.counterpart_lexical_weight, base.counterpart_threshold
    values = np.array(
        [float(match_scores([a], [b], weight)[0, 0]) for a, b in zip(*sides, strict=True)]
    )
    precision, recall = _at(values, same, bar)
    print(f"at the settings' weight {weight} and threshold {bar}: P {precision:.3f} R {recall:.3f}")


def themes(base, cells: list[dict]) -> None:
    """The theme map's presence on labelled theme x document cells ("addressed" is present;
    "passing" and "absent" are not): the threshold with the best F1, its precision and
    recall chosen on one half of the cells and measured on the other (both ways), and both
    at the settings' threshold, beside the raw cosine of the best sentence at 0.40 that the
    map used before."""
    from c5qa.answer.themes import DEFAULT_THEMES, build_map

    service = Service(base)
    store = service.store()
    lexical = base.counterpart_lexical_weight
    built = build_map(store, service.embedder, DEFAULT_THEMES, base.theme_presence, lexical)
    column = {source: d for d, (source, _, _) in enumerate(built.documents)}
    row = {theme: t for t, theme in enumerate(built.themes)}
    scores = np.array([built.cells[row[c["theme"]]][column[c["source"]]].score for c in cells])
    present = np.array([c["label"] == "addressed" for c in cells])
    half = np.arange(len(cells)) % 2 == 0
    bar, precision, recall, f1 = best_point(scores, present)
    fitted = [
        _at(scores[~h], present[~h], best_point(scores[h], present[h])[0]) for h in (half, ~half)
    ]
    print(f"{len(cells)} cells, {int(present.sum())} addressed")
    print(f"best F1 {f1:.3f} at {bar:.3f}: P {precision:.3f} R {recall:.3f}")
    print(
        f"cross-fitted: P {np.mean([f[0] for f in fitted]):.3f} "
        f"R {np.mean([f[1] for f in fitted]):.3f}"
    )
    at = _at(scores, present, base.theme_presence)
    print(f"at the settings' theme_presence {base.theme_presence}: P {at[0]:.3f} R {at[1]:.3f}")
    encoded = service.embedder.encode([query for _, query in DEFAULT_THEMES])
    vectors = dict(zip(built.themes, encoded, strict=True))
    cosine = np.array([_best_cosine(store, vectors[c["theme"]], c["source"]) for c in cells])
    before = _at(cosine, present, 0.40)
    print(f"before (best sentence's cosine >= 0.40): P {before[0]:.3f} R {before[1]:.3f}")


def _best_cosine(store, vector: np.ndarray, source: str) -> float:
    """The theme map's cell before #16: the best sentence's cosine with the theme."""
    first, end = store.ranges[source]
    return max(
        (
            float((store.chunk_sentence_vectors(i) @ vector).max(initial=0.0))
            for i in range(first, end)
        ),
        default=0.0,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "what", choices=["fusion", "abstention", "presence", "counterpart", "themes"]
    )
    parser.add_argument("--questions", type=Path, nargs="+", default=[Path("eval/questions.jsonl")])
    parser.add_argument(
        "--pairs", type=Path, nargs="+", default=[Path("eval/pairs.jsonl")], help="counterpart"
    )
    args = parser.parse_args()
    sets = {path.stem: load_questions(path) for path in args.questions}
    if args.what == "themes":
        import json

        path = Path("eval/theme-presence.jsonl")
        themes(
            load_settings(), [json.loads(line) for line in path.read_text().splitlines() if line]
        )
        return
    if args.what == "counterpart":
        import json

        sets = {
            str(path): [json.loads(line) for line in path.read_text().splitlines() if line]
            for path in args.pairs
        }
        if len(sets) > 1:
            sets["pooled"] = [pair for pairs in sets.values() for pair in pairs]
        for name, pairs in sets.items():
            print(f"== {name}")
            counterpart(load_settings(), pairs)
        return
    if args.what == "fusion":
        fusion([q for questions in sets.values() for q in questions], load_settings())
    elif args.what == "presence":
        presence(sets, load_settings())
    else:
        abstention(sets, load_settings())


if __name__ == "__main__":
    main()
