"""Stage 5: a question becomes ranked, fully cited passages.

A ``Passage`` carries everything a citation needs (title, publisher, date, location, offsets),
so nothing after this stage has to look the document up again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import faiss
import numpy as np

from c5qa.index.store import IndexStore
from c5qa.ingest.chunking import Span, page_span
from c5qa.ingest.documents import Document
from c5qa.query.request import Filters
from c5qa.query.terms import Terms
from c5qa.settings import Settings


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
    ocr: bool = False  # its text was read by OCR from a page's image (check it against the file)


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
        ocr=_on_ocr_page(doc, chunk.start, chunk.end),
    )


def _on_ocr_page(document: Document, start: int, end: int) -> bool:
    """Whether any page the stretch ``start:end`` of ``document`` covers was read by OCR."""
    first, last = page_span(document.pages, start, end)
    return any(first <= page <= last for page in document.ocr_pages)


def allowed_ids(store: IndexStore, filters: Filters) -> np.ndarray:
    ranges = [store.ranges[s] for s, d in store.documents.items() if filters.admits(d)]
    ids = [np.arange(a, b, dtype=np.int64) for a, b in ranges if b > a]
    return np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Query:
    """A question ready for search: its terms and vector. For a follow-up, ``context`` is the
    earlier question, ``weight`` how much the question alone counts against "context +
    question", and ``own`` the question's vector without its context (encoded with it);
    ``about`` the vector of what it asks of the documents it names."""

    terms: Terms
    vector: np.ndarray
    context: Terms | None = None
    weight: float = 1.0
    own: np.ndarray | None = None
    about: np.ndarray | None = None  # what it asks of the documents it names, when it names any

    @property
    def alone(self) -> np.ndarray:
        """The question's own vector: a follow-up's sentences are ranked by it within the
        documents of the turn it continues."""
        return self.vector if self.own is None else self.own

    @property
    def topic(self) -> np.ndarray:
        """The vector the named documents' sentences are ranked by."""
        if self.about is None:
            return self.alone
        both = self.alone + self.about
        return (both / np.linalg.norm(both)).astype(np.float32)


@dataclass(frozen=True)
class Retrieval:
    """How to search: "dense", "bm25" or "hybrid"; for hybrid, "convex" combination of cosine
    and max-normalised BM25 (``alpha`` weighs the dense side) or reciprocal-rank fusion over
    ``candidates`` from each side; ``year_boost`` is added to the fused score of passages from a
    document dated in a year the question names ("in September 2022" is about 2022's meeting
    more than another year's on the topic); filtered HNSW searches over fewer than
    ``exact_below`` chunks are done exactly. Every value comes from ``Settings``."""

    mode: str
    fusion: str
    alpha: float
    candidates: int
    rrf_k: int
    year_boost: float
    exact_below: int

    @classmethod
    def of(cls, settings: Settings, mode: str | None = None) -> Retrieval:
        s = settings
        return cls(
            mode or s.retrieval, s.fusion, s.fusion_alpha, s.fusion_candidates, s.rrf_k,
            s.year_boost, s.exact_filtered_below,
        )  # fmt: skip

    def replace(self, **changes: object) -> Retrieval:
        return dataclasses.replace(self, **changes)


def dense_search(
    store: IndexStore,
    query: np.ndarray,
    k: int,
    filters: Filters | None = None,
    exact_below: int = 0,
) -> list[tuple[int, float]]:
    """(chunk id, cosine) pairs, best first."""
    query = query.reshape(1, -1).astype(np.float32)
    params = None
    if filters:
        ids = allowed_ids(store, filters)
        if len(ids) == 0:
            return []
        if isinstance(store.vectors, faiss.IndexHNSW) and len(ids) <= exact_below:
            # A narrow filter starves the HNSW graph walk: score the allowed chunks exactly.
            scores = store.vectors.reconstruct_batch(ids) @ query[0]
            order = np.argsort(-scores, kind="stable")[:k]
            return [(int(ids[i]), float(scores[i])) for i in order]
        selector = faiss.IDSelectorBatch(ids)
        if isinstance(store.vectors, faiss.IndexHNSW):
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=store.vectors.hnsw.efSearch)
        else:
            params = faiss.SearchParameters(sel=selector)
    k = min(k, store.vectors.ntotal)
    if k <= 0:
        return []
    scores, ids = store.vectors.search(query, k, params=params)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


