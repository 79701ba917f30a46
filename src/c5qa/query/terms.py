"""What a text is about, as search and matching use it: its content terms, its names, its
years and the acronyms it writes. Read once per text by ``read``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from c5qa.ingest.tokens import PUNCTUATION, tokenize
from c5qa.query import patterns as p


def used(term: str, tokens: Collection[str]) -> bool:
    """Whether a text uses a term; "5+1" counts as used where its parts are ("5 + 1")."""
    if term in tokens:
        return True
    parts = [part for part in term.split("+") if part]
    return len(parts) > 1 and all(part in tokens for part in parts)


def content_terms(text: str) -> list[str]:
    """The tokens of a question (or statement) that say what it is about."""
    if not p.IS_QUESTION.search(text):
        return [t for t in tokenize(text) if t not in p.QUESTION_WORDS]
    text = p.FOCUS.sub(lambda m: m.group(0)[: m.start("focus") - m.start()], text)
    return [t for t in tokenize(text) if t not in p.QUESTION_WORDS and t not in p.ASKED_ONLY]


def names(question: str) -> list[str]:
    """The tokens of the words a question uses as names: capitalised words other than a
    sentence's first, acronyms, and numbers ("Rubio", "NATO", "CASA-1000", "early-2024" → 2024).
    They say which specific thing is asked about, where the other words say what about it."""
    out: list[str] = []
    sentence_start = True
    for word in question.split():
        bare = word.strip(PUNCTUATION)
        named = bool(bare) and (
            (bare.isupper() and len(bare) > 1) or (bare[0].isupper() and not sentence_start)
        )
        out.extend(
            t
            for t in content_terms(bare)
            if len(t) > 1 and (named or any(ch.isdigit() for ch in t))
        )
        sentence_start = word.endswith((".", "?", "!", ":"))
    return out


@dataclass(frozen=True)
class Terms:
    """A text read for search and matching."""

    text: str
    terms: tuple[str, ...]  # content terms, in order, repeats kept (BM25 counts them)
    names: tuple[str, ...]
    years: tuple[str, ...]  # "2023", as the text writes them
    written: tuple[str, ...]  # words written like acronyms ("TIFA"), candidates for expansion


def read(text: str) -> Terms:
    return Terms(
        text,
        tuple(content_terms(text)),
        tuple(names(text)),
        tuple(p.YEAR.findall(text)),
        tuple(p.WRITTEN_ACRONYM.findall(text)),
    )
