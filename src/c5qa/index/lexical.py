"""The lexical side of retrieval: BM25 (bm25s) over the same chunks as the dense index.

Dense vectors blur exact names, numbers and acronyms ("Wabtec", "$4.2 billion", "TRIPP",
"C5+1"); BM25 keeps them, so the tokenizer is careful to leave such tokens whole.

BM25's idf and average length are corpus-wide, so every index update rebuilds the scores of
all chunks. Tokenising is the slow part of that, so callers keep each chunk's token ids and
``from_ids`` rebuilds the scores from them in a few vectorised passes.
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import bm25s
import numpy as np
import Stemmer
from bm25s.scoring import _select_idf_scorer, _select_tfc_scorer
from bm25s.stopwords import STOPWORDS_EN

# Numbers keep their separators ("4.2", "1,000"); words keep inner "." and "+" ("u.s", "c5+1").
_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:[+.][^\W_]+)*")
_STOPWORDS = frozenset(STOPWORDS_EN)
PUNCTUATION = string.punctuation + "“”‘’"  # what surrounds a word as a person typed it
_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(token: str) -> str:
    return token if any(ch.isdigit() or ch in ".+" for ch in token) else _stemmer.stemWord(token)


def tokenize(text: str) -> list[str]:
    tokens = []
    for match in _TOKEN.finditer(text.lower().replace("’", "'")):
        token = match.group()
        if token not in _STOPWORDS:
            tokens.append(_stem(token))
    return tokens


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
        """The scores bm25s's own ``index`` computes, counted with numpy instead of a Python
        loop per document (seconds → tens of ms on 12k chunks); bm25s's idf and tf formulas.
        Tokens of ``vocab`` that no document uses are left out, as bm25s would."""
        bm25 = bm25s.BM25(k1=cls.K1, b=cls.B)
        n_docs = len(lengths)
        ids = np.asarray(ids, dtype=np.int64)
        used = np.flatnonzero(np.bincount(ids, minlength=len(vocab)))
        compact = np.zeros(len(vocab), dtype=np.int64)
        compact[used] = np.arange(len(used))
        docs = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
        # Keys ordered token first, then document: the order of bm25s's column-major matrix.
        keys, tf = np.unique(compact[ids] * max(n_docs, 1) + docs, return_counts=True)
        token, doc = keys // max(n_docs, 1), keys % max(n_docs, 1)
        df = np.bincount(token, minlength=len(used))
        idf_of = _select_idf_scorer(bm25.idf_method)
        distinct, which = np.unique(df, return_inverse=True)  # few distinct doc frequencies
        idf = np.array([idf_of(int(d), N=n_docs) for d in distinct], dtype=bm25.dtype)[which]
        tfc = _select_tfc_scorer(bm25.method)(
            tf_array=tf.astype(bm25.dtype),
            l_d=lengths[doc].astype(np.float64),
            l_avg=float(lengths.mean()) if n_docs else 1.0,
            k1=bm25.k1,
            b=bm25.b,
        )
        bm25.scores = {
            "data": (idf[token] * tfc).astype(bm25.dtype),
            "indices": doc.astype(np.int32),
            "indptr": np.concatenate([[0], np.cumsum(df)]).astype(np.int64),
            "num_docs": n_docs,
        }
        bm25.vocab_dict = {vocab[t]: i for i, t in enumerate(used.tolist())}
        bm25.unique_token_ids_set = set(bm25.vocab_dict.values())
        bm25.nonoccurrence_array = None  # only the BM25L and BM25+ variants use it
        return cls(bm25, n_docs)

    def save(self, directory: Path) -> None:
        self.bm25.save(str(directory), show_progress=False)
        (directory / "count.json").write_text(json.dumps({"documents": self.n_docs}))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        bm25 = bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)
        count = json.loads((directory / "count.json").read_text())["documents"]
        return cls(bm25, count)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        known = [t for t in query_tokens if t in self._vocab]
        if not known or self.n_docs == 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)

    def idf(self, token: str) -> float:
        """BM25's idf of a token; a token the corpus never uses gets the highest idf."""
        column = self._vocab.get(token)
        doc_freq = 0 if column is None else int(self._doc_freq[column])
        return math.log(1 + (self.n_docs - doc_freq + 0.5) / (doc_freq + 0.5))
