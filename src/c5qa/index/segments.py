"""Segments: the immutable pieces an index generation is made of.

A segment holds a batch of documents with everything derived from them: text and metadata,
chunks, chunk and sentence vectors, and each chunk's BM25 tokens. It is written once and never
changed: a later generation that keeps it hard-links its files, so an update writes (and
hashes) only what changed. A removed or changed document only leaves the generation's manifest;
its rows stay in the segment, dead, until the segment is rewritten.

Files of a segment directory::

    documents.json  the documents (metadata, full text, blocks), in segment order ("positions")
    chunks.npz      per chunk: document position, ordinal, offsets, location, sentence spans,
                    BM25 token ids into vocab.json
    vocab.json      the segment's own token vocabulary
    vectors.npy     one normalised float32 vector per chunk
    sentences.npy   one float16 vector per sentence of every chunk, in chunk order
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import overload

import numpy as np

from c5qa.index.lexical import token_ids
from c5qa.ingest.blocks import Block
from c5qa.ingest.chunking import Chunk
from c5qa.ingest.documents import Document

FILES = ("documents.json", "chunks.npz", "vocab.json", "vectors.npy", "sentences.npy")
# Sentence vectors only rank a passage's own sentences against the question: half precision
# (3 significant digits of a cosine) leaves answers unchanged at half the disk and hashing.
SENTENCE_DTYPE = np.float16
# The columns of a ChunkTable, beside the (n, 2) sentence spans.
_COLUMNS = {
    "source": np.int64,
    "ordinal": np.int32,
    "start": np.int64,
    "end": np.int64,
    "location": np.str_,
    "n_sentences": np.int64,
    "segment": np.int32,
    "sentence_row": np.int64,
}


@dataclass
class Entry:
    """One document of a segment being written, with its vectors and tokens once known."""

    document: Document
    chunks: list[Chunk]
    vectors: np.ndarray | None = None
    sentence_vectors: np.ndarray | None = None
    tokens: list[list[str]] | None = None  # per chunk


def _offsets(counts: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])


def document_record(document: Document) -> dict:
    """A document as a JSON object; each block is a compact ``[start, end, kind]`` triple."""
    return {
        **vars(document),
        "pages": list(document.pages),
        "blocks": [[b.start, b.end, b.kind] for b in document.blocks],
    }


def document_from_record(record: dict) -> Document:
    """The inverse of ``document_record``. A segment written before documents had blocks has no
    "blocks" key: its documents come back with none (``FORMAT_VERSION`` in ``store`` makes
    ``c5qa index`` re-read such an index, so this only matters for reading it meanwhile)."""
    blocks = tuple(
        Block(int(start), int(end), str(kind)) for start, end, kind in record.get("blocks", ())
    )
    later = {  # fields segments written before them do not hold
        "ignored": tuple(record.get("ignored", ())),
        "ocr_pages": tuple(record.get("ocr_pages", ())),
    }
    return Document(**{**record, "pages": tuple(record["pages"]), "blocks": blocks, **later})


def write(directory: Path, entries: Sequence[Entry], dim: int) -> None:
    """Write one segment; every entry must have its vectors and tokens."""
    if any(e.vectors is None or e.sentence_vectors is None or e.tokens is None for e in entries):
        raise ValueError("a segment entry lacks its vectors or tokens")
    directory.mkdir()
    documents = [document_record(e.document) for e in entries]
    (directory / "documents.json").write_text(json.dumps(documents, ensure_ascii=False))
    chunks = [c for e in entries for c in e.chunks]
    ids, n_tokens, vocab = token_ids([t for e in entries for t in e.tokens or ()])
    np.savez(
        directory / "chunks.npz",
        doc=np.repeat(np.arange(len(entries), dtype=np.int32), [len(e.chunks) for e in entries]),
        ordinal=np.array([c.ordinal for c in chunks], dtype=np.int32),
        start=np.array([c.start for c in chunks], dtype=np.int64),
        end=np.array([c.end for c in chunks], dtype=np.int64),
        location=np.array([c.location for c in chunks], dtype=str),
        n_sentences=np.array([len(c.sentences) for c in chunks], dtype=np.int64),
        spans=np.array([s for c in chunks for s in c.sentences], dtype=np.int64).reshape(-1, 2),
        tokens=ids,
        n_tokens=n_tokens,
    )
    (directory / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    vectors = [e.vectors for e in entries if e.vectors is not None]
    sentences = [e.sentence_vectors for e in entries if e.sentence_vectors is not None]
    np.save(
        directory / "vectors.npy",
        np.concatenate(vectors).astype(np.float32) if vectors else np.zeros((0, dim), np.float32),
    )
    np.save(
        directory / "sentences.npy",
        np.concatenate(sentences).astype(SENTENCE_DTYPE)
        if sentences
        else np.zeros((0, dim), SENTENCE_DTYPE),
    )


class Segment:
    """A written segment, read on demand: a writer that keeps it only needs its tokens."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @cached_property
    def columns(self) -> dict[str, np.ndarray]:
        """Every per-chunk column but the token ids, which only writers need."""
        with np.load(self.directory / "chunks.npz") as npz:
            columns = {name: npz[name] for name in npz.files if name != "tokens"}
        columns["sentence_offsets"] = _offsets(columns["n_sentences"])
        columns["token_offsets"] = _offsets(columns["n_tokens"])
        return columns

    def _token_ids(self) -> tuple[np.ndarray, list[str]]:
        with np.load(self.directory / "chunks.npz") as npz:
            ids = npz["tokens"]
        return ids, json.loads((self.directory / "vocab.json").read_text(encoding="utf-8"))

    def documents(self) -> list[Document]:
        records = json.loads((self.directory / "documents.json").read_text(encoding="utf-8"))
        return [document_from_record(r) for r in records]

    def vectors(self) -> np.ndarray:
        return np.load(self.directory / "vectors.npy", mmap_mode="r")

    def sentences(self) -> RowFile:
        return RowFile(self.directory / "sentences.npy")

    def rows(self, positions: Sequence[int]) -> np.ndarray:
        """Mask of the chunks that belong to the documents at ``positions``."""
        live = np.zeros(int(self.columns["doc"].max(initial=-1)) + 1, dtype=bool)
        live[np.asarray(positions, dtype=np.int64)] = True
        return live[self.columns["doc"]]

    def tokens(self, positions: Sequence[int]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Token ids, tokens per chunk and vocabulary of the chunks of ``positions``."""
        columns, rows = self.columns, self.rows(positions)
        ids, vocab = self._token_ids()
        return ids[np.repeat(rows, columns["n_tokens"])], columns["n_tokens"][rows], vocab

    def arrays(self, position: int) -> tuple[np.ndarray, np.ndarray]:
        """The chunk and sentence vectors of the document at ``position``."""
        columns = self.columns
        first, end = np.searchsorted(columns["doc"], [position, position + 1])
        offsets = columns["sentence_offsets"]
        return (
            np.array(self.vectors()[first:end], dtype=np.float32),
            self.sentences().rows(offsets[first], offsets[end]),
        )

    def entries(self, positions: Sequence[int]) -> list[Entry]:
        """The documents at ``positions`` (ascending) ready to be written into another segment,
        nothing recomputed: a rewrite only drops what is dead."""
        documents, columns = self.documents(), self.columns
        rows = self.rows(positions)
        live = {documents[p].source: documents[p] for p in positions}
        chunks = list(ChunkTable.select(live, [(self, [d.source for d in documents], rows)]))
        vectors = np.asarray(self.vectors()[rows], dtype=np.float32)
        sentences, sentence_offsets = self.sentences(), columns["sentence_offsets"]
        ids, words = self._token_ids()
        vocab, token_offsets = np.array(words, dtype=object), columns["token_offsets"]
        entries, cursor = [], 0
        for position in positions:
            first, end = (int(i) for i in np.searchsorted(columns["doc"], [position, position + 1]))
            taken = slice(cursor, cursor + end - first)
            tokens = [
                vocab[ids[token_offsets[i] : token_offsets[i + 1]]].tolist()
                for i in range(first, end)
            ]
            sentence_rows = sentences.rows(sentence_offsets[first], sentence_offsets[end])
            entries.append(
                Entry(documents[position], chunks[taken], vectors[taken], sentence_rows, tokens)
            )
            cursor = taken.stop
        return entries


class RowsCorrupt(ValueError):
    """Rows read on demand are not what was written: the file changed or broke after the
    checksum pass of the load (``store`` turns it into an ``IndexCorrupt`` refusal)."""


# How far an intact sentence vector's length may stray from 1. Each float16 component is within
# 2**-11 (relative) of the normalised float32 one, so an intact row's norm is within 4.9e-4 of 1
# (measured: 5.5e-5 at most on the seed corpus, 8.5e-5 on 200k random unit vectors). Twice the
# bound leaves margin; about half of all single-byte flips (every one that reaches a sign or
# exponent bit) leave it, and those that don't move one component by at most ~0.015.
NORM_TOLERANCE = 1e-3


class RowFile:
    """The rows of a 2-d ``.npy`` file of unit vectors, read on demand: only the sentences of
    retrieved chunks are ever needed. Not a memory map: the page cache holds the file in large
    folios (after the checksum pass reads it), and a fault maps a whole folio, so each lookup
    would add megabytes to resident memory until the whole file counted.

    The file was verified against its checksum when the generation was loaded, but it is read
    again for every question: each read is checked cheaply (the header is still the one read
    at open, every byte asked for came back, every row is a finite unit vector), so a file
    damaged while serving gives ``RowsCorrupt`` rather than wrong answers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("rb", buffering=0)  # closed when the store lets go of it
        version = np.lib.format.read_magic(self._file)
        if version == (1, 0):
            shape, _, self.dtype = np.lib.format.read_array_header_1_0(self._file)
        else:
            shape, _, self.dtype = np.lib.format.read_array_header_2_0(self._file)
        self._offset = self._file.tell()
        self._header = os.pread(self._file.fileno(), self._offset, 0)
        self._length, *self._row_shape = shape
        self._row_bytes = self.dtype.itemsize * math.prod(self._row_shape)

    def __len__(self) -> int:
        return self._length

    def rows(self, start: int, end: int) -> np.ndarray:
        """Rows ``start`` to ``end`` (clipped to the file), checked as the class says."""
        count = max(0, min(end, self._length) - start)
        size = count * self._row_bytes
        fd = self._file.fileno()
        if os.pread(fd, self._offset, 0) != self._header:
            raise RowsCorrupt(f"index file {self._name()} changed its header while serving")
        data = os.pread(fd, size, self._offset + start * self._row_bytes)
        if len(data) != size:
            raise RowsCorrupt(
                f"index file {self._name()} is truncated: {len(data)} of {size} bytes read"
            )
        rows = np.frombuffer(data, dtype=self.dtype).reshape(count, *self._row_shape)
        if count:  # sentence vectors are stored normalised; squared norms spare a sqrt
            flat = rows.reshape(count, -1).astype(np.float32)
            squares = np.einsum("ij,ij->i", flat, flat)
            low, high = (1 - NORM_TOLERANCE) ** 2, (1 + NORM_TOLERANCE) ** 2
            if not (low <= squares.min() and squares.max() <= high):  # NaN and inf fail too
                raise RowsCorrupt(
                    f"index file {self._name()} is corrupted: rows {start}-{end} are no "
                    "unit vectors"
                )
        return rows

    def _name(self) -> str:
        """The file as the user knows it: generation/segment/file."""
        return "/".join(self.path.parts[-3:])


class ChunkTable(Sequence[Chunk]):
    """Chunks kept as numpy columns and made into ``Chunk`` objects only when asked for:
    100k chunk objects, each with its text copied out of its document, cost hundreds of MB."""

    def __init__(
        self, documents: dict[str, Document], sources: list[str], columns: dict[str, np.ndarray]
    ) -> None:
        self._documents = documents
        self._sources = sources  # what the "source" column indexes
        self.columns = columns

    @classmethod
    def select(
        cls,
        documents: dict[str, Document],
        parts: Sequence[tuple[Segment, list[str], np.ndarray]],
    ) -> ChunkTable:
        """The chunks of several segments, each given with its documents' sources by position
        and the mask of its chunks to take, in that order."""
        sources: list[str] = []
        pieces = {name: [np.zeros(0, dtype)] for name, dtype in _COLUMNS.items()}
        pieces["spans"] = [np.zeros((0, 2), dtype=np.int64)]
        for number, (segment, segment_sources, rows) in enumerate(parts):
            c = segment.columns
            picked = {
                "source": c["doc"][rows].astype(np.int64) + len(sources),
                "ordinal": c["ordinal"][rows],
                "start": c["start"][rows],
                "end": c["end"][rows],
                "location": c["location"][rows],
                "n_sentences": c["n_sentences"][rows],
                "spans": c["spans"][np.repeat(rows, c["n_sentences"])],
                "segment": np.full(int(rows.sum()), number, dtype=np.int32),
                "sentence_row": c["sentence_offsets"][:-1][rows],
            }
            for name, values in picked.items():
                pieces[name].append(values)
            sources.extend(segment_sources)
        columns = {name: np.concatenate(values) for name, values in pieces.items()}
        columns["span_offsets"] = _offsets(columns.pop("n_sentences"))
        return cls(documents, sources, columns)

    def __len__(self) -> int:
        return len(self.columns["start"])

    def ranges(self) -> dict[str, tuple[int, int]]:
        """source → its chunk id range (a document's chunks are always consecutive)."""
        source = self.columns["source"]
        cuts = np.flatnonzero(np.diff(source)) + 1
        firsts, ends = [0, *cuts.tolist()], [*cuts.tolist(), len(source)]
        return {self._sources[source[a]]: (a, b) for a, b in zip(firsts, ends, strict=True) if b}

    def misplaced(self) -> int | None:
        """The first chunk whose offsets leave its document's text, or whose sentences leave
        the chunk; None when every chunk fits."""
        c = self.columns
        known = [self._documents.get(s) for s in self._sources]  # dead documents: None
        lengths = np.array([len(d.text) if d else 0 for d in known], dtype=np.int64)[c["source"]]
        bad = (c["start"] < 0) | (c["end"] > lengths) | (c["start"] >= c["end"])
        owner = np.repeat(np.arange(len(self)), np.diff(c["span_offsets"]))
        spans = c["spans"]
        outside = (spans[:, 0] < c["start"][owner]) | (spans[:, 1] > c["end"][owner])
        bad[owner[outside]] = True
        return int(np.argmax(bad)) if bad.any() else None

    @overload
    def __getitem__(self, index: int) -> Chunk: ...

    @overload
    def __getitem__(self, index: slice) -> list[Chunk]: ...

    def __getitem__(self, index: int | slice) -> Chunk | list[Chunk]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        c = self.columns
        source = self._sources[c["source"][index]]
        start, end = int(c["start"][index]), int(c["end"][index])
        first, last = c["span_offsets"][index], c["span_offsets"][index + 1]
        return Chunk(
            source=source,
            ordinal=int(c["ordinal"][index]),
            start=start,
            end=end,
            text=self._documents[source].text[start:end],
            location=str(c["location"][index]),
            sentences=tuple((s, e) for s, e in c["spans"][first:last].tolist()),
        )
