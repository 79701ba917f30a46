import json
from pathlib import Path

from c5qa.bench import beir_benchmark
from c5qa.embedding import Embedder


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
    result = beir_benchmark(path, embedder, cache)
    for name in ("bm25", "dense", "hybrid"):
        assert set(result[name]) >= {"ndcg@10", "recall@100"}
        assert 0 < result[name]["ndcg@10"] <= 1 and result[name]["recall@100"] == 1.0
    assert result["dense"]["ndcg@10"] == 1.0  # each query has an obvious dense match
    assert result["queries"] == 2 and result["documents"] == 4
    assert result["train_ndcg@10"]  # fusion was tuned on the train split
    assert len(list(cache.glob("*.npy"))) == 1
    again = beir_benchmark(path, embedder, cache)  # served from the cache
    assert again["dense"] == result["dense"]
