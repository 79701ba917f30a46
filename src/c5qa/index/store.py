"""Stage 4: chunks and vectors on disk as index generations, and their incremental update.

Layout of ``index/``::

    CURRENT              name of the generation readers should load (switched by os.replace)
    gen-000007/          one complete, immutable generation
        manifest.json    format, model, dimension, chunker settings, per-document sha256 and
                         segment, failures, and a sha256 of every other file in the generation
        seg-000003/      a segment: documents, chunks, vectors, sentence vectors, BM25 tokens
                         (see ``segments``); hard links when an earlier generation wrote it
        bm25/            BM25 over the generation's chunks, segment by segment
        vectors.faiss    HNSW graph over the chunk vectors, only from ``hnsw_from`` chunks (an
                         exact index is built from the segments' vectors when loading)
    .lock                held by the one writer

A writer builds a new generation beside the current one and only then points ``CURRENT`` at it,
so a reader sees the old generation or the new one, never a mixture, even after a crash. An
update writes a segment for the new and changed documents only; BM25 (whose statistics span the
corpus) is rebuilt from the segments' stored token ids, which takes a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import shutil
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np
from filelock import FileLock, Timeout
from tqdm import tqdm

from c5qa.index import segments
from c5qa.index.embedding import Embedder, resolve_model, resolve_precision
from c5qa.index.lexical import LexicalIndex, chunk_tokens, concat_token_ids
from c5qa.index.segments import ChunkTable, Entry, RowFile, RowsCorrupt, Segment
from c5qa.ingest import blocks
from c5qa.ingest.acronyms import Acronyms
from c5qa.ingest.chunking import Chunk, chunk_document
from c5qa.ingest.documents import Document, DocumentError, discover, file_sha256, load_document
from c5qa.ingest.ocr import configured
from c5qa.settings import Settings

# Bumped whenever what a generation stores changes: an index of another format is rebuilt by
# `c5qa index`. 3: documents carry their blocks (``c5qa.ingest.blocks``). 4: a PDF sentence that
# runs across a page break is one sentence (``documents.page_separator``).
FORMAT_VERSION = 4
CURRENT = "CURRENT"
_LEXICAL_DIR = "bm25"
_HNSW_FILE = "vectors.faiss"
_ENCODE_GROUP = 512  # chunks per forward pass group: bounds memory of token vectors
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 128
# A file whose mtime is this close to the scan that saw it may still change within the same
# timestamp tick (git's "racily clean" entries): its stat is not trusted, it is hashed again.
_RACY_NS = 2_000_000_000


class IndexProblem(Exception):
    """The index is missing or cannot be trusted; the message is one line for the user."""


class IndexMissing(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


class IndexBusy(IndexProblem):
    pass


class IndexOutdated(IndexProblem):
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
    # Metadata left out of the files read by this update, and why (each file's text is
    # indexed all the same): (source, reason), e.g. front matter that is not YAML.
    ignored: tuple[tuple[str, str], ...] = ()

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
            "ignored": [{"source": source, "ignored": why} for source, why in self.ignored],
        }


@dataclass
class IndexStore:
    """One loaded generation: read-only once built, safe to share between threads."""

    generation: str
    manifest: dict
    documents: dict[str, Document]
    chunks: ChunkTable
    vectors: faiss.Index
    lexical: LexicalIndex
    sentences: list[RowFile]  # per segment, read on demand
    ranges: dict[str, tuple[int, int]] = field(init=False)  # source → its chunk id range
    acronyms: Acronyms = field(init=False)  # the ones the documents define
    # Why the store must not serve again ("" while sound): set when a file read on demand
    # proves damaged, so that its holder (``Library``) loads the generation again.
    spoiled: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.ranges = self.chunks.ranges()
        self.acronyms = Acronyms.of(self.documents.values())

    def chunk_sentence_vectors(self, chunk_id: int) -> np.ndarray:
        """The chunk's sentence vectors, read from disk now (``RowFile``): a read that finds
        the file damaged since the load refuses with ``IndexCorrupt`` and spoils the store,
        rather than letting damaged vectors pick the wrong sentences."""
        columns = self.chunks.columns
        count = columns["span_offsets"][chunk_id + 1] - columns["span_offsets"][chunk_id]
        row = int(columns["sentence_row"][chunk_id])
        try:
            rows = self.sentences[columns["segment"][chunk_id]].rows(row, row + int(count))
        except (RowsCorrupt, OSError) as exc:
            self.spoiled = f"index generation {self.generation} is corrupt: {exc}"
            raise IndexCorrupt(f"{self.spoiled} (run `c5qa index` to rebuild it)") from exc
        return rows.astype(np.float32)

    def chunk_vectors(self, ids: list[int]) -> np.ndarray:
        if not ids:
            return np.zeros((0, self.vectors.d), dtype=np.float32)
        return np.stack([self.vectors.reconstruct(i) for i in ids])

    def check(self) -> list[str]:
        """Consistency problems, empty when sound: ids ↔ chunks ↔ documents ↔ manifest."""
        problems = []
        if self.vectors.ntotal != len(self.chunks):
            problems.append(f"{self.vectors.ntotal} vectors for {len(self.chunks)} chunks")
        if self.lexical.n_docs != len(self.chunks):
            problems.append(
                f"BM25 holds {self.lexical.n_docs} chunks, the store {len(self.chunks)}"
            )
        columns = self.chunks.columns
        ends = columns["sentence_row"] + np.diff(columns["span_offsets"])
        available = np.array([len(s) for s in self.sentences], dtype=np.int64)
        if len(ends) and (ends > available[columns["segment"]]).any():
            problems.append("sentence vectors do not match the chunks' sentences")
        orphans = set(self.ranges) - set(self.documents)
        if orphans:
            problems.append(f"chunks of unknown documents: {sorted(orphans)[:3]}")
        if set(self.documents) != set(self.manifest.get("documents", {})):
            problems.append("documents differ from the manifest")
        misplaced = self.chunks.misplaced()
        if misplaced is not None:
            chunk = self.chunks[misplaced]
            problems.append(f"chunk {chunk.source}#{chunk.ordinal} does not fit its text")
        return problems


def current_generation(index_dir: Path) -> str | None:
    try:
        name = (index_dir / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    return name or None


@dataclass(frozen=True)
class Committed:
    """The current generation's manifest, every file of it verified against its checksum."""

    generation: str
    directory: Path
    manifest: dict

    def segment(self, name: str) -> Segment:
        return Segment(self.directory / name)