def lexical_scores(store: IndexStore, query: Query, filters: Filters | None = None) -> np.ndarray:
    """BM25 score of every chunk (0 outside the filters). For a follow-up, the earlier
    question's own terms join at a lower weight, so the new question's terms stay decisive."""
    tokens = list(query.terms.terms)
    scores = store.lexical.scores(tokens)
    for token in store.acronyms.asked(query.terms.written):
        if token in tokens:
            scores = scores + _spelled_out(store, token, scores.shape[0])
    if query.context is not None and query.context.text and query.weight < 1:
        extra = [t for t in query.context.terms if t not in set(tokens)]
        scores = scores + (1 - query.weight) * store.lexical.scores(extra)
    if filters:
        mask = np.zeros(len(scores), dtype=bool)
        mask[allowed_ids(store, filters)] = True
        scores = np.where(mask, scores, 0.0)
    return scores


def _spelled_out(store: IndexStore, token: str, n: int) -> np.ndarray:
    """What an acronym's long form adds where a chunk spells it out and uses the acronym
    less: "TIFA" finds the statement that only writes "Trade and Investment Framework
    Agreement". The long form counts at the mean BM25 weight of its words, one term among the
    question's."""
    parts = [store.lexical.scores([word]) for word in sorted(store.acronyms.words(token))]
    extra = np.zeros(n)
    for i in np.flatnonzero(np.all([part > 0 for part in parts], axis=0)):
        if store.acronyms.spells(token, store.chunks[int(i)].text):
            extra[i] = sum(float(part[i]) for part in parts) / len(parts)
    return np.maximum(extra - store.lexical.scores([token]), 0.0)


def _top(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    k = min(k, int(np.count_nonzero(scores > 0)))
    if k <= 0:
        return []
    ids = np.argpartition(-scores, k - 1)[:k]
    ids = ids[np.argsort(-scores[ids], kind="stable")]
    return [(int(i), float(scores[i])) for i in ids]


def fuse(
    dense: dict[int, float], lexical: dict[int, float], how: Retrieval
) -> list[tuple[int, float]]:
    """Combine two complete score maps over the same candidates into one ranking."""
    if how.fusion == "rrf":
        fused: dict[int, float] = dict.fromkeys(dense, 0.0)
        for scores in (dense, lexical):
            ranked = sorted(scores, key=lambda i: -scores[i])
            for rank, i in enumerate(ranked, start=1):
                if scores[i] > 0 or scores is dense:
                    fused[i] += 1 / (how.rrf_k + rank)
    else:
        top = max(lexical.values(), default=0.0) or 1.0
        fused = {i: how.alpha * dense[i] + (1 - how.alpha) * lexical[i] / top for i in dense}
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def search(
    store: IndexStore,
    query: Query,
    k: int,
    filters: Filters | None,
    how: Retrieval,
) -> list[tuple[int, float]]:
    """Ranked (chunk id, score) pairs by the chosen mode."""
    if how.mode == "dense":
        return dense_search(store, query.vector, k, filters, how.exact_below)
    lexical = lexical_scores(store, query, filters)
    if how.mode == "bm25":
        return _top(lexical, k)
    pool = max(how.candidates, k)
    ids = {i for i, _ in dense_search(store, query.vector, pool, filters, how.exact_below)}
    ids |= {i for i, _ in _top(lexical, pool)}
    if not ids:
        return []
    ordered = sorted(ids)
    cosines = store.chunk_vectors(ordered) @ query.vector
    dense = dict(zip(ordered, map(float, cosines), strict=True))
    fused = fuse(dense, {i: float(lexical[i]) for i in ordered}, how)
    years = set(query.terms.years)
    if how.year_boost and years:
        dated = {i: store.documents[store.chunks[i].source].date[:4] in years for i in ordered}
        fused = sorted(
            ((i, score + how.year_boost * dated[i]) for i, score in fused),
            key=lambda item: (-item[1], item[0]),
        )
    return fused[:k]
