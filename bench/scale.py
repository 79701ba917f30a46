"""Query latency, memory and recall at scale: a 100k-chunk index, exact vs HNSW.

    python bench/scale.py [--chunks 100000] [--queries 200] [--json]

Chunks are real text (SciFact abstracts, repeated under new names until the target count) so
BM25 and the answer stage do real work; their vectors are synthetic because encoding 100k chunks
would take hours on this machine. Random unit vectors would make recall meaningless (in 384
dimensions they have no neighbours to speak of), so vectors are drawn around a few thousand
random centroids, as real embeddings gather by topic; a chunk's sentences lie around its chunk.
Each index type is measured in a fresh process so resident memory is its own: warm ``ask``
latency p50/p95 through the service (query encode + hybrid search + answer), dense search
latency alone, RSS after the queries, and recall@10 of HNSW's dense search against exact
search for queries drawn near stored chunks.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from c5qa.app.service import Service
from c5qa.index.lexical import LexicalIndex, chunk_tokens
from c5qa.index.segments import Entry
from c5qa.index.store import FORMAT_VERSION, current_generation, lexical_text, write_generation
from c5qa.ingest.chunking import chunk_document
from c5qa.ingest.documents import Document
from c5qa.measure.beir import load_beir
from c5qa.retrieve.search import dense_search
from c5qa.settings import load_settings

DIM = 384
CENTROIDS = 4000
SPREAD = 0.05  # per dimension: a member is at cosine ~0.7 from its centroid, ~0.5 from another


def _clustered(rng: np.random.Generator, around: np.ndarray) -> np.ndarray:
    vectors = around + SPREAD * rng.standard_normal(around.shape)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def build(index_dir: Path, scifact: Path, target: int, hnsw_from: int, seed: int = 0) -> int:
    """Write one generation of ``target`` chunks with synthetic clustered vectors."""
    rng = np.random.default_rng(seed)
    corpus = load_beir(scifact, "test").corpus
    settings = load_settings(index_dir=index_dir)
    originals = []  # each abstract chunked and tokenised once, then copied under new names
    for doc_id, (title, text) in corpus.items():
        doc = Document(source=doc_id, text=text, title=title, date="2020-01-01")
        chunks = chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
        originals.append((doc, chunks, [chunk_tokens(lexical_text(doc, c)) for c in chunks]))
    entries, total, copy = [], 0, 0
    while total < target:
        for doc, chunks, tokens in originals:
            source = f"copy{copy}/{doc.source}.txt"
            entries.append(
                Entry(
                    dataclasses.replace(doc, source=source, sha256=f"{copy}-{doc.source}"),
                    [dataclasses.replace(c, source=source) for c in chunks],
                    tokens=tokens,
                )
            )
            total += len(chunks)
            if total >= target:
                break
        copy += 1
    centroids = rng.standard_normal((CENTROIDS, DIM))
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    vectors = _clustered(rng, centroids[rng.integers(0, CENTROIDS, size=total)])
    cursor = 0
    for entry in entries:
        n = len(entry.chunks)
        entry.vectors = vectors[cursor : cursor + n]
        per_chunk = [len(c.sentences) for c in entry.chunks]
        entry.sentence_vectors = _clustered(rng, np.repeat(entry.vectors, per_chunk, axis=0))
        cursor += n
    expected = {
        "format": FORMAT_VERSION,
        "model": "synthetic",
        "dim": DIM,
        "chunker": {},
        "lexical": LexicalIndex.SIGNATURE,
    }
    write_generation(index_dir, None, {}, entries, {}, [], expected, hnsw_from)
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
    rng = np.random.default_rng(1)
    rows = rng.integers(0, len(store.chunks), size=queries)
    probes = [
        store.vectors.reconstruct(int(row)) + SPREAD * rng.standard_normal(DIM) for row in rows
    ]
    probes = [(q / np.linalg.norm(q)).astype(np.float32) for q in probes]
    dense = []
    for q in probes:
        started = time.perf_counter()
        dense_search(store, q, 10)
        dense.append(time.perf_counter() - started)
    result["dense_p50_ms"] = round(statistics.median(dense) * 1000, 2)
    if exact_dir is not None:
        exact = Service(load_settings(index_dir=exact_dir), service.embedder).store()
        hits = []
        for q in probes:
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