def _committed(index_dir: Path, generation: str | None = None) -> Committed:
    """``generation`` (default: the current one) verified against its manifest's checksums."""
    generation = generation or current_generation(index_dir)
    if generation is None:
        raise IndexMissing(f"no index in {index_dir} yet (run `c5qa index`)")
    gen_dir = index_dir / generation
    try:
        manifest = json.loads((gen_dir / "manifest.json").read_text(encoding="utf-8"))
        files = manifest["files"]
        for name, digest in files.items():
            if file_sha256(gen_dir / name) != digest:
                raise IndexCorrupt(f"index file {generation}/{name} is corrupted or truncated")
    except IndexCorrupt:
        raise
    except FileNotFoundError as exc:
        raise IndexCorrupt(f"index generation {generation} is incomplete: {exc.filename}") from exc
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IndexCorrupt(f"index generation {generation} is unreadable: {exc}") from exc
    return Committed(generation, gen_dir, manifest)


def _by_segment(documents: dict[str, dict]) -> dict[str, dict[int, str]]:
    """segment → {position: source} of the documents the generation holds."""
    found: dict[str, dict[int, str]] = {}
    for source, record in documents.items():
        found.setdefault(record["segment"], {})[record["position"]] = source
    return found


def open_index(index_dir: Path, generation: str | None = None) -> IndexStore:
    """Load the current generation (or the named one, e.g. the one before it when the current
    one is damaged), verifying every file against the manifest's checksums. Whatever goes
    wrong is an ``IndexProblem``: the manifest itself has no checksum, so any of its values
    may be damaged, and the faces rely on this one exception type."""
    committed = _committed(index_dir, generation)
    try:
        return _verified(committed)
    except IndexProblem:
        raise
    except FileNotFoundError as exc:
        raise IndexCorrupt(
            f"index generation {committed.generation} is incomplete: {exc.filename}"
        ) from exc
    except Exception as exc:
        raise IndexCorrupt(f"index generation {committed.generation} is unreadable: {exc}") from exc


