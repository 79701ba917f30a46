"""Query latency and memory at scale: a 100k-chunk index, exact vs HNSW.

    python bench/scale.py [--chunks 100000] [--queries 200] [--json]

Chunks are real text (SciFact abstracts, repeated under new names until the target count) so
BM25 and the answer stage do real work; their vectors are synthetic (random unit vectors, with
queries drawn near stored chunks) because encoding 100k chunks would take hours on this machine.
Each index type is measured in a fresh process so resident memory is its own: warm ``ask``
latency p50/p95 through the service (query encode + hybrid search + answer), RSS after the
queries, and recall@10 of HNSW's dense search against exact search.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from c5qa.beir import load_beir
from c5qa.chunking import chunk_document
from c5qa.documents import Document
from c5qa.index import _Entry, _write_generation, current_generation
from c5qa.retrieval import dense_search
from c5qa.service import Service
from c5qa.settings import load_settings

DIM = 384


def build(index_dir: Path, scifact: Path, target: int, hnsw_from: int, seed: int = 0) -> int:
    """Write one generation of ``target`` chunks with synthetic vectors."""
    rng = np.random.default_rng(seed)
    corpus = load_beir(scifact, "test").corpus
    settings = load_settings(index_dir=index_dir)
    entries, total, copy = [], 0, 0
    while total < target:
        for doc_id, (title, text) in corpus.items():
            doc = Document(
                source=f"copy{copy}/{doc_id}.txt",
                text=text,
                title=title,
                date="2020-01-01",
                sha256=f"{copy}-{doc_id}",
            )
            chunks = chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
            n_sent = sum(len(c.sentences) for c in chunks)
            vectors = rng.standard_normal((len(chunks), DIM)).astype(np.float32)
            sentences = rng.standard_normal((n_sent, DIM)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            sentences /= np.linalg.norm(sentences, axis=1, keepdims=True)
            entries.append(_Entry(doc, chunks, vectors, sentences))
            total += len(chunks)
            if total >= target:
                break
        copy += 1
    expected = {"format": 0, "model": "synthetic", "dim": DIM, "chunker": {}, "lexical": {}}
    _write_generation(index_dir, entries, [], expected, DIM, hnsw_from)
    return total


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(index_dir: Path, scifact: Path, queries: int, exact_dir: Path | None) -> dict:
    """Run in a fresh process: warm ask latency, RSS, and recall@10 against ``exact_dir``."""
    service = Service(load_settings(index_dir=index_dir))
    service.embedder.encode(["warm up"])
    store = service.store()
    questions = list(load_beir(scifact, "test").queries.values())[:queries]
    service.ask(questions[0])
    seconds = []
    for question in questions:
        started = time.perf_counter()
        service.ask(question)
        seconds.append(time.perf_counter() - started)
    result = {
        "chunks": len(store.chunks),
        "index": type(store.vectors).__name__,
        "ask_p50_ms": round(statistics.median(seconds) * 1000, 1),
        "ask_p95_ms": round(statistics.quantiles(seconds, n=20)[-1] * 1000, 1),
        "rss_mb": round(_rss_mb()),
    }
    if exact_dir is not None:
        exact = Service(load_settings(index_dir=exact_dir), service.embedder).store()
        rng = np.random.default_rng(1)
        hits = []
        for row in rng.integers(0, len(store.chunks), size=queries):
            q = exact.vectors.reconstruct(int(row)) + 0.05 * rng.standard_normal(DIM)
            q = (q / np.linalg.norm(q)).astype(np.float32)
            truth = {i for i, _ in dense_search(exact, q, 10)}
            found = {i for i, _ in dense_search(store, q, 10)}
            hits.append(len(truth & found) / 10)
        result["recall@10_vs_exact"] = round(float(np.mean(hits)), 4)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scifact", type=Path, default=Path("../shared/beir/scifact"))
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--measure", nargs=2, metavar=("INDEX", "EXACT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        exact = None if args.measure[1] == "-" else Path(args.measure[1])
        print(json.dumps(measure(Path(args.measure[0]), args.scifact, args.queries, exact)))
        return
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        exact_dir, hnsw_dir = Path(tmp) / "exact", Path(tmp) / "hnsw"
        for name, folder, hnsw_from in (("exact", exact_dir, 10**12), ("hnsw", hnsw_dir, 0)):
            folder.mkdir()
            started = time.perf_counter()
            build(folder, args.scifact, args.chunks, hnsw_from)
            built = time.perf_counter() - started
            assert current_generation(folder)
            command = [
                sys.executable,
                __file__,
                "--scifact",
                str(args.scifact),
                "--queries",
                str(args.queries),
                "--measure",
                str(folder),
                str(exact_dir) if name == "hnsw" else "-",
            ]
            run = subprocess.run(command, capture_output=True, text=True, check=True)
            results[name] = {
                **json.loads(run.stdout.splitlines()[-1]),
                "write_generation_s": round(built, 1),
            }
    if args.json:
        print(json.dumps(results))
        return
    for name, row in results.items():
        print(name, " ".join(f"{k}={v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
