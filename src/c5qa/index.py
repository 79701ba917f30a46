"""Stage 4: chunks and vectors on disk as index generations, and their incremental update.

Layout of ``index/``::

    CURRENT              name of the generation readers should load (switched by os.replace)
    gen-000007/          one complete, immutable generation
        manifest.json    format, model, dimension, chunker settings, per-document sha256,
                         failures, and a sha256 of every other file in the generation
        documents.jsonl  document metadata and full text (the chunk store's text lives here)
        chunks.jsonl     one chunk per line, aligned with the FAISS row ids
        vectors.faiss    inner-product index over normalised chunk vectors
        sentences.npy    one vector per sentence of every chunk, in chunk order
    .lock                held by the one writer

A writer builds a new generation beside the current one and only then points ``CURRENT`` at it,
so a reader sees the old generation or the new one, never a mixture, even after a crash.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np
from filelock import FileLock, Timeout
from tqdm import tqdm

from c5qa.chunking import Chunk, chunk_document
from c5qa.documents import Document, DocumentError, discover, file_sha256, load_document
from c5qa.embedding import Embedder
from c5qa.lexical import LexicalIndex
from c5qa.settings import Settings

FORMAT_VERSION = 1
CURRENT = "CURRENT"
_FILES = ("documents.jsonl", "chunks.jsonl", "vectors.faiss", "sentences.npy")
_LEXICAL_DIR = "bm25"
_ENCODE_GROUP = 512  # chunks per forward pass group: bounds memory of token vectors
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 128


class IndexProblem(Exception):
    """The index is missing or cannot be trusted; the message is one line for the user."""


class IndexMissing(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


class IndexBusy(IndexProblem):
    pass


@dataclass(frozen=True)
class Failure:
    source: str
    error: str


@dataclass(frozen=True)
class IndexReport:
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    failed: tuple[Failure, ...] = ()
    documents: int = 0
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    generation: str = ""
    rebuilt: str = ""  # why the whole index was rebuilt, "" when it was updated in place
    duplicates: tuple[tuple[str, ...], ...] = ()  # groups of files with identical content

    def to_json(self) -> dict:
        return {
            "added": list(self.added),
            "updated": list(self.updated),
            "removed": list(self.removed),
            "unchanged": self.unchanged,
            "failed": [{"source": f.source, "error": f.error} for f in self.failed],
            "documents": self.documents,
            "chunks": self.chunks,
            "embedded": self.embedded,
            "seconds": round(self.seconds, 3),
            "generation": self.generation,
            "rebuilt": self.rebuilt,
            "duplicates": [list(group) for group in self.duplicates],
        }


@dataclass
class IndexStore:
    """One loaded generation: read-only once built, safe to share between threads."""

    generation: str
    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    vectors: faiss.Index
    sentence_vectors: np.ndarray
    lexical: LexicalIndex
    sentence_offsets: np.ndarray = field(init=False)  # row of each chunk's first sentence
    ranges: dict[str, tuple[int, int]] = field(init=False)  # source → its chunk id range

    def __post_init__(self) -> None:
        counts = np.array([len(c.sentences) for c in self.chunks], dtype=np.int64)
        self.sentence_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.ranges = {}
        for i, chunk in enumerate(self.chunks):
            first, _ = self.ranges.get(chunk.source, (i, i))
            self.ranges[chunk.source] = (first, i + 1)

    def chunk_sentence_vectors(self, chunk_id: int) -> np.ndarray:
        start, end = self.sentence_offsets[chunk_id], self.sentence_offsets[chunk_id + 1]
        return self.sentence_vectors[start:end]

    def chunk_vectors(self, ids: list[int]) -> np.ndarray:
        if not ids:
            return np.zeros((0, self.vectors.d), dtype=np.float32)
        return np.stack([self.vectors.reconstruct(i) for i in ids])

    def document_vectors(self, source: str) -> tuple[list[Chunk], np.ndarray, np.ndarray]:
        """A document's chunks with their chunk and sentence vectors, for reuse by a writer."""
        first, end = self.ranges.get(source, (0, 0))
        chunk_vectors = (
            self.vectors.reconstruct_n(first, end - first)
            if end > first
            else (np.zeros((0, self.vectors.d), dtype=np.float32))
        )
        rows = self.sentence_vectors[self.sentence_offsets[first] : self.sentence_offsets[end]]
        return self.chunks[first:end], np.asarray(chunk_vectors, np.float32), rows

    def check(self) -> list[str]:
        """Consistency problems, empty when sound: ids ↔ chunks ↔ documents ↔ manifest."""
        problems = []
        if self.vectors.ntotal != len(self.chunks):
            problems.append(f"{self.vectors.ntotal} vectors for {len(self.chunks)} chunks")
        if self.lexical.n_docs != len(self.chunks):
            problems.append(
                f"BM25 holds {self.lexical.n_docs} chunks, the store {len(self.chunks)}"
            )
        if len(self.sentence_vectors) != int(self.sentence_offsets[-1]):
            problems.append("sentence vectors do not match the chunks' sentences")
        orphans = {c.source for c in self.chunks} - set(self.documents)
        if orphans:
            problems.append(f"chunks of unknown documents: {sorted(orphans)[:3]}")
        if set(self.documents) != set(self.manifest.get("documents", {})):
            problems.append("documents differ from the manifest")
        for chunk in self.chunks:
            doc = self.documents.get(chunk.source)
            if doc is not None and doc.text[chunk.start : chunk.end] != chunk.text:
                problems.append(f"chunk {chunk.source}#{chunk.ordinal} does not match its text")
                break
        return problems


