"""Stage 5: a question becomes ranked, fully cited passages.

A ``Passage`` carries everything a citation needs (title, publisher, date, location, offsets),
so nothing after this stage has to look the document up again.
"""

from __future__ import annotations

from dataclasses import dataclass

import faiss
import numpy as np

from c5qa.chunking import Span
from c5qa.documents import Document
from c5qa.index import IndexStore


@dataclass(frozen=True)
class Filters:
    """Restrict a search to some documents and/or a date range (inclusive, ISO prefixes:
    "2023" or "2023-09" match every date that starts that way)."""

    sources: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""

    def __bool__(self) -> bool:
        return bool(self.sources or self.date_from or self.date_to)

    def admits(self, document: Document) -> bool:
        if self.sources and document.source not in self.sources:
            return False
        date = document.date
        if (self.date_from or self.date_to) and not date:
            return False
        if self.date_from and date[: len(self.date_from)] < self.date_from:
            return False
        return not (self.date_to and date[: len(self.date_to)] > self.date_to)


@dataclass(frozen=True)
class Passage:
    chunk_id: int
    source: str
    title: str
    date: str
    publisher: str
    url: str
    partial: bool
    location: str
    start: int
    end: int
    text: str
    score: float
    sentences: tuple[Span, ...]  # absolute offsets into the document text

    def to_json(self, n: int) -> dict:
        return {
            "n": n,
            "source": self.source,
            "title": self.title,
            "date": self.date,
            "publisher": self.publisher,
            "location": self.location,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "score": round(float(self.score), 4),
        }


def make_passage(store: IndexStore, chunk_id: int, score: float) -> Passage:
    chunk = store.chunks[chunk_id]
    doc = store.documents[chunk.source]
    return Passage(
        chunk_id=chunk_id,
        source=doc.source,
        title=doc.title,
        date=doc.date,
        publisher=doc.publisher,
        url=doc.url,
        partial=doc.partial,
        location=chunk.location,
        start=chunk.start,
        end=chunk.end,
        text=chunk.text,
        score=float(score),
        sentences=chunk.sentences,
    )


def allowed_ids(store: IndexStore, filters: Filters) -> np.ndarray:
    ranges = [store.ranges[s] for s, d in store.documents.items() if filters.admits(d)]
    ids = [np.arange(a, b, dtype=np.int64) for a, b in ranges if b > a]
    return np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)


def dense_search(
    store: IndexStore, query: np.ndarray, k: int, filters: Filters | None = None
) -> list[tuple[int, float]]:
    """(chunk id, cosine) pairs, best first."""
    params = None
    if filters:
        ids = allowed_ids(store, filters)
        if len(ids) == 0:
            return []
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(ids))
    k = min(k, store.vectors.ntotal)
    if k <= 0:
        return []
    scores, ids = store.vectors.search(query.reshape(1, -1).astype(np.float32), k, params=params)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
