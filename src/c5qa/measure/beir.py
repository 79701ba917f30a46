"""BEIR datasets and the two metrics reported on them.

Why: our own eval set is small and hand-written, so a retriever change can look better than it is.
BEIR (e.g. SciFact) is the public yardstick: scored here with nDCG@10 and recall@100 computed
exactly as trec_eval does, our numbers can be set beside published ones. The loader keeps BEIR's
own conventions (qrels for docs missing from the corpus are kept, titles are not stripped) so that
the numbers stay comparable; it fails loudly on a broken file rather than scoring a partial dataset.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BeirDataset:
    corpus: dict[str, tuple[str, str]]  # doc id -> (title, text)
    queries: dict[str, str]  # query id -> text, only queries that have qrels in the split
    qrels: dict[str, dict[str, int]]  # query id -> {doc id: graded relevance}


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    if not path.is_file():
        raise ValueError(f"{path}: required BEIR file is missing")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line.rstrip("\r\n")


def _jsonl(path: Path) -> Iterator[tuple[str, str, str]]:
    """(id, title, text) per line; a missing title is "" (queries have none)."""
    for number, line in _lines(path):
        try:
            row = json.loads(line)
            values = (row["_id"], row.get("title", ""), row["text"])
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"{path}:{number}: malformed line ({error!r})") from None
        if not all(isinstance(value, str) for value in values):
            raise ValueError(
                f"{path}:{number}: malformed line (_id, title and text must be strings)"
            )
        yield values


def _qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for number, line in _lines(path):
        fields = [field.strip() for field in line.split("\t")]
        if not qrels and fields[0] == "query-id":  # the header
            continue
        try:
            query_id, doc_id, score = fields
            qrels.setdefault(query_id, {})[doc_id] = int(score)
        except ValueError:
            raise ValueError(f"{path}:{number}: malformed qrels line {line!r}") from None
    return qrels


def load_beir(path: Path, split: str = "test") -> BeirDataset:
    """Load `corpus.jsonl`, `queries.jsonl` and `qrels/{split}.tsv` from a BEIR dataset folder."""
    path = Path(path)
    corpus = {doc_id: (title, text) for doc_id, title, text in _jsonl(path / "corpus.jsonl")}
    all_queries = {query_id: text for query_id, _, text in _jsonl(path / "queries.jsonl")}
    qrels_path = path / "qrels" / f"{split}.tsv"
    qrels = _qrels(qrels_path)
    missing = sorted(set(qrels) - set(all_queries))
    if missing:
        raise ValueError(f"{qrels_path}: query ids not in queries.jsonl: {missing[:5]}")
    queries = {query_id: all_queries[query_id] for query_id in qrels}
    return BeirDataset(corpus=corpus, queries=queries, qrels=qrels)


def _mean(
    run: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Mapping[str, int]],
    k: int,
    score: Callable[[list[str], Mapping[str, int]], float],
) -> float:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    values = [
        score(list(dict.fromkeys(run.get(query_id, ())))[:k], rels)  # first occurrence wins
        for query_id, rels in qrels.items()
        if any(rel > 0 for rel in rels.values())
    ]
    return sum(values) / len(values) if values else 0.0


def _dcg(gains: Sequence[int]) -> float:
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1) if gain > 0)


def ndcg_at_k(
    run: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]], k: int = 10
) -> float:
    """Mean nDCG@k, as trec_eval's ndcg_cut.k (graded gains, log2(rank + 1) discount)."""

    def score(top: list[str], rels: Mapping[str, int]) -> float:
        ideal = sorted(rels.values(), reverse=True)[:k]
        return _dcg([rels.get(doc_id, 0) for doc_id in top]) / _dcg(ideal)

    return _mean(run, qrels, k, score)


def recall_at_k(
    run: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]], k: int = 100
) -> float:
    """Mean recall@k, as trec_eval's recall.k: relevant (rel > 0) in the top k / all relevant."""

    def score(top: list[str], rels: Mapping[str, int]) -> float:
        relevant = {doc_id for doc_id, rel in rels.items() if rel > 0}
        return len(relevant.intersection(top)) / len(relevant)

    return _mean(run, qrels, k, score)