def current_generation(index_dir: Path) -> str | None:
    try:
        name = (index_dir / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    return name or None


def open_index(index_dir: Path) -> IndexStore:
    """Load the current generation, verifying every file against the manifest's checksums."""
    generation = current_generation(index_dir)
    if generation is None:
        raise IndexMissing(f"no index in {index_dir} yet (run `c5qa index`)")
    gen_dir = index_dir / generation
    try:
        manifest = json.loads((gen_dir / "manifest.json").read_text())
        files = manifest["files"]
        if not set(_FILES) <= set(files):
            raise IndexCorrupt(f"index generation {generation} lacks files in its manifest")
        for name, digest in files.items():
            if file_sha256(gen_dir / name) != digest:
                raise IndexCorrupt(f"index file {generation}/{name} is corrupted or truncated")
        documents = {}
        with (gen_dir / "documents.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                record["pages"] = tuple(record.get("pages", ()))
                documents[record["source"]] = Document(**record)
        chunks = []
        with (gen_dir / "chunks.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                text = documents[r["source"]].text[r["start"] : r["end"]]
                sentences = tuple((s, e) for s, e in r["sentences"])
                chunks.append(
                    Chunk(
                        r["source"],
                        r["ordinal"],
                        r["start"],
                        r["end"],
                        text,
                        r["location"],
                        sentences,
                    )
                )
        vectors = faiss.read_index(str(gen_dir / "vectors.faiss"))
        if isinstance(vectors, faiss.IndexHNSW):
            vectors.hnsw.efSearch = HNSW_EF_SEARCH
        # Memory-mapped: only the sentences of retrieved chunks are ever read.
        sentence_vectors = np.load(gen_dir / "sentences.npy", mmap_mode="r")
        lexical = LexicalIndex.load(gen_dir / _LEXICAL_DIR)
    except IndexCorrupt:
        raise
    except FileNotFoundError as exc:
        raise IndexCorrupt(f"index generation {generation} is incomplete: {exc.filename}") from exc
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorrupt(f"index generation {generation} is unreadable: {exc}") from exc
    store = IndexStore(generation, manifest, documents, chunks, vectors, sentence_vectors, lexical)
    problems = store.check()
    if problems:
        raise IndexCorrupt(f"index generation {generation} is inconsistent: {problems[0]}")
    return store


def lexical_text(document: Document, chunk: Chunk) -> str:
    """What BM25 indexes for a chunk: its text plus the document title, which often carries
    the names (country, event) that the chunk's own sentences leave implicit."""
    return f"{document.title}\n{chunk.text}"


def _expected_settings(settings: Settings, embedder: Embedder) -> dict:
    return {
        "format": FORMAT_VERSION,
        "model": embedder.name,
        "dim": embedder.dim,
        "chunker": {
            "size": settings.chunk_size,
            "overlap": settings.chunk_overlap,
            "splitter": "sentencex+lines-1",
        },
        "lexical": LexicalIndex.SIGNATURE,
    }


def _rebuild_reason(previous: IndexStore | None, expected: dict) -> str:
    if previous is None:
        return ""
    for key, value in expected.items():
        if previous.manifest.get(key) != value:
            return f"{key} changed from {previous.manifest.get(key)!r} to {value!r}"
    return ""


@dataclass
class _Entry:
    """One document of the generation being built, with its vectors when already known."""

    document: Document
    chunks: list[Chunk]
    vectors: np.ndarray | None = None
    sentence_vectors: np.ndarray | None = None


def _embed(entries: list[_Entry], embedder: Embedder, progress: bool) -> int:
    """Encode the entries that have no vectors yet; identical files are encoded once."""
    firsts: dict[str, _Entry] = {}
    copies: list[tuple[_Entry, _Entry]] = []
    for entry in entries:
        if entry.vectors is None:
            first = firsts.setdefault(entry.document.sha256, entry)
            if first is not entry:
                copies.append((entry, first))
    pending = list(firsts.values())
    encoded = _encode(pending, embedder, progress)
    for entry, first in copies:
        entry.vectors, entry.sentence_vectors = first.vectors, first.sentence_vectors
    return encoded


def _encode(entries: list[_Entry], embedder: Embedder, progress: bool) -> int:
    todo = [(e, c) for e in entries for c in e.chunks]
    if not todo:
        for entry in entries:
            entry.vectors = np.zeros((0, embedder.dim), np.float32)
            entry.sentence_vectors = np.zeros((0, embedder.dim), np.float32)
        return 0
    vectors: list[np.ndarray] = []
    sentences: list[np.ndarray] = []
    bar = tqdm(total=len(todo), desc="embedding", unit="chunk", disable=not progress)
    for i in range(0, len(todo), _ENCODE_GROUP):
        group = [c for _, c in todo[i : i + _ENCODE_GROUP]]
        spans = [[(s - c.start, e - c.start) for s, e in c.sentences] for c in group]
        chunk_vecs, sent_vecs = embedder.encode_chunks([c.text for c in group], spans)
        vectors.extend(chunk_vecs)
        sentences.extend(sent_vecs)
        bar.update(len(group))
    bar.close()
    cursor = 0
    for entry in entries:
        n = len(entry.chunks)
        entry.vectors = np.asarray(vectors[cursor : cursor + n], dtype=np.float32).reshape(
            n, embedder.dim
        )
        rows = sentences[cursor : cursor + n]
        entry.sentence_vectors = (
            np.concatenate(rows) if rows else np.zeros((0, embedder.dim), np.float32)
        )
        cursor += n
    return len(todo)


def vector_index(matrix: np.ndarray, hnsw_from: int) -> faiss.Index:
    """Exact inner-product search below ``hnsw_from`` vectors, HNSW above it: exact search
    grows linearly with the corpus, HNSW stays fast at a small, measured recall cost."""
    dim = matrix.shape[1]
    if len(matrix) >= hnsw_from:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(np.ascontiguousarray(matrix, dtype=np.float32))
    return index


def _write_generation(
    index_dir: Path,
    entries: list[_Entry],
    failed: list[Failure],
    expected: dict,
    dim: int,
    hnsw_from: int,
) -> str:
    before = current_generation(index_dir)  # readers may still be loading it: keep it
    existing = [p.name for p in index_dir.glob("gen-*") if p.is_dir()]
    number = max((int(n.split("-")[1]) for n in existing if n[4:].isdigit()), default=0) + 1
    generation = f"gen-{number:06d}"
    tmp = index_dir / f".{generation}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with (tmp / "documents.jsonl").open("w", encoding="utf-8") as fh:
        for entry in entries:
            fh.write(json.dumps(dataclasses.asdict(entry.document), ensure_ascii=False) + "\n")
    with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as fh:
        for entry in entries:
            for c in entry.chunks:
                record = {
                    "source": c.source,
                    "ordinal": c.ordinal,
                    "start": c.start,
                    "end": c.end,
                    "location": c.location,
                    "sentences": c.sentences,
                }
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    vectors = [e.vectors for e in entries if e.vectors is not None and len(e.vectors)]
    matrix = np.concatenate(vectors) if vectors else np.zeros((0, dim), np.float32)
    faiss.write_index(vector_index(matrix, hnsw_from), str(tmp / "vectors.faiss"))
    sentence_rows = [e.sentence_vectors for e in entries if e.sentence_vectors is not None]
    sentences = np.concatenate(sentence_rows) if sentence_rows else np.zeros((0, dim), np.float32)
    np.save(tmp / "sentences.npy", sentences.astype(np.float32))
    lexical = LexicalIndex.build([lexical_text(e.document, c) for e in entries for c in e.chunks])
    lexical.save(tmp / _LEXICAL_DIR)
    written = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
    manifest = {
        **expected,
        "generation": generation,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "documents": {
            e.document.source: {"sha256": e.document.sha256, "chunks": len(e.chunks)}
            for e in entries
        },
        "failed": [dataclasses.asdict(f) for f in failed],
        "files": {name: file_sha256(tmp / name) for name in written},
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    for name in (*written, "manifest.json"):
        with (tmp / name).open("rb") as fh:
            os.fsync(fh.fileno())
    os.rename(tmp, index_dir / generation)
    pointer = index_dir / f".{CURRENT}.tmp"
    with pointer.open("w") as fh:
        fh.write(generation + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(pointer, index_dir / CURRENT)
    dir_fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    _prune(index_dir, keep={generation, *([before] if before else [])})
    return generation


def _prune(index_dir: Path, keep: set[str]) -> None:
    """Drop every generation but ``keep`` (the current one and the one readers may still be
    loading), and what killed writers left behind: unfinished and uncommitted generations."""
    for path in index_dir.iterdir():
        if path.name == f".{CURRENT}.tmp":
            path.unlink(missing_ok=True)
        stale_tmp = path.name.startswith(".gen-") and path.name.endswith(".tmp")
        if (path.is_dir() and path.name.startswith("gen-") and path.name not in keep) or stale_tmp:
            shutil.rmtree(path, ignore_errors=True)


def update_index(
    settings: Settings,
    embedder: Callable[[], Embedder],
    progress: bool = False,
    wait: float = 0,
    on_notice: Callable[[str], None] = lambda message: None,
) -> IndexReport:
    """Bring the index in step with the corpus: embed only new content, reuse the rest.

    Only one writer runs at a time (a file lock); ``wait`` is how long to wait for it. The
    model (``embedder()``) is only loaded once the lock is held."""
    started = time.perf_counter()
    index_dir, corpus_dir = settings.index_dir, settings.corpus_dir
    if not corpus_dir.is_dir():
        raise IndexProblem(f"corpus folder {corpus_dir} does not exist")
    index_dir.mkdir(parents=True, exist_ok=True)
    try:
        lock = FileLock(str(index_dir / ".lock"), timeout=wait)
        lock.acquire()
    except Timeout as exc:
        raise IndexBusy(f"another `c5qa index` is updating {index_dir}; try again shortly") from exc
    try:
        try:
            previous: IndexStore | None = open_index(index_dir)
        except IndexMissing:
            previous = None
        except IndexCorrupt as exc:
            on_notice(f"{exc}; rebuilding the index")
            previous = None
        model = embedder()
        expected = _expected_settings(settings, model)
        rebuilt = _rebuild_reason(previous, expected)
        if rebuilt:
            on_notice(f"rebuilding the whole index: {rebuilt}")
        usable = previous if previous is not None and not rebuilt else None
        old = usable.manifest["documents"] if usable else {}
        by_sha = {info["sha256"]: source for source, info in old.items()}
        max_bytes = int(settings.max_file_mb * 1e6)

        entries: list[_Entry] = []
        failed: list[Failure] = []
        added, updated, unchanged = [], [], 0
        for path in discover(corpus_dir):
            source = path.relative_to(corpus_dir).as_posix()
            try:
                readable = (
                    path.is_file()
                    and path.resolve().is_relative_to(corpus_dir.resolve())
                    and path.stat().st_size <= max_bytes
                )  # otherwise load_document says why, without reading the file
                sha = file_sha256(path) if readable else ""
                if usable and source in old and old[source]["sha256"] == sha:
                    chunks, vecs, sent_vecs = usable.document_vectors(source)
                    entries.append(_Entry(usable.documents[source], chunks, vecs, sent_vecs))
                    unchanged += 1
                    continue
                document = load_document(path, corpus_dir, max_bytes)
            except (DocumentError, OSError) as exc:
                failed.append(Failure(source, str(exc).splitlines()[0] if str(exc) else "error"))
                continue
            chunks = chunk_document(document, settings.chunk_size, settings.chunk_overlap)
            entry = _Entry(document, chunks)
            twin = by_sha.get(document.sha256)
            if usable and twin is not None:  # same content under another name: reuse vectors
                _, entry.vectors, entry.sentence_vectors = usable.document_vectors(twin)
            entries.append(entry)
            (updated if source in old else added).append(source)
        present = {e.document.source for e in entries}
        removed = sorted(set(old) - present)

        failures_same = usable is not None and usable.manifest.get("failed") == [
            dataclasses.asdict(f) for f in failed
        ]
        generation = usable.generation if usable else ""
        embedded = 0
        if not (usable and not added and not updated and not removed and failures_same):
            embedded = _embed(entries, model, progress)
            generation = _write_generation(
                index_dir, entries, failed, expected, model.dim, settings.hnsw_from
            )
        else:  # nothing to write; still clear what killed writers left behind
            committed = {p.name for p in index_dir.glob("gen-*") if p.name <= generation}
            _prune(index_dir, keep=committed)
        by_content: dict[str, list[str]] = {}
        for entry in entries:
            by_content.setdefault(entry.document.sha256, []).append(entry.document.source)
        return IndexReport(
            duplicates=tuple(tuple(g) for g in by_content.values() if len(g) > 1),
            added=tuple(added),
            updated=tuple(updated),
            removed=tuple(removed),
            unchanged=unchanged,
            failed=tuple(failed),
            documents=len(entries),
            chunks=sum(len(e.chunks) for e in entries),
            embedded=embedded,
            seconds=time.perf_counter() - started,
            generation=generation,
            rebuilt=rebuilt,
        )
    finally:
        lock.release()
