"""The lexical side of retrieval: BM25 (bm25s) over the same chunks as the dense index.

Dense vectors blur exact names, numbers and acronyms ("Wabtec", "$4.2 billion", "TRIPP",
"C5+1"); BM25 keeps them, so the tokenizer is careful to leave such tokens whole.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

# Numbers keep their separators ("4.2", "1,000"); words keep inner "." and "+" ("u.s", "c5+1").
_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:[+.][^\W_]+)*")
_STOPWORDS = frozenset(STOPWORDS_EN)
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
        bm25 = bm25s.BM25(k1=cls.K1, b=cls.B)
        bm25.index([tokenize(t) or [""] for t in texts], show_progress=False)
        return cls(bm25, len(texts))

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
