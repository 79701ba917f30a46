"""BEIR loader and metrics: a miniature dataset, hand-computed values, pytrec_eval, real SciFact."""

from __future__ import annotations

import json
import math
import random
import re
from pathlib import Path

import pytest

from c5qa.measure.beir import BeirDataset, load_beir, ndcg_at_k, recall_at_k
from tests.conftest import shared_path

CORPUS = [
    {"_id": "d1", "title": "Tea ", "text": "Green tea lowers blood pressure.", "metadata": {}},
    {"_id": "d2", "title": "", "text": "Coffee raises it."},
    {"_id": "d3", "text": "A doc without a title field."},
    {"_id": "d4", "title": "Salt", "text": "Salt raises blood pressure."},
]
QUERIES = [
    {"_id": "q1", "text": "Does tea lower blood pressure?", "metadata": {"d1": []}},
    {"_id": "q2", "text": "Does salt raise blood pressure?"},
    {"_id": "q3", "text": "Does coffee raise blood pressure?"},
    {"_id": "q4", "text": "A query in no split."},
]
TEST_QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t0\n\nq2\td4\t1\nq2\td9\t1\n"
TRAIN_QRELS = "query-id\tcorpus-id\tscore\r\nq3\td2\t1\r\n"


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows) + "\n", encoding="utf-8")


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    write_jsonl(tmp_path / "corpus.jsonl", CORPUS)
    write_jsonl(tmp_path / "queries.jsonl", QUERIES)
    (tmp_path / "qrels").mkdir()
    (tmp_path / "qrels" / "test.tsv").write_text(TEST_QRELS, encoding="utf-8")
    (tmp_path / "qrels" / "train.tsv").write_bytes(TRAIN_QRELS.encode())
    return tmp_path


def test_loads_the_test_split_by_default(mini: Path) -> None:
    data = load_beir(mini)
    assert data == load_beir(mini, "test")
    assert data.corpus == {
        "d1": ("Tea ", "Green tea lowers blood pressure."),  # BEIR titles are not stripped
        "d2": ("", "Coffee raises it."),
        "d3": ("", "A doc without a title field."),
        "d4": ("Salt", "Salt raises blood pressure."),
    }
    assert data.queries == {
        "q1": "Does tea lower blood pressure?",
        "q2": "Does salt raise blood pressure?",
    }
    # Graded and judged-non-relevant rows are kept; so is d9, which is not in the corpus.
    assert data.qrels == {"q1": {"d1": 2, "d2": 0}, "q2": {"d4": 1, "d9": 1}}


def test_train_split_has_its_own_queries(mini: Path) -> None:
    data = load_beir(mini, "train")
    assert data.queries == {"q3": "Does coffee raise blood pressure?"}
    assert data.qrels == {"q3": {"d2": 1}}
    assert len(data.corpus) == 4
    with pytest.raises(AttributeError):
        data.queries = {}  # type: ignore[misc]  # frozen


@pytest.mark.parametrize(
    ("file", "content", "named"),
    [
        ("corpus.jsonl", '{"_id": "d1", "text": "ok"}\n{"_id": "d2", "text": \n', "corpus.jsonl:2"),
        ("corpus.jsonl", '{"_id": "d1", "title": "no text"}\n', "corpus.jsonl:1"),
        ("corpus.jsonl", '["d1", "a list"]\n', "corpus.jsonl:1"),
        ("queries.jsonl", '{"_id": 7, "text": "id is not a string"}\n', "queries.jsonl:1"),
        ("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\n", "test.tsv:2"),
        ("qrels/test.tsv", "q1\td1\trelevant\n", "test.tsv:1"),
        ("qrels/test.tsv", "q1 d1 1\n", "test.tsv:1"),
        ("qrels/test.tsv", "q1\td1\t1\nq7\td1\t1\n", "test.tsv: query ids not in queries"),
    ],
)
def test_malformed_line_is_a_value_error_naming_the_file(
    mini: Path, file: str, content: str, named: str
) -> None:
    (mini / file).write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(named)):
        load_beir(mini)


@pytest.mark.parametrize("file", ["corpus.jsonl", "queries.jsonl", "qrels/test.tsv"])
def test_missing_file_is_a_value_error_naming_it(mini: Path, file: str) -> None:
    (mini / file).unlink()
    with pytest.raises(ValueError, match=re.escape(f"{file}: required BEIR file is missing")):
        load_beir(mini)


def test_missing_split_is_a_value_error(mini: Path) -> None:
    with pytest.raises(ValueError, match=re.escape("qrels/dev.tsv: required BEIR file is missing")):
        load_beir(mini, "dev")


QRELS = {
    "a": {"a3": 3, "a2": 2, "a1": 1, "a0": 0},
    "b": {"b1": 1, "b2": 1},
    "z": {"z0": 0},  # no relevant doc: left out of every mean
}


