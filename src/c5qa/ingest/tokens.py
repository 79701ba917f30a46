"""Words as search counts them, in documents and questions alike: lower-cased, stemmed
(Snowball English), stopwords out, and names, numbers and acronyms kept whole ("Wabtec",
"4.2", "C5+1", "u.s") because dense vectors blur exactly those.

The bottom of the pipeline: acronym reading, BM25 and question analysis all tokenise here, so
a question's terms and a chunk's always match the same way.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache

import Stemmer
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