def _verified(committed: Committed) -> IndexStore:
    """Load a checksummed generation, refusing another format, a manifest that lacks files
    and a store whose parts disagree."""
    generation, manifest = committed.generation, committed.manifest
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexOutdated(
            f"index generation {generation} has format {manifest.get('format')}, this version "
            f"reads format {FORMAT_VERSION} (run `c5qa index`)"
        )
    expected = [f"{s['name']}/{f}" for s in manifest.get("segments", []) for f in segments.FILES]
    listed = set(manifest["files"])
    if not set(expected) <= listed or not any(f.startswith(f"{_LEXICAL_DIR}/") for f in listed):
        raise IndexCorrupt(f"index generation {generation} lacks files in its manifest")
    store = _load(committed)
    problems = store.check()
    if problems:
        raise IndexCorrupt(f"index generation {generation} is inconsistent: {problems[0]}")
    return store


def _load(committed: Committed) -> IndexStore:
    manifest = committed.manifest
    live = _by_segment(manifest["documents"])
    documents: dict[str, Document] = {}
    parts, sentences = [], []
    hnsw = _HNSW_FILE in manifest["files"]
    vectors = (
        faiss.read_index(str(committed.directory / _HNSW_FILE))
        if hnsw
        else faiss.IndexFlatIP(manifest["dim"])
    )
    for info in manifest["segments"]:
        segment = committed.segment(info["name"])
        held = live.get(info["name"], {})
        segment_documents = segment.documents()
        for position, source in sorted(held.items()):
            if segment_documents[position].source != source:
                raise ValueError(f"{info['name']} holds no {source} at {position}")
            documents[source] = segment_documents[position]
        rows = segment.rows(sorted(held))
        parts.append((segment, [d.source for d in segment_documents], rows))
        if not hnsw:
            vectors.add(np.ascontiguousarray(segment.vectors()[rows], dtype=np.float32))
        sentences.append(segment.sentences())
    if isinstance(vectors, faiss.IndexHNSW):
        vectors.hnsw.efSearch = HNSW_EF_SEARCH
    chunks = ChunkTable.select(documents, parts)
    lexical = LexicalIndex.load(committed.directory / _LEXICAL_DIR)
    return IndexStore(
        committed.generation, manifest, documents, chunks, vectors, lexical, sentences
    )


def lexical_text(document: Document, chunk: Chunk) -> str:
    """What BM25 indexes for a chunk: its text plus the document title, which often carries
    the names (country, event) that the chunk's own sentences leave implicit."""
    return f"{document.title}\n{chunk.text}"


def _expected_settings(settings: Settings, model: str, dim: int) -> dict:
    return {
        "format": FORMAT_VERSION,
        "model": model,
        "dim": dim,
        "precision": resolve_precision(settings.encode_precision),
        "chunker": {
            "size": settings.chunk_size,
            "overlap": settings.chunk_overlap,
            "splitter": "sentencex+lines-1",
            "blocks": blocks.RULES,
        },
        "lexical": LexicalIndex.SIGNATURE,
    }


def _rebuild_reason(previous: dict | None, expected: dict) -> str:
    if previous is None:
        return ""
    for key, value in expected.items():
        if previous.get(key) != value:
            return f"{key} changed from {previous.get(key)!r} to {value!r}"
    return ""


