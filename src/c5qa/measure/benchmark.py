"""Benchmarks behind `c5qa bench`: our retrievers on a public BEIR dataset, side by side.

BM25, dense and hybrid run in one process on the same documents with the same model and the
same code paths as the assistant (``content_terms``, ``LexicalIndex``, ``fuse``), so the
comparison with published figures measures our retrieval, not a re-implementation. Fusion
settings are tuned on the train qrels only and reported on test.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from c5qa.app.service import Service
from c5qa.index.embedding import Embedder
from c5qa.index.lexical import LexicalIndex
from c5qa.measure.beir import BeirDataset, load_beir, ndcg_at_k, recall_at_k
from c5qa.query.terms import content_terms
from c5qa.retrieve.search import Retrieval, fuse

DEPTH = 100  # recall@100 needs a hundred results per query


@dataclass
class _Prepared:
    ids: list[str]
    vectors: np.ndarray
    lexical: LexicalIndex


def _cached_vectors(
    embedder: Embedder, path: Path, texts: list[str], cache_dir: Path, progress: bool
) -> np.ndarray:
    digest = hashlib.sha256(
        "\n".join([embedder.name, embedder.precision, str(path.resolve()), *texts]).encode("utf-8")
    ).hexdigest()[:20]
    cache = cache_dir / f"{digest}.npy"
    if cache.is_file():
        return np.load(cache)
    vectors = embedder.encode(texts, progress=progress)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def prepare(
    path: Path, data: BeirDataset, embedder: Embedder, cache_dir: Path, progress: bool = False
) -> _Prepared:
    """Encode (or load cached) document vectors and build BM25 over title + text."""
    ids = list(data.corpus)
    texts = [f"{title} {text}".strip() for title, text in data.corpus.values()]
    vectors = _cached_vectors(embedder, path, texts, cache_dir, progress)
    return _Prepared(ids, vectors, LexicalIndex.build(texts))


def _runs(
    prepared: _Prepared, data: BeirDataset, embedder: Embedder, settings: list[Retrieval]
) -> dict[str, dict[str, list[str]]]:
    """Ranked doc ids per query for bm25, dense and each hybrid setting (named by label)."""
    qids = list(data.queries)
    query_vectors = embedder.encode([data.queries[q] for q in qids])
    dense_all = query_vectors @ prepared.vectors.T
    runs: dict[str, dict[str, list[str]]] = {"bm25": {}, "dense": {}}
    runs.update({_label(s): {} for s in settings})
    for row, qid in enumerate(qids):
        dense = dense_all[row]
        lexical = prepared.lexical.scores(content_terms(data.queries[qid]))
        top_dense = np.argsort(-dense, kind="stable")[:DEPTH]
        top_lexical = [i for i in np.argsort(-lexical, kind="stable")[:DEPTH] if lexical[i] > 0]
        runs["dense"][qid] = [prepared.ids[i] for i in top_dense]
        runs["bm25"][qid] = [prepared.ids[i] for i in top_lexical]
        pool = sorted(set(map(int, top_dense)) | set(map(int, top_lexical)))
        dense_scores = {i: float(dense[i]) for i in pool}
        lexical_scores = {i: float(lexical[i]) for i in pool}
        for how in settings:
            fused = fuse(dense_scores, lexical_scores, how)[:DEPTH]
            runs[_label(how)][qid] = [prepared.ids[i] for i, _ in fused]
    return runs


def _label(how: Retrieval) -> str:
    return f"rrf k={how.rrf_k}" if how.fusion == "rrf" else f"convex alpha={how.alpha:.2f}"


def _scores(run: dict[str, list[str]], data: BeirDataset) -> dict[str, float]:
    return {
        "ndcg@10": round(ndcg_at_k(run, data.qrels, 10), 4),
        "recall@100": round(recall_at_k(run, data.qrels, 100), 4),
    }


def beir_benchmark(
    path: Path,
    service: Service,
    cache_dir: Path,
    progress: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> dict:
    """BM25, dense and hybrid on the test split; hybrid's fusion chosen on the train split."""
    started = time.perf_counter()
    embedder = service.embedder
    base = Retrieval.of(service.settings, "hybrid").replace(year_boost=0.0)
    test = load_beir(path, "test")
    prepared = prepare(path, test, embedder, cache_dir, progress)
    log(f"corpus ready: {len(prepared.ids)} documents in {time.perf_counter() - started:.1f} s")
    grid = [base.replace(fusion="convex", alpha=a / 20) for a in range(2, 19)]
    grid += [base.replace(fusion="rrf", rrf_k=k) for k in (10, 30, 60)]
    tuning: dict[str, float] = {}
    if (path / "qrels" / "train.tsv").is_file():
        train = load_beir(path, "train")
        train_runs = _runs(prepared, train, embedder, grid)
        tuning = {_label(h): ndcg_at_k(train_runs[_label(h)], train.qrels, 10) for h in grid}
        best = max(grid, key=lambda h: tuning[_label(h)])
    else:
        best = base
    test_runs = _runs(prepared, test, embedder, [best])
    return {
        "bm25": _scores(test_runs["bm25"], test),
        "dense": _scores(test_runs["dense"], test),
        "hybrid": {**_scores(test_runs[_label(best)], test), "fusion": _label(best)},
        "train_ndcg@10": {label: round(v, 4) for label, v in tuning.items()},
        "queries": len(test.queries),
        "documents": len(prepared.ids),
        "seconds": round(time.perf_counter() - started, 2),
    }
