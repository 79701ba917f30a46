"""Stage 5: a question becomes ranked, fully cited passages.

A ``Passage`` carries everything a citation needs (title, publisher, date, location, offsets),
so nothing after this stage has to look the document up again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import faiss
import numpy as np
from bm25s.stopwords import STOPWORDS_EN_PLUS

from c5qa.index.lexical import tokenize
from c5qa.index.store import IndexStore
from c5qa.ingest.chunking import Span
from c5qa.ingest.documents import Document

YEAR = re.compile(r"\b(?:19|20)\d{2}\b")  # a year as questions and documents write it
EXACT_FILTERED = 20_000  # filtered HNSW searches over fewer chunks are done exactly

# How a question is asked, not what it is about: "how" and "has" match "discussed how to" and
# "has been", and the possessive "s" of "Afghanistan's" matches every possessive. The corpus
# rarely uses them, so BM25 gives them a high idf and they outweigh the question's topic. The
# full English stopword list (NLTK's, as bm25s ships it) goes here rather than into the index's
# tokenizer, which keeps the short list that BM25 is tuned with; the verbs of asking ("say",
# "tell", "mention") frame a question the same way.
_ASKING = ["whose", "could", "would", "say", "says", "said", "tell", "mention", "anything"]
QUESTION_WORDS = frozenset(t for word in (*STOPWORDS_EN_PLUS, *_ASKING) for t in tokenize(word))
# In a question, the kind of answer a "which"/"what" asks for ("on what day", "in which city",
# "which cooperative body") and the light verb of "which officials took part", "what position
# did they take": the documents state the day or the city, they rarely call it one. Only in a
# question: in a statement "body" or "type" may be the topic ("type 2 diabetes").
_FOCUS = re.compile(
    r"\b(?:which|what)\s+(?:[\w-]+\s+)?(?P<focus>days?|city|cities|organi[sz]ations?|bod(?:y|ies)|"
    r"officials?|persons?|names?|positions?|kinds?|types?)\b",
    re.IGNORECASE,
)
_LIGHT_VERBS = frozenset(tokenize("take takes took taking get gets got getting go goes went"))
_QUESTION = re.compile(
    r"\?\s*$|^\W*(?:who|whom|whose|what|which|when|where|why|how|did|does|do|is|are|was|were|"
    r"has|have|had|can|could|will|would|should)\b",
    re.IGNORECASE,
)


def content_terms(text: str) -> list[str]:
    """The tokens of a question that say what it is about."""
    if not _QUESTION.search(text):
        return [t for t in tokenize(text) if t not in QUESTION_WORDS]
    text = _FOCUS.sub(lambda m: m.group(0)[: m.start("focus") - m.start()], text)
    return [t for t in tokenize(text) if t not in QUESTION_WORDS and t not in _LIGHT_VERBS]


@dataclass(frozen=True)
class Filters:
    """Restrict a search to some documents and/or a date range (inclusive, ISO prefixes:
    "2023" or "2023-09" match every date that starts that way)."""

    sources: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""
    kinds: tuple[str, ...] = ()  # only documents of these kinds ("analysis", …)
    exclude_kinds: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(
            self.sources or self.date_from or self.date_to or self.kinds or self.exclude_kinds
        )

    def admits(self, document: Document) -> bool:
        if self.sources and document.source not in self.sources:
            return False
        if (self.kinds and document.kind not in self.kinds) or document.kind in self.exclude_kinds:
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


@dataclass(frozen=True)
class Query:
    """A question ready for search. For a follow-up, ``context`` is the earlier question and
    ``weight`` how much the question alone counts against "context + question"."""

    text: str
    vector: np.ndarray
    context: str = ""
    weight: float = 1.0


@dataclass(frozen=True)
class Retrieval:
    """How to search: "dense", "bm25" or "hybrid"; for hybrid, "convex" combination of cosine
    and max-normalised BM25 (``alpha`` weighs the dense side) or reciprocal-rank fusion."""

    mode: str = "hybrid"
    fusion: str = "convex"
    alpha: float = 0.5
    candidates: int = 50
    rrf_k: int = 60
    # Added to the fused score of passages from a document dated in a year the question names:
    # "in September 2022" is about 2022's meeting more than about another year's on the topic.
    year_boost: float = 0.0


def dense_search(
    store: IndexStore, query: np.ndarray, k: int, filters: Filters | None = None
) -> list[tuple[int, float]]:
    """(chunk id, cosine) pairs, best first."""
    query = query.reshape(1, -1).astype(np.float32)
    params = None
    if filters:
        ids = allowed_ids(store, filters)
        if len(ids) == 0:
            return []
        if isinstance(store.vectors, faiss.IndexHNSW) and len(ids) <= EXACT_FILTERED:
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
    tokens = content_terms(query.text)
    scores = store.lexical.scores(tokens)
    for token in store.acronyms.asked(query.text):
        if token in tokens:
            scores = scores + _spelled_out(store, token, scores.shape[0])
    if query.context and query.weight < 1:
        extra = [t for t in content_terms(query.context) if t not in set(tokens)]
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
    filters: Filters | None = None,
    how: Retrieval = Retrieval(),
) -> list[tuple[int, float]]:
    """Ranked (chunk id, score) pairs by the chosen mode."""
    if how.mode == "dense":
        return dense_search(store, query.vector, k, filters)
    lexical = lexical_scores(store, query, filters)
    if how.mode == "bm25":
        return _top(lexical, k)
    pool = max(how.candidates, k)
    ids = {i for i, _ in dense_search(store, query.vector, pool, filters)}
    ids |= {i for i, _ in _top(lexical, pool)}
    if not ids:
        return []
    ordered = sorted(ids)
    cosines = store.chunk_vectors(ordered) @ query.vector
    dense = dict(zip(ordered, map(float, cosines), strict=True))
    fused = fuse(dense, {i: float(lexical[i]) for i in ordered}, how)
    years = set(YEAR.findall(query.text))
    if how.year_boost and years:
        dated = {i: store.documents[store.chunks[i].source].date[:4] in years for i in ordered}
        fused = sorted(
            ((i, score + how.year_boost * dated[i]) for i, score in fused),
            key=lambda item: (-item[1], item[0]),
        )
    return fused[:k]
