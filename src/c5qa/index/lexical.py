"""The lexical side of retrieval: BM25 (bm25s) over the same chunks as the dense index.

Dense vectors blur exact names, numbers and acronyms ("Wabtec", "$4.2 billion", "TRIPP",
"C5+1"); BM25 keeps them, so the tokenizer is careful to leave such tokens whole.

BM25's idf and average length are corpus-wide, so every index update rebuilds the scores of
all chunks. Tokenising is the slow part of that, so callers keep each chunk's token ids and
``from_ids`` rebuilds the scores from them in a few vectorised passes.

The index goes through bm25s's public ``BM25.index``; ``VectorisedBM25`` only overrides
``build_index_from_ids``, which bm25s documents as the method to override to build the index
another way, because bm25s's own loops over documents in Python: about 0.5 s against 0.06 s
on 12k chunks, paid on every update.
"""

from __future__ import annotations

import json
import math
from collections.abc import KeysView, Sequence
from pathlib import Path
from typing import ClassVar

import bm25s
import numpy as np
from bm25s.tokenization import Tokenized

from c5qa.ingest.tokens import tokenize


def chunk_tokens(text: str) -> list[str]:
    """What BM25 counts for one chunk; a chunk without a single token counts as one empty
    token, as bm25s itself does, so the average length and every score stay the same."""
    return tokenize(text) or [""]