def _embed(entries: list[Entry], embedder: Callable[[], Embedder], progress: bool) -> int:
    """Encode the entries that have no vectors yet; identical files are encoded once. The
    model is only loaded when something needs encoding."""
    firsts: dict[str, Entry] = {}
    copies: list[tuple[Entry, Entry]] = []
    for entry in entries:
        if entry.vectors is None:
            first = firsts.setdefault(entry.document.sha256, entry)
            if first is not entry:
                copies.append((entry, first))
    pending = list(firsts.values())
    encoded = _encode(pending, embedder(), progress) if pending else 0
    for entry, first in copies:
        entry.vectors, entry.sentence_vectors = first.vectors, first.sentence_vectors
    return encoded


def _encode(entries: list[Entry], embedder: Embedder, progress: bool) -> int:
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


def _stat_key(path: Path, corpus_root: Path) -> tuple[os.stat_result | None, list[int] | None]:
    """The file's status and the key that says it is unchanged since it was last hashed:
    (None, None) when it is no regular file inside the corpus (``load_document`` says why).

    ``discover`` never enters a linked folder, so only a file that is itself a link can lead
    outside the corpus: only links pay for resolving."""
    status = os.lstat(path)
    if stat.S_ISLNK(status.st_mode):
        try:  # a link loop makes resolve() raise RuntimeError, a dangling link OSError
            inside = path.resolve().is_relative_to(corpus_root)
            status = os.stat(path)
        except (OSError, RuntimeError):
            return None, None
        if not inside:
            return None, None
    if not stat.S_ISREG(status.st_mode):
        return None, None
    return status, [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]


def _settled(status: os.stat_result, scan_started_ns: int) -> bool:
    """Whether a change to the file after it was read is bound to change its stat key."""
    return max(status.st_mtime_ns, status.st_ctime_ns) < scan_started_ns - _RACY_NS


@dataclass
class _Plan:
    """What a new generation is made of: previous segments kept as they are (by name), and
    the entries of the one new segment, in generation order."""

    kept: list[dict]
    entries: list[Entry]


def _plan(previous: Committed | None, held: dict[str, dict], new: list[Entry]) -> _Plan:
    """Keep a previous segment while it is mostly alive and larger than what is written now;
    otherwise its live documents move into the new segment (vectors and tokens are copied,
    nothing is encoded). Merging a segment into the new one whenever it is not larger keeps
    few segments (their sizes roughly double from newest to oldest), so each chunk is
    rewritten only a logarithmic number of times."""
    if previous is None:
        return _Plan([], new)
    infos = previous.manifest["segments"]
    live = _by_segment(held)
    alive = {
        info["name"]: sum(held[s]["chunks"] for s in live.get(info["name"], {}).values())
        for info in infos
    }
    kept = [i for i in infos if i["name"] in live and 2 * alive[i["name"]] >= i["chunks"]]
    moved = [i for i in infos if i["name"] in live and i not in kept]
    size = sum(len(e.chunks) for e in new) + sum(alive[i["name"]] for i in moved)
    while kept and size and alive[kept[-1]["name"]] <= size:
        moved.append(kept.pop())
        size += alive[moved[-1]["name"]]
    entries = []
    for info in sorted(moved, key=infos.index):
        positions = sorted(live[info["name"]])
        entries.extend(previous.segment(info["name"]).entries(positions))
    return _Plan(kept, entries + new)


