"""Indexing's encoder in fp32 and in bf16, side by side in one run (#18): throughput on SciFact
abstracts as the index chunks them, vectors' agreement, and (``--beir``) SciFact nDCG@10 for
dense and hybrid retrieval with each precision.

    python bench/encoding.py [--scifact ../shared/beir/scifact] [--limit 1000] [--beir]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from c5qa.index.embedding import Embedder, native_bf16
from c5qa.measure.beir import load_beir

PRECISIONS = ("fp32", "bf16")


def throughput(texts: list[str], precision: str) -> tuple[float, np.ndarray]:
    """Texts encoded per second (model loaded and warmed first), and the vectors."""
    embedder = Embedder(precision=precision)
    embedder.encode(texts[:64])
    started = time.perf_counter()
    vectors = embedder.encode(texts)
    return len(texts) / (time.perf_counter() - started), vectors


def beir(scifact: Path, precision: str) -> dict:
    """`c5qa bench beir` with this precision, in its own process (its cache is per precision)."""
    env = {**os.environ, "C5QA_ENCODE_PRECISION": precision}
    run = subprocess.run(
        [sys.executable, "-m", "c5qa", "bench", "beir", str(scifact), "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(run.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scifact", type=Path, default=Path("../shared/beir/scifact"))
    parser.add_argument("--limit", type=int, default=1000, help="abstracts encoded per precision")
    parser.add_argument("--beir", action="store_true", help="also SciFact nDCG per precision")
    args = parser.parse_args()
    data = load_beir(args.scifact, "test")
    texts = [f"{title}. {text}" for title, text in list(data.corpus.values())[: args.limit]]
    print(f"CPU with native bf16: {native_bf16()}; {len(texts)} SciFact abstracts")
    rates, vectors = {}, {}
    for precision in PRECISIONS:
        rates[precision], vectors[precision] = throughput(texts, precision)
        print(f"{precision}: {rates[precision]:.1f} abstracts/s")
    cosines = np.sum(vectors["fp32"] * vectors["bf16"], axis=1)
    print(
        f"bf16 / fp32 throughput: {rates['bf16'] / rates['fp32']:.2f}x; cosine of bf16 to fp32 "
        f"vectors: min {cosines.min():.6f}, median {np.median(cosines):.6f}"
    )
    if args.beir:
        scores = {precision: beir(args.scifact, precision) for precision in PRECISIONS}
        for mode in ("bm25", "dense", "hybrid"):
            a, b = (scores[p][mode]["ndcg@10"] for p in PRECISIONS)
            print(f"SciFact nDCG@10 {mode}: fp32 {a:.4f}, bf16 {b:.4f} ({b - a:+.4f})")


if __name__ == "__main__":
    main()