def test_perfect_and_empty_runs() -> None:
    perfect = {"a": ["a3", "a2", "a1", "a0"], "b": ["b2", "b1"], "z": ["z0"]}
    assert ndcg_at_k(perfect, QRELS) == 1.0
    assert recall_at_k(perfect, QRELS) == 1.0
    assert ndcg_at_k({}, QRELS) == 0.0
    assert recall_at_k({}, QRELS) == 0.0
    assert ndcg_at_k({"a": [], "b": ["x", "y"]}, QRELS) == 0.0


def test_graded_case_by_hand() -> None:
    run = {"a": ["a1", "x", "a3", "a0", "a2"], "b": ["b1"], "z": ["z0"]}
    # Query a at k=5: DCG = 1/log2(2) + 0 + 3/log2(4) + 0 + 2/log2(6) = 1 + 1.5 + 0.7737056
    #   = 3.2737056; ideal (3, 2, 1) = 3 + 2/log2(3) + 1/log2(4) = 3 + 1.2618595 + 0.5
    #   = 4.7618595; nDCG = 0.6874847. Query b: 1 / (1 + 1/log2(3)) = 0.6131472.
    #   Mean over a and b (z has no relevant doc) = 0.6503160.
    assert ndcg_at_k(run, QRELS, k=5) == pytest.approx(0.6503160, abs=1e-7)
    # At k=3, query a keeps (a1, x, a3): DCG 2.5, ideal still 4.7618595 -> 0.5250050.
    assert ndcg_at_k(run, QRELS, k=3) == pytest.approx((0.5250050 + 0.6131472) / 2, abs=1e-7)
    # Recall: a has 3 relevant (a0 is not), 2 in the top 3 and all 3 in the top 5; b has 1 of 2.
    assert recall_at_k(run, QRELS, k=3) == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert recall_at_k(run, QRELS, k=5) == pytest.approx((1 + 1 / 2) / 2)
    assert recall_at_k(run, QRELS, k=1) == pytest.approx((1 / 3 + 1 / 2) / 2)


def test_repeated_doc_counts_once_and_query_id_is_not_special() -> None:
    qrels = {"q": {"d": 1, "e": 1, "q": 1}}
    run = {"q": ["d", "d", "q", "d"]}  # d once, then the query's own id, which is relevant here
    assert recall_at_k(run, qrels, k=3) == pytest.approx(2 / 3)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(run, qrels, k=3) == pytest.approx((1 + 1 / math.log2(3)) / ideal)
    with pytest.raises(ValueError, match="k must be at least 1"):
        ndcg_at_k(run, qrels, k=0)


def random_case(rng: random.Random) -> tuple[dict[str, list[str]], dict[str, dict[str, int]]]:
    docs = [f"d{i}" for i in range(rng.randint(3, 40))]
    qrels = {
        f"q{q}": {
            doc: rng.choice([0, 1, 1, 2, 3])
            for doc in rng.sample(docs, rng.randint(1, min(8, len(docs))))
        }
        for q in range(rng.randint(1, 8))
    }
    run = {q: rng.sample(docs, rng.randint(0, len(docs))) for q in qrels if rng.random() < 0.85}
    return run, qrels


def test_metrics_match_pytrec_eval_on_random_runs() -> None:
    import pytrec_eval  # a dev dependency: pytrec-eval-terrier

    rng = random.Random(20240607)
    cutoffs = (1, 3, 5, 10, 100)
    names = {f"ndcg_cut.{','.join(map(str, cutoffs))}", f"recall.{','.join(map(str, cutoffs))}"}
    for _ in range(50):
        run, qrels = random_case(rng)
        scored = {
            q: {doc: float(len(docs) - i) for i, doc in enumerate(docs)} for q, docs in run.items()
        }
        per_query = pytrec_eval.RelevanceEvaluator(qrels, names).evaluate(scored)
        judged = [q for q, rels in qrels.items() if any(rel > 0 for rel in rels.values())]
        for k in cutoffs:
            for ours, measure in ((ndcg_at_k, "ndcg_cut"), (recall_at_k, "recall")):
                values = [per_query.get(q, {}).get(f"{measure}_{k}", 0.0) for q in judged]
                expected = sum(values) / len(values) if values else 0.0
                assert ours(run, qrels, k) == pytest.approx(expected, abs=1e-6), (measure, k)


def test_real_scifact() -> None:
    path = shared_path("beir", "scifact")
    assert path == Path(__file__).resolve().parents[1].parent / "shared" / "beir" / "scifact"
    test = load_beir(path)
    train = load_beir(path, "train")
    assert isinstance(test, BeirDataset)
    assert len(test.corpus) == 5183 and test.corpus == train.corpus
    assert len(test.queries) == len(test.qrels) == 300
    assert len(train.queries) == len(train.qrels) == 809
    assert sum(map(len, test.qrels.values())) == 339
    assert not set(test.queries) & set(train.queries)
    assert all(doc in test.corpus for rels in test.qrels.values() for doc in rels)
    title, text = test.corpus["4983"]
    assert title.startswith("Microstructural development of human newborn") and text
    perfect = {q: list(rels) for q, rels in test.qrels.items()}
    assert ndcg_at_k(perfect, test.qrels) == recall_at_k(perfect, test.qrels) == 1.0
    assert recall_at_k({}, test.qrels) == 0.0