def _link(source: Path, target: Path) -> None:
    """Share an immutable file with the previous generation; copy where links are refused."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class _Assembly:
    """A generation's segments laid out in its temporary folder, with what the manifest and
    the generation-wide indexes need to know of them."""

    files: dict[str, str] = field(default_factory=dict)  # path → sha256
    documents: dict[str, dict] = field(default_factory=dict)  # source → manifest record
    segments: list[dict] = field(default_factory=list)  # manifest entries, in order
    parts: list[tuple[Segment, list[int]]] = field(default_factory=list)  # live positions
    written: list[Path] = field(default_factory=list)  # new files and folders, to fsync


def _assemble(
    tmp: Path,
    previous: Committed | None,
    plan: _Plan,
    held: dict[str, dict],
    stats: dict[str, list[int] | None],
    name: str,
    dim: int,
) -> _Assembly:
    """Link the kept segments, write the new one (called ``name``)."""
    done = _Assembly()
    live = _by_segment(held)
    for info in plan.kept:
        assert previous is not None  # only a previous generation has segments to keep
        (tmp / info["name"]).mkdir()
        for file in segments.FILES:
            path = f"{info['name']}/{file}"
            _link(previous.directory / path, tmp / path)
            done.files[path] = previous.manifest["files"][path]  # verified when it was read
        done.written.append(tmp / info["name"])
        positions = sorted(live[info["name"]])
        done.documents.update(
            (live[info["name"]][p], held[live[info["name"]][p]]) for p in positions
        )
        done.segments.append(info)
        done.parts.append((Segment(tmp / info["name"]), positions))
    if plan.entries:
        segments.write(tmp / name, plan.entries, dim)
        done.written.extend([tmp / name, *(tmp / name / file for file in segments.FILES)])
        for position, entry in enumerate(plan.entries):
            source = entry.document.source
            record = held.get(source) or {
                "sha256": entry.document.sha256,
                "chunks": len(entry.chunks),
                "stat": stats.get(source),
            }
            done.documents[source] = {**record, "segment": name, "position": position}
        chunks = sum(len(e.chunks) for e in plan.entries)
        done.segments.append({"name": name, "documents": len(plan.entries), "chunks": chunks})
        done.parts.append((Segment(tmp / name), list(range(len(plan.entries)))))
    return done


def write_generation(
    index_dir: Path,
    previous: Committed | None,
    held: dict[str, dict],
    new: list[Entry],
    stats: dict[str, list[int] | None],
    failed: list[Failure],
    expected: dict,
    hnsw_from: int,
    measured: dict | None = None,
) -> str:
    """Commit a generation from entries: the ``held`` documents of ``previous`` (source →
    manifest record) and the ``new`` entries (``stats``: their stat keys, when settled);
    ``measured`` joins the manifest (the encoding speed this machine showed).
    Public because ``update_index`` is not its only user: benchmarks build large synthetic
    indexes through it (``previous=None``) without encoding a corpus."""
    before = current_generation(index_dir)  # readers may still be loading it: keep it
    existing = [p.name for p in index_dir.glob("gen-*") if p.is_dir()]
    number = max((int(n.split("-")[1]) for n in existing if n[4:].isdigit()), default=0) + 1
    generation = f"gen-{number:06d}"
    tmp = index_dir / f".{generation}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    plan = _plan(previous, held, new)
    done = _assemble(tmp, previous, plan, held, stats, f"seg-{number:06d}", expected["dim"])
    tokens = [segment.tokens(positions) for segment, positions in done.parts]
    LexicalIndex.from_ids(*concat_token_ids(tokens)).save(tmp / _LEXICAL_DIR)
    done.written.extend([tmp / _LEXICAL_DIR, *(tmp / _LEXICAL_DIR).iterdir()])
    if sum(r["chunks"] for r in done.documents.values()) >= hnsw_from:
        matrix = np.concatenate(
            [np.zeros((0, expected["dim"]), np.float32)]
            + [segment.vectors()[segment.rows(positions)] for segment, positions in done.parts]
        )
        faiss.write_index(vector_index(matrix, hnsw_from), str(tmp / _HNSW_FILE))
        done.written.append(tmp / _HNSW_FILE)
    for path in done.written:
        if path.is_file():
            done.files[path.relative_to(tmp).as_posix()] = file_sha256(path)
    manifest = {
        **expected,
        "generation": generation,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "documents": done.documents,
        "segments": done.segments,
        "failed": [{"source": f.source, "error": f.error} for f in failed],
        "files": done.files,
        **(measured or {}),
    }
    # Compact: with an indent the json module falls back to its pure-Python encoder.
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))
    for path in (*done.written, tmp / "manifest.json", tmp):
        _fsync(path)
    os.rename(tmp, index_dir / generation)
    _point_current(index_dir, generation)
    _prune(index_dir, keep={generation, *([before] if before else [])})
    return generation


def _point_current(index_dir: Path, generation: str) -> None:
    """Switch readers to ``generation``, durably: the pointer is written and synced beside
    ``CURRENT`` and then renamed over it, so a crash leaves the old pointer or the new one."""
    pointer = index_dir / f".{CURRENT}.tmp"
    with pointer.open("w") as fh:
        fh.write(generation + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(pointer, index_dir / CURRENT)
    _fsync(index_dir)


def _prune(index_dir: Path, keep: set[str]) -> None:
    """Drop every generation but ``keep`` (the current one and the one readers may still be
    loading), and what killed writers left behind: unfinished and uncommitted generations."""
    for path in index_dir.iterdir():
        if path.name == f".{CURRENT}.tmp":
            path.unlink(missing_ok=True)
        stale_tmp = path.name.startswith(".gen-") and path.name.endswith(".tmp")
        if (path.is_dir() and path.name.startswith("gen-") and path.name not in keep) or stale_tmp:
            shutil.rmtree(path, ignore_errors=True)


def _lock(index_dir: Path, wait: float) -> FileLock:
    """Take the one-writer lock, waiting up to ``wait`` seconds: two writers would number
    their generations alike and prune each other's work."""
    try:
        lock = FileLock(str(index_dir / ".lock"), timeout=wait)
        lock.acquire()
    except Timeout as exc:
        raise IndexBusy(f"another `c5qa index` is updating {index_dir}; try again shortly") from exc
    return lock


