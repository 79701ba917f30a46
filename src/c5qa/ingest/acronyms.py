"""Acronyms the corpus defines: "Trade and Investment Framework Agreement (TIFA)".

A document that defines an acronym often uses only one spelling, and a user asks with
whichever they know: the 2019 ministerial writes "Trade and Investment Framework Agreement",
the question "the TIFA focus of 2019". The definitions are read from the documents themselves
(Schwartz and Hearst's rule, 2003: the acronym's letters, in order, in the words just before
the parenthesis, the first at a word's start), so the table follows the corpus and needs no
list kept by hand. Retrieval and the answer's term matching treat a passage that spells the
long form as using the acronym.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from c5qa.ingest.documents import Document
from c5qa.ingest.tokens import tokenize

# "(TIFA)", "(USAID)", "(PGI)": 2 to 10 characters, at least two capitals, no spaces.
_DEFINED = re.compile(r"\(\s*([A-Z][A-Za-z0-9&-]{1,9})\s*\)")
_WORD = re.compile(r"\S+")


def long_form(acronym: str, before: str) -> str:
    """The words before ``(acronym)`` that spell it, or "" when none do."""
    letters = [ch.lower() for ch in acronym if ch.isalnum()]
    if sum(ch.isupper() for ch in acronym) < 2 or not letters[0].isalpha():
        return ""
    words = _WORD.findall(before)[-min(len(letters) + 5, 2 * len(letters)) :]
    text = " ".join(words)
    lowered = text.lower()
    at = len(text)
    for n in range(len(letters) - 1, -1, -1):
        at = lowered.rfind(letters[n], 0, at)
        # The first letter must begin a word; a later one may sit anywhere ("EXIM").
        while n == 0 and at > 0 and lowered[at - 1].isalnum():
            at = lowered.rfind(letters[n], 0, at)
        if at < 0:
            return ""
    found = text[at:].strip(" ,;:-–—“”\"'")
    # A long form longer than its acronym, and of words rather than one run of letters.
    return found if len(found.split()) >= 2 and len(found) > len(acronym) else ""


def definitions(text: str) -> dict[str, str]:
    """acronym → long form for each acronym ``text`` defines (its first definition)."""
    found: dict[str, str] = {}
    for match in _DEFINED.finditer(text):
        acronym = match.group(1)
        line_start = text.rfind("\n", 0, match.start()) + 1
        spelled = long_form(acronym, text[line_start : match.start()])
        if spelled and acronym not in found:
            found[acronym] = spelled
    return found


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class Acronyms:
    """The corpus's acronyms as terms: the acronym's token, its long form's tokens (a cheap
    first test) and the long form itself, which a text must spell out word for word: "United
    States Agency for International Development" is USAID, the same words scattered over a
    passage are not."""

    spelled: dict[str, str] = field(default_factory=dict)  # "TIFA" → its long form
    _terms: dict[str, tuple[frozenset[str], str]] = field(init=False, repr=False)
    _by_word: dict[str, list[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        terms: dict[str, tuple[frozenset[str], str]] = {}
        for acronym, spelled in self.spelled.items():
            token, words = tokenize(acronym), frozenset(tokenize(spelled))
            if len(token) == 1 and len(words) >= 2 and token[0] not in words:
                terms[token[0]] = (words, _plain(spelled))
        by_word: dict[str, list[str]] = {}
        for token, (words, _) in terms.items():
            by_word.setdefault(min(words), []).append(token)
        object.__setattr__(self, "_terms", terms)
        object.__setattr__(self, "_by_word", by_word)

    @classmethod
    def of(cls, documents: Iterable[Document]) -> Acronyms:
        spelled: dict[str, str] = {}
        for document in documents:
            for acronym, long in definitions(document.text).items():
                spelled.setdefault(acronym, long)
        return cls(spelled)

    def words(self, token: str) -> frozenset[str]:
        return self._terms[token][0]

    def spells(self, token: str, text: str) -> bool:
        """Whether ``text`` spells out the long form of the acronym ``token``."""
        return self._terms[token][1] in _plain(text)

    def expand(self, text: str, tokens: frozenset[str]) -> frozenset[str]:
        """``text``'s terms ``tokens``, with the acronym of every long form it spells out."""
        added = {
            token
            for word in tokens & self._by_word.keys()
            for token in self._by_word[word]
            if self._terms[token][0] <= tokens and self.spells(token, text)
        }
        return tokens | added if added else tokens

    def asked(self, candidates: Iterable[str]) -> list[str]:
        """Of the words a question writes like acronyms (``query.patterns.WRITTEN_ACRONYM``),
        those the corpus defines (case and all: "TIFA", not the word "tifa"), as tokens."""
        return [
            token
            for written in candidates
            if written in self.spelled
            for token in tokenize(written)
            if token in self._terms
        ]
