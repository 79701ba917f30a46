import json
from pathlib import Path

import pytest

from c5qa.app.service import Service
from c5qa.index.embedding import Embedder
from c5qa.measure.benchmark import beir_benchmark
from c5qa.settings import Settings
from tests.conftest import bench_script


def _mini_beir(root: Path) -> Path:
    docs = {
        "d1": ("Wabtec locomotives", "Kazakhstan ordered locomotives worth $4.2 billion."),
        "d2": ("Critical minerals", "A dialogue on critical minerals supply chains."),
        "d3": ("Water", "Glaciers and water security in Central Asia."),
        "d4": ("Students", "Scholarships and exchanges for students."),
    }
    queries = {
        "q1": "rail equipment order",
        "q2": "minerals dialogue",
        "q3": "glacier melt",
        "q4": "student exchange programmes",
    }
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text(
        "\n".join(json.dumps({"_id": i, "title": t, "text": x}) for i, (t, x) in docs.items())
    )
    (root / "queries.jsonl").write_text(
        "\n".join(json.dumps({"_id": i, "text": t}) for i, t in queries.items())
    )
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n")
    (root / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\nq3\td3\t1\nq4\td4\t1\n")
    return root


def test_beir_benchmark_reports_three_retrievers(tmp_path: Path, embedder: Embedder) -> None:
    path = _mini_beir(tmp_path / "mini")
    cache = tmp_path / "cache"
    service = Service(Settings(index_dir=tmp_path / "index"), embedder)
    result = beir_benchmark(path, service, cache)
    for name in ("bm25", "dense", "hybrid"):
        assert set(result[name]) >= {"ndcg@10", "recall@100"}
        assert 0 < result[name]["ndcg@10"] <= 1 and result[name]["recall@100"] == 1.0
    assert result["dense"]["ndcg@10"] == 1.0  # each query has an obvious dense match
    assert result["queries"] == 2 and result["documents"] == 4
    assert result["train_ndcg@10"]  # fusion was tuned on the train split
    assert len(list(cache.glob("*.npy"))) == 1
    again = beir_benchmark(path, service, cache)  # served from the cache
    assert again["dense"] == result["dense"]


def test_the_counterpart_threshold_is_the_one_with_the_best_f1() -> None:
    import numpy as np

    tune = bench_script("tune")
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    same = np.array([True, True, False, True, False, False])
    bar, precision, recall, f1 = tune.best_point(scores, same)
    # At 0.6: 3 of 4 called same are, and all 3 same pairs are called: F1 6/7.
    assert bar == 0.6 and precision == 0.75 and recall == 1.0
    assert f1 == pytest.approx(6 / 7)


def test_abstention_sweep_keeps_answerable_refusals_within_five_percent() -> None:
    import numpy as np

    tune = bench_script("tune")
    # 20 answerable questions, one of them weakly supported; 3 off-corpus, one of them (forced)
    # refused by an answer type whatever the thresholds.
    off = np.array([False] * 20 + [True] * 3)
    support = np.array([0.7] * 19 + [0.3] + [0.35, 0.6, 0.9])
    coverage = np.array([0.8] * 19 + [0.9] + [0.9, 0.2, 0.9])
    forced = np.array([False] * 22 + [True])
    rows = tune.Rows(off, support, coverage, forced, np.zeros(23, dtype=bool))
    (s, c), off_ok, wrong = tune.best_thresholds(rows)
    # Refusing the weak answerable one (1 of 20) is allowed; refusing more is not.
    assert wrong <= 0.05 and off_ok == 1.0
    assert 0.35 < s <= 0.6 and 0.2 < c <= 0.8
    # The answerable rows alone: exactly the weak one abstains, unless it asks whether a text
    # mentions something one passage holds whole.
    assert rows.take(~off).rates(s, c)[1] == 1 / 20
    mentioned = np.array([False] * 19 + [True] + [False] * 3)
    assert tune.Rows(off, support, coverage, forced, mentioned).rates(s, c)[1] == 0.0