def _previous(index_dir: Path, on_notice: Callable[[str], None]) -> tuple[Committed | None, str]:
    """The committed generation to build on, and why the index is rebuilt when it cannot be
    trusted: (None, "") when there is none, (None, reason) when it is corrupt or unreadable
    (then it is rebuilt from the corpus rather than refused, and the user told so)."""
    try:
        return _committed(index_dir), ""
    except IndexMissing:
        return None, ""
    except IndexCorrupt as exc:
        on_notice(f"{exc}; rebuilding the index")
        generation = current_generation(index_dir)
        reason = str(exc)
        if not reason.startswith(f"index generation {generation} "):
            reason = f"index generation {generation} is corrupt: {reason}"
        return None, reason


@dataclass(frozen=True)
class _Target:
    """The settings the new generation is built with, and whether the previous one can be
    reused: ``usable`` is None when there is nothing to reuse or it was built otherwise
    (``rebuilt`` says why)."""

    expected: dict
    rebuilt: str
    usable: Committed | None


def _target(
    settings: Settings,
    previous: Committed | None,
    model: Callable[[], Embedder],
    on_notice: Callable[[str], None],
    damaged: str = "",
) -> _Target:
    """Settle the generation's settings. The model is only loaded to learn its dimension when
    the previous generation was built with another one (or there is none). ``damaged``: why
    the previous generation could not be read (the user was told already), which is then the
    reason of the rebuild."""
    name = resolve_model(settings.model)[0]
    recorded = previous.manifest if previous else {}
    same_model = recorded.get("model") == name and isinstance(recorded.get("dim"), int)
    dim = recorded["dim"] if same_model else model().dim
    expected = _expected_settings(settings, name, dim)
    rebuilt = _rebuild_reason(previous.manifest if previous else None, expected)
    if rebuilt:
        on_notice(f"rebuilding the whole index: {rebuilt}")
    usable = previous if previous is not None and not rebuilt else None
    return _Target(expected, rebuilt or damaged, usable)