def token_ids(docs: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Token lists as (flat ids, tokens per doc, vocabulary): compact to keep and to reload."""
    vocab: dict[str, int] = {}
    ids = np.fromiter(
        (vocab.setdefault(t, len(vocab)) for doc in docs for t in doc), dtype=np.int32
    )
    return ids, np.array([len(doc) for doc in docs], dtype=np.int64), list(vocab)


def concat_token_ids(
    parts: Sequence[tuple[np.ndarray, np.ndarray, Sequence[str]]],
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Several ``token_ids`` results, each with its own vocabulary, as one."""
    vocab: dict[str, int] = {}
    ids, lengths = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for part_ids, part_lengths, part_vocab in parts:
        renumber = np.array([vocab.setdefault(t, len(vocab)) for t in part_vocab], np.int64)
        ids.append(renumber[part_ids] if len(part_ids) else np.zeros(0, np.int64))
        lengths.append(np.asarray(part_lengths, dtype=np.int64))
    return np.concatenate(ids), np.concatenate(lengths), list(vocab)


def lucene_idf(doc_freq: int, n_docs: int) -> float:
    """BM25's idf as Lucene computes it (bm25s's default "lucene" method): never negative, so
    a token in most chunks still counts a little. The one formula both the scores and
    ``LexicalIndex.idf`` use, so a term's weight in an answer matches its weight in retrieval;
    a token no chunk uses (``doc_freq`` 0) gets the highest idf."""
    return math.log(1 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def _lucene_tfc(
    tf: np.ndarray, doc_len: np.ndarray, avg_len: float, k1: float, b: float
) -> np.ndarray:
    """BM25's term-frequency component (Lucene's, the same as Robertson's), written in the
    order bm25s evaluates it so every score rounds to the same float32."""
    return tf / (k1 * ((1 - b) + b * doc_len / avg_len) + tf)


def _split(ids: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    """Flat ids as one view per document; slicing is several times faster than ``np.split``."""
    ends = np.cumsum(lengths, dtype=np.int64).tolist()
    return [ids[start:end] for start, end in zip([0, *ends][:-1], ends, strict=True)]


class VectorisedBM25(bm25s.BM25):
    """``bm25s.BM25`` whose index is counted with numpy rather than a Python loop per document.

    bm25s documents ``build_index_from_ids`` as the method to override to build the index
    another way; this override returns the very matrix bm25s's would (same layout, same float32
    scores, see tests/test_lexical.py) in a few vectorised passes. Only the "lucene" method is
    implemented, the one ``LexicalIndex`` uses and whose idf ``lucene_idf`` is."""

    def build_index_from_ids(
        self,
        unique_token_ids: list[int],
        corpus_token_ids: Sequence[Sequence[int]],
        show_progress: bool = True,
        leave_progress: bool = False,
    ) -> dict:
        """The CSC score matrix (one column per token, documents ascending) as bm25s stores it;
        ``corpus_token_ids`` may hold numpy arrays, which spares converting them to lists."""
        if self.method != "lucene" or self.idf_method != "lucene":
            raise ValueError(f"VectorisedBM25 computes lucene BM25 only, not {self.method!r}")
        n_docs, n_vocab = len(corpus_token_ids), len(unique_token_ids)
        lengths = np.fromiter(map(len, corpus_token_ids), dtype=np.int64, count=n_docs)
        ids = np.concatenate(corpus_token_ids).astype(np.int64) if n_docs else np.zeros(0, np.int64)
        docs = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
        # Keys ordered token first, then document: the order of bm25s's column-major matrix.
        keys, tf = np.unique(ids * max(n_docs, 1) + docs, return_counts=True)
        token, doc = np.divmod(keys, max(n_docs, 1))
        df = np.bincount(token, minlength=n_vocab)
        distinct, which = np.unique(df, return_inverse=True)  # few distinct doc frequencies
        idf = np.array([lucene_idf(int(d), n_docs) for d in distinct], dtype=self.dtype)[which]
        tfc = _lucene_tfc(
            tf.astype(self.dtype),
            lengths[doc].astype(np.float64),
            float(lengths.mean()) if n_docs else 1.0,
            self.k1,
            self.b,
        )
        # The base method sets this too: only the BM25L and BM25+ variants have one.
        self.nonoccurrence_array = None
        return {
            "data": (idf[token] * tfc).astype(self.dtype),
            "indices": doc.astype(self.int_dtype),
            "indptr": np.concatenate([[0], np.cumsum(df)]).astype(np.int64),
            "num_docs": n_docs,
        }


class LexicalIndex:
    """BM25 scores for every chunk, plus how much of a question the corpus covers at all."""

    K1, B = 1.2, 0.75
    # Recorded in the manifest: a change here makes the next `c5qa index` rebuild.
    SIGNATURE: ClassVar[dict] = {
        "library": "bm25s",
        "k1": K1,
        "b": B,
        "tokenizer": 1,
        "text": "title+chunk",
    }

    def __init__(self, bm25: bm25s.BM25, n_docs: int) -> None:
        self.bm25 = bm25
        self.n_docs = n_docs
        self._vocab: dict[str, int] = bm25.vocab_dict
        # bm25s keeps a CSC matrix with one column per token: a column's length is its doc freq.
        self._doc_freq = np.diff(np.asarray(bm25.scores["indptr"]))

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        return cls.from_ids(*token_ids([chunk_tokens(t) for t in texts]))

    @classmethod
    def from_ids(cls, ids: np.ndarray, lengths: np.ndarray, vocab: Sequence[str]) -> LexicalIndex:
        """The index of the documents ``lengths`` cuts the flat token ``ids`` into, built in
        tens of ms on 12k chunks (see ``VectorisedBM25``). Tokens of ``vocab`` that no document
        uses are left out and the rest renumbered in ``vocab`` order, as bm25s's own index of
        the token lists would leave them out; no empty token is added, so the vocabulary holds
        exactly the tokens scored."""
        n_docs = len(lengths)
        ids = np.asarray(ids, dtype=np.int64)
        used = np.flatnonzero(np.bincount(ids, minlength=len(vocab)))
        compact = np.zeros(len(vocab), dtype=np.int64)
        compact[used] = np.arange(len(used))
        docs = _split(compact[ids], lengths)
        bm25 = VectorisedBM25(k1=cls.K1, b=cls.B, method="lucene")
        tokenized = Tokenized(ids=docs, vocab={vocab[t]: i for i, t in enumerate(used.tolist())})
        bm25.index(tokenized, create_empty_token=False, show_progress=False)
        return cls(bm25, n_docs)

    def save(self, directory: Path) -> None:
        self.bm25.save(str(directory), show_progress=False)
        (directory / "count.json").write_text(json.dumps({"documents": self.n_docs}))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        bm25 = bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)
        count = json.loads((directory / "count.json").read_text())["documents"]
        return cls(bm25, count)

    @property
    def vocabulary(self) -> KeysView[str]:
        """Every token some chunk holds: a read-only view, for telling which words the corpus
        uses at all without reaching into bm25s."""
        return self._vocab.keys()

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        known = [t for t in query_tokens if t in self._vocab]
        if not known or self.n_docs == 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)

    def idf(self, token: str) -> float:
        """BM25's idf of a token; a token the corpus never uses gets the highest idf."""
        column = self._vocab.get(token)
        doc_freq = 0 if column is None else int(self._doc_freq[column])
        return lucene_idf(doc_freq, self.n_docs)
