"""Index build and incremental-update costs on BEIR SciFact written out as documents.

    python bench/rebuild.py [--scifact ../shared/beir/scifact] [--limit N] [--json]

Measured in one run, model loaded beforehand (load time excluded everywhere):
- full build seconds vs raw ``model.encode`` seconds of the very same chunk texts (the ratio is
  the pipeline's overhead: loading, chunking, sentence vectors, BM25, writing, checksums);
- a no-op update; adding one document (minus that document's own encode time); removing one;
- loading the current generation as a reader does (checksums verified).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from c5qa.app.service import Service
from c5qa.index.store import open_index
from c5qa.measure.beir import load_beir
from c5qa.settings import load_settings


def _write_corpus(folder: Path, scifact: Path, limit: int | None) -> list[Path]:
    data = load_beir(scifact, "test")
    paths = []
    for doc_id, (title, text) in list(data.corpus.items())[:limit]:
        path = folder / f"{doc_id}.txt"
        path.write_text(f"---\ntitle: {json.dumps(title)}\n---\n{text}\n", encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scifact", type=Path, default=Path("../shared/beir/scifact"))
    parser.add_argument("--limit", type=int, default=None, help="use only the first N abstracts")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of the small updates")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    quiet = {"on_notice": lambda message: None}
    with tempfile.TemporaryDirectory() as tmp:
        corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
        corpus.mkdir()
        paths = _write_corpus(corpus, args.scifact, args.limit)
        service = Service(load_settings(corpus_dir=corpus, index_dir=index))
        embedder = service.embedder
        embedder.encode(["warm up"])

        started = time.perf_counter()
        report = service.index(**quiet)
        build = time.perf_counter() - started
        texts = [c.text for c in service.store().chunks]
        started = time.perf_counter()
        embedder.encode(texts)
        encode = time.perf_counter() - started

        noop, add, add_overhead, remove, load = [], [], [], [], []
        for i in range(args.repeat):
            started = time.perf_counter()
            assert service.index(**quiet).embedded == 0
            noop.append(time.perf_counter() - started)

            new = corpus / f"zz-new-{i}.txt"
            new.write_text(paths[i].read_text(encoding="utf-8") + f"\nA new closing line {i}.\n")
            started = time.perf_counter()
            added = service.index(**quiet)
            add.append(time.perf_counter() - started)
            own = [c.text for c in service.store().chunks if c.source == new.name]
            started = time.perf_counter()
            embedder.encode_chunks(own, [[(0, len(t))] for t in own])
            add_overhead.append(add[-1] - (time.perf_counter() - started))
            assert added.added == (new.name,)

            new.unlink()
            started = time.perf_counter()
            assert service.index(**quiet).removed == (new.name,)
            remove.append(time.perf_counter() - started)

            started = time.perf_counter()
            open_index(index)
            load.append(time.perf_counter() - started)

    result = {
        "documents": report.documents,
        "chunks": report.chunks,
        "full_build_s": round(build, 2),
        "raw_encode_s": round(encode, 2),
        "build_over_encode": round(build / encode, 3),
        "noop_s": round(statistics.median(noop), 3),
        "add_one_s": round(statistics.median(add), 3),
        "add_one_minus_own_encode_s": round(statistics.median(add_overhead), 3),
        "remove_one_s": round(statistics.median(remove), 3),
        "open_s": round(statistics.median(load), 3),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:<28} {value}")


if __name__ == "__main__":
    main()