@dataclass
class _Scan:
    """What a scan of the corpus found, each file classified as held (unchanged, reused as
    it is), new (added or changed: an entry to write) or failed."""

    held: dict[str, dict] = field(default_factory=dict)  # source → manifest record
    stats: dict[str, list[int] | None] = field(default_factory=dict)  # new: settled stat keys
    entries: list[Entry] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    contents: list[tuple[str, str]] = field(default_factory=list)  # (sha256, source) in order
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    def removed(self, old: dict[str, dict]) -> list[str]:
        """The ``old`` documents the corpus no longer has (a failed file counts as removed)."""
        return sorted(set(old) - set(self.held) - set(self.stats))


def _scan(settings: Settings, usable: Committed | None) -> _Scan:
    """Classify every corpus file against ``usable``'s documents. A file whose stat key is the
    recorded one is not read; only new content is loaded, chunked and tokenised."""
    corpus_dir = settings.corpus_dir
    old: dict[str, dict] = usable.manifest["documents"] if usable else {}
    by_sha = {info["sha256"]: source for source, info in old.items()}
    max_bytes = int(settings.max_file_mb * 1e6)
    ocr = configured(settings.ocr, settings.ocr_cache)
    corpus_root = corpus_dir.resolve()
    scan_started_ns = time.time_ns()
    found = _Scan()
    for path in discover(corpus_dir):
        source = path.relative_to(corpus_dir).as_posix()
        try:
            status, key = _stat_key(path, corpus_root)
            readable = status is not None and status.st_size <= max_bytes
            record = old.get(source)
            if record and key and record.get("stat") == key:
                sha = record["sha256"]
            else:  # an unreadable file is not hashed: load_document says why
                sha = file_sha256(path) if readable else ""
            settled = key if status and _settled(status, scan_started_ns) else None
            if record and record["sha256"] == sha:
                found.held[source] = {**record, "stat": settled}
                found.contents.append((sha, source))
                continue
            document = load_document(path, corpus_dir, max_bytes, ocr)
        except (DocumentError, OSError) as exc:
            found.failed.append(Failure(source, str(exc).splitlines()[0] if str(exc) else "error"))
            continue
        found.entries.append(_new_entry(document, settings, usable, by_sha))
        found.stats[source] = settled
        found.contents.append((document.sha256, source))
        (found.updated if source in old else found.added).append(source)
    return found


def _new_entry(
    document: Document, settings: Settings, usable: Committed | None, by_sha: dict[str, str]
) -> Entry:
    """Chunk and tokenise a new or changed document; when ``usable`` holds the same content
    under another name (``by_sha``: sha256 → source), its vectors are reused, not encoded."""
    chunks = chunk_document(document, settings.chunk_size, settings.chunk_overlap)
    entry = Entry(document, chunks)
    entry.tokens = [chunk_tokens(lexical_text(document, c)) for c in chunks]
    twin = by_sha.get(document.sha256)
    if usable and twin is not None:  # same content under another name: reuse vectors
        info = usable.manifest["documents"][twin]
        entry.vectors, entry.sentence_vectors = usable.segment(info["segment"]).arrays(
            info["position"]
        )
    return entry


def _nothing_to_write(usable: Committed | None, found: _Scan, removed: list[str]) -> bool:
    """Whether the committed generation already says all the scan found: no document added,
    changed or removed, and the same failures (they are recorded in the manifest too)."""
    failures_same = usable is not None and usable.manifest.get("failed") == [
        {"source": f.source, "error": f.error} for f in found.failed
    ]
    return bool(usable and not found.added and not found.updated and not removed and failures_same)


