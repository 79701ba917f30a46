"""Stage 6: ranked passages become a short extractive answer in which every sentence is quoted
verbatim from a passage and followed by that passage's ``[n]`` marker. No LLM: what the answer
says is exactly what the corpus says, or it says plainly that the corpus does not answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from c5qa.index import IndexStore
from c5qa.retrieval import Passage

ABSTAIN_TEXT = (
    "The corpus does not appear to answer this question. The closest material it holds is "
    "listed below, but none of it addresses the question directly."
)


@dataclass(frozen=True)
class Citation:
    """One quoted sentence: ``text == document.text[start:end]`` and it lies in passage ``n``."""

    n: int
    source: str
    start: int
    end: int
    text: str
    score: float


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    abstained: bool
    passages: tuple[Passage, ...]
    citations: tuple[Citation, ...] = ()

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "passages": [p.to_json(n) for n, p in enumerate(self.passages, start=1)],
        }


@dataclass(frozen=True)
class _Candidate:
    n: int
    passage: Passage
    start: int
    end: int
    relevance: float
    vector: np.ndarray


def _candidates(store: IndexStore, query: np.ndarray, passages: tuple[Passage, ...]):
    seen: set[tuple[str, int, int]] = set()
    out: list[_Candidate] = []
    for n, passage in enumerate(passages, start=1):
        vectors = store.chunk_sentence_vectors(passage.chunk_id)
        for (start, end), vector in zip(passage.sentences, vectors, strict=True):
            key = (passage.source, start, end)
            if key in seen:  # overlapping chunks repeat sentences: cite the better-ranked one
                continue
            seen.add(key)
            out.append(_Candidate(n, passage, start, end, float(vector @ query), vector))
    return out


def _mmr(candidates: list[_Candidate], limit: int, floor: float, diversity: float = 0.3):
    """Maximal marginal relevance: relevant sentences that do not repeat each other."""
    chosen: list[_Candidate] = []
    pool = [c for c in candidates if c.relevance >= floor]
    while pool and len(chosen) < limit:

        def gain(c: _Candidate) -> float:
            redundancy = max((float(c.vector @ s.vector) for s in chosen), default=0.0)
            return (1 - diversity) * c.relevance - diversity * redundancy

        best = max(pool, key=gain)
        chosen.append(best)
        pool.remove(best)
    return chosen


def compose(
    question: str,
    query: np.ndarray,
    passages: list[Passage],
    store: IndexStore,
    max_sentences: int = 5,
    abstain_below: float = 0.3,
) -> Answer:
    passages_t = tuple(passages)
    if not passages_t or passages_t[0].score < abstain_below:
        return Answer(question, ABSTAIN_TEXT, True, passages_t)
    candidates = _candidates(store, query, passages_t)
    if not candidates:
        return Answer(question, ABSTAIN_TEXT, True, passages_t)
    top = max(c.relevance for c in candidates)
    chosen = _mmr(candidates, max_sentences, floor=max(top - 0.2, abstain_below * 0.8))
    lead, rest = chosen[0], sorted(chosen[1:], key=lambda c: (c.n, c.start))
    lines: list[str] = []
    previous_n = None
    for c in [lead, *rest]:
        sentence = f"{c.passage.text[c.start - c.passage.start : c.end - c.passage.start]} [{c.n}]"
        if previous_n is not None and c.n == previous_n:
            lines[-1] += " " + sentence
        else:
            lines.append(sentence)
        previous_n = c.n
    citations = tuple(
        Citation(
            c.n,
            c.passage.source,
            c.start,
            c.end,
            c.passage.text[c.start - c.passage.start : c.end - c.passage.start],
            c.relevance,
        )
        for c in [lead, *rest]
    )
    return Answer(question, "\n\n".join(lines), False, passages_t, citations)
