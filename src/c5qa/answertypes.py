"""What kind of answer a question asks for, where the words alone can tell: a quantity or a
date. Part of the answer stage: a passage on the right topic that holds no figure does not
answer "how many", and one without a date does not answer "when".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from c5qa.lexical import PUNCTUATION, tokenize
from c5qa.retrieval import content_terms


@dataclass(frozen=True)
class Expected:
    """What an answer must give: ``what`` names it for the person ("number of locomotives"),
    ``check`` tells whether a sentence gives it."""

    what: str
    check: Callable[[str], bool]


_HOW_MANY = re.compile(r"\bhow many\s+(?P<rest>[^?.!]*)", re.IGNORECASE)
# "how much uranium" names what is measured; "how much is …", "how much did …" do not.
_HOW_MUCH = re.compile(r"\bhow much\b(?:\s+(?P<next>[a-z][\w-]*))?", re.IGNORECASE)
_MONEY = frozenset(tokenize("dollar dollars money funding funds"))
_NUMBER_WORDS = frozenset(
    tokenize(
        "two three four five six seven eight nine ten eleven twelve dozen dozens hundred "
        "hundreds thousand thousands million millions billion billions trillion "
        "first second third fourth fifth sixth seventh eighth ninth tenth"
    )
)
_SCALE_WORDS = frozenset(tokenize("dozen hundred thousand million billion trillion"))


def _is_number(token: str) -> bool:
    return any(ch.isdigit() for ch in token) or token in _NUMBER_WORDS


def _counts(head: str) -> Callable[[str], bool]:
    def check(sentence: str) -> bool:
        if head in _MONEY and re.search(r"\$\s?\d", sentence):
            return True
        tokens = tokenize(sentence)
        return any(_is_number(t) and head in tokens[i + 1 : i + 4] for i, t in enumerate(tokens))

    return check


def _any_figure(sentence: str) -> bool:
    return any(any(ch.isdigit() for ch in t) or t in _SCALE_WORDS for t in tokenize(sentence))


def _quantity(question: str) -> Expected | None:
    """A question about a quantity wants its figure. "How many locomotives …" wants a number
    counting locomotives ("300 locomotives"), not any figure near the word ("locomotives …
    valued at $4.2 billion"); "how much" wants a figure. A quantity question whose passages
    hold no such sentence is not answered by them, however close their topic."""
    many = _HOW_MANY.search(question)
    if many:
        for word in many.group("rest").split():
            bare = word.strip(PUNCTUATION)
            heads = content_terms(bare)
            if heads and word[:1].islower() and not any(ch.isdigit() for ch in word):
                return Expected(f"number of {bare}", _counts(heads[0]))
        return None
    much = _HOW_MUCH.search(question)
    if much:
        after = much.group("next") or ""
        measured = content_terms(after)
        if measured and not after[:1].isupper():
            return Expected(f"figure for {after}", _counts(measured[0]))
        return Expected("figure", _any_figure)
    return None


_WHEN = re.compile(r"^\W*when\b|\b(?:what|which) (?:date|day|year|month)\b|\bsince when\b", re.I)
_DATE = re.compile(
    r"\b(?:19|20)\d{2}\b|\b\d{1,2}:\d{2}\b|\b(?:January|February|March|April|May|June|July|"
    r"August|September|October|November|December|Monday|Tuesday|Wednesday|Thursday|Friday|"
    r"Saturday|Sunday|today|yesterday)\b",
    re.IGNORECASE,
)


def _has_date(sentence: str) -> bool:
    return bool(_DATE.search(sentence))


def expected_answer(question: str) -> Expected | None:
    """What a sentence must hold to answer the question, or None when the words do not say."""
    quantity = _quantity(question)
    if quantity is not None:
        return quantity
    return Expected("date", _has_date) if _WHEN.search(question) else None
