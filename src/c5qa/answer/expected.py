"""What kind of answer a question asks for, where the words alone can tell: a quantity, a
date, what a named person said, or the name of an office-holder. Part of the answer stage: a
passage on the right topic that holds no figure does not answer "how many", one without a date
does not answer "when", a signature list that names a president does not say what he said, and
"the Secretary of State of the United States" does not say which one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from c5qa.index.lexical import PUNCTUATION, tokenize
from c5qa.retrieve.search import content_terms


@dataclass(frozen=True)
class Expected:
    """What an answer must give: ``what`` names it for the person ("number of locomotives"),
    ``check`` tells whether a sentence gives it."""

    what: str
    check: Callable[[str], bool]
    # A document whose title holds this token (a person's remarks, a readout of their meeting)
    # gives it in every sentence, whether or not the sentence repeats the name.
    titled: str = ""

    def fits(self, sentence: str, title: str) -> bool:
        return bool(self.titled and self.titled in tokenize(title)) or self.check(sentence)


_HOW_MANY = re.compile(r"\bhow many\s+(?P<rest>[^?.!]*)", re.IGNORECASE)
# "how much uranium" names what is measured; "how much is …", "how much did …" do not.
_HOW_MUCH = re.compile(r"\bhow much\b(?:\s+(?P<next>[a-z][\w-]*))?", re.IGNORECASE)
# "What was the total dollar value of the deals?" asks "how much" in other words.
_VALUE = re.compile(
    r"\bwhat (?:is|was|were|are|will be) the (?:total |combined |overall )?(?:dollar )?"
    r"(?:value|worth|amount|cost|price|sum)\b",
    re.IGNORECASE,
)
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
    if _VALUE.search(question):
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


_OFFICES = (
    r"President|Vice President|Senator|Secretary|Minister|Ambassador|Envoy|Representative|"
    r"Spokesperson|Governor|Chairman|Chairwoman"
)
_HONORIFIC = r"(?:Mr|Ms|Mrs|Dr)\.?"
# "What did President Japarov say", "What did Secretary of State Rubio announce": the name is
# the last capitalised word before the verb.
_SPOKE = re.compile(
    r"\b(?i:did|does|do|has|have|had|will|would)\s+(?P<who>(?:[A-Z][\w.'’-]*\s+(?:of\s+)?){1,5}?)"
    r"(?:say|tell|state|announce|propose|pledge|promise|declare|claim|argue|stress|"
    r"emphasi[sz]e|remark|note|call for|urge)\b"
)
_SPEAKING = re.compile(
    r"\b(?:speech|remarks|address|interview|press conference|testimony|floor)\b", re.IGNORECASE
)
_SPEECH_VERBS = frozenset(
    tokenize(
        "say said says tell told state stated announce announced note noted remark remarked "
        "declare declared stress stressed emphasize emphasized emphasised highlight highlighted "
        "underscore underscored call called urge urged propose proposed pledge pledged promise "
        "promised welcome welcomed praise praised thank thanked express expressed affirm "
        "affirmed reaffirm reaffirmed add added warn warned argue argued claim claimed speak "
        "spoke acknowledge acknowledged"
    )
)


def _speaks(name: str, token: str) -> Callable[[str], bool]:
    """A sentence that reports the person speaking: the name followed closely by a verb of
    saying ("Biden highlighted"), "according to" the name, or a transcript's "NAME:"."""
    label = re.compile(rf"\b{re.escape(name)}\s*:", re.IGNORECASE)

    def check(sentence: str) -> bool:
        tokens = tokenize(sentence)
        return bool(label.search(sentence)) or any(
            t == token
            and (
                _SPEECH_VERBS.intersection(tokens[i + 1 : i + 6])
                or "accord" in tokens[max(0, i - 3) : i]
            )
            for i, t in enumerate(tokens)
        )

    return check


def _speaker(question: str) -> Expected | None:
    """ "What did President Japarov say in his speech" wants his words, not any passage that
    names him. Asked of a person (an office before the name, or a speech in the question),
    not of a document ("What did the Samarkand declaration say")."""
    match = _SPOKE.search(question)
    if not match or match.group("who").startswith("The "):
        return None
    who = match.group("who")
    if not (re.search(rf"\b(?:{_OFFICES}|{_HONORIFIC})\b", who) or _SPEAKING.search(question)):
        return None
    name = who.split()[-1].strip(PUNCTUATION).removesuffix("'s").removesuffix("’s")
    tokens = tokenize(name)
    if not tokens:
        return None
    return Expected(f"statement by {name}", _speaks(name, tokens[0]), titled=tokens[0])


_ASKED_OFFICE = (
    r"(?i:secretary of state|secretary|senator|foreign minister|minister|ambassador|envoy|"
    r"special representative|representative|spokesperson|president|official)"
)
_QUALIFIER = r"(?:(?:U\.S\.|US|American|[A-Z][a-z]+|(?i:special|deputy|senior|chief))\s+){0,2}?"
_HOLDER = re.compile(
    rf"\b(?:(?i:which)\s+|(?i:who)\s+(?:was|is|were)\s+the\s+|(?i:name of the)\s+)"
    rf"{_QUALIFIER}(?P<office>{_ASKED_OFFICE})\b(?!s)"
)


def _names_holder(office: str) -> Callable[[str], bool]:
    """A sentence naming someone in the office: the office, or an honorific, then a name
    ("Secretary of State Blinken", "Foreign Minister Tileuberdi", "Mr. DAINES"), where
    "the Secretary of State of the United States" names nobody."""
    titles = next((w for w in office.title().split() if w in _OFFICES.split("|")), _OFFICES)
    named = re.compile(
        rf"(?:\b(?:{titles})(?:\s+of(?:\s+[A-Z]\w*){{1,2}})?|\b{_HONORIFIC})\s+(?!The\b|And\b)[A-Z][\w'’.-]+"
    )
    return lambda sentence: bool(named.search(sentence))


def _holder(question: str) -> Expected | None:
    """ "Which U.S. Secretary of State travelled to Samarkand?" wants a name, not the office."""
    match = _HOLDER.search(question)
    if not match:
        return None
    office = match.group("office").lower()
    return Expected(f"name of the {office}", _names_holder(office))


_ABSENCE = re.compile(
    r"^\s*(?:does|did|do|is|was|has|have)\b.*?\b(?:mention\w*|say anything about|say about|"
    r"address\w*|refer\w* to|discuss\w*|talk about|include\w*|cover\w*)\s+(?P<theme>.+?)\s*\??\s*$",
    re.IGNORECASE,
)


def absence_theme(question: str) -> str:
    """The theme of a yes/no question about whether documents mention something, or "": such
    a question is answered by the mention itself, wherever it stands and however it is worded."""
    match = _ABSENCE.match(question)
    return match.group("theme") if match else ""


def expected_answer(question: str) -> Expected | None:
    """What a sentence must hold to answer the question, or None when the words do not say."""
    for kind in (_quantity, _speaker, _holder):
        expected = kind(question)
        if expected is not None:
            return expected
    return Expected("date", _has_date) if _WHEN.search(question) else None