def _commit(
    index_dir: Path,
    target: _Target,
    found: _Scan,
    removed: list[str],
    model: Callable[[], Embedder],
    progress: bool,
    hnsw_from: int,
) -> tuple[str, int]:
    """Write a new generation when the scan found anything to change, encoding what needs it;
    (generation, chunks embedded). Otherwise only leftovers of killed writers are cleared."""
    usable = target.usable
    generation = usable.generation if usable else ""
    if _nothing_to_write(usable, found, removed):
        committed = {p.name for p in index_dir.glob("gen-*") if p.name <= generation}
        _prune(index_dir, keep=committed)
        return generation, 0
    encoding = time.perf_counter()
    embedded = _embed(found.entries, model, progress)
    rate = encode_rate(embedded, time.perf_counter() - encoding, usable)
    generation = write_generation(
        index_dir,
        usable,
        found.held,
        found.entries,
        found.stats,
        found.failed,
        target.expected,
        hnsw_from,
        {"encode_rate": rate} if rate else None,
    )
    return generation, embedded


# Encoding fewer chunks than this measures the model's load more than its speed.
_RATE_FROM = 32


def encode_rate(embedded: int, seconds: float, previous: Committed | None) -> float:
    """Chunks encoded per second on this machine, as the last update that encoded enough of
    them measured it (model loading included, as an upload pays it too), else the previous
    generation's figure, else 0 (unknown). What an upload's wait is estimated from."""
    if embedded >= _RATE_FROM and seconds > 0:
        return round(embedded / seconds, 2)
    return float(previous.manifest.get("encode_rate", 0.0)) if previous else 0.0


def _report(
    found: _Scan, removed: list[str], embedded: int, generation: str, rebuilt: str, started: float
) -> IndexReport:
    """Sum up an update for the user (``started``: its ``time.perf_counter()`` start)."""
    by_content: dict[str, list[str]] = {}
    for sha, source in found.contents:
        by_content.setdefault(sha, []).append(source)
    held, entries = found.held, found.entries
    return IndexReport(
        duplicates=tuple(tuple(g) for g in by_content.values() if len(g) > 1),
        added=tuple(found.added),
        updated=tuple(found.updated),
        removed=tuple(removed),
        unchanged=len(held),
        failed=tuple(found.failed),
        documents=len(held) + len(entries),
        chunks=sum(r["chunks"] for r in held.values()) + sum(len(e.chunks) for e in entries),
        embedded=embedded,
        seconds=time.perf_counter() - started,
        generation=generation,
        rebuilt=rebuilt,
        ignored=tuple((e.document.source, why) for e in entries for why in e.document.ignored),
    )


def update_index(
    settings: Settings,
    embedder: Callable[[], Embedder],
    progress: bool = False,
    wait: float = 0,
    on_notice: Callable[[str], None] = lambda message: None,
) -> IndexReport:
    """Bring the index in step with the corpus: embed only new content, reuse the rest.

    A document is known by its content's sha256; a file whose size, times and inode are those
    recorded when it was last hashed is taken as unchanged without reading it (as git does).
    Only one writer runs at a time (a file lock); ``wait`` is how long to wait for it. The
    model (``embedder()``) is only loaded once the lock is held, and only when there is text
    to encode or the index was built with another model: an update that finds nothing new,
    or only removals, takes no model load (most of a no-op run's time otherwise)."""
    started = time.perf_counter()
    index_dir, corpus_dir = settings.index_dir, settings.corpus_dir
    if not corpus_dir.is_dir():
        raise IndexProblem(f"corpus folder {corpus_dir} does not exist")
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = _lock(index_dir, wait)
    try:
        previous, damaged = _previous(index_dir, on_notice)
        model = functools.cache(embedder)  # loaded on first use, if any
        target = _target(settings, previous, model, on_notice, damaged)
        found = _scan(settings, target.usable)
        removed = found.removed(target.usable.manifest["documents"] if target.usable else {})
        generation, embedded = _commit(
            index_dir, target, found, removed, model, progress, settings.hnsw_from
        )
        return _report(found, removed, embedded, generation, target.rebuilt, started)
    except RowsCorrupt as exc:  # the previous generation broke after its checksum pass
        raise IndexCorrupt(f"{exc}; run `c5qa index` again to rebuild the index") from exc
    finally:
        lock.release()
