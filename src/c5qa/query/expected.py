"""What kind of answer a question asks for, where the words alone can tell: a quantity, a
date, what a named person said, or the name of an office-holder. A passage on the right topic
that holds no figure does not answer "how many", one without a date does not answer "when", a
signature list that names a president does not say what he said, and "the Secretary of State
of the United States" does not say which one.

The question is read here, once; the answer stage applies ``Expected.fits`` to sentences.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from c5qa.ingest.blocks import is_signature_line
from c5qa.ingest.tokens import PUNCTUATION, tokenize
from c5qa.query import patterns as p
from c5qa.query.terms import content_terms


@dataclass(frozen=True)
class Expected:
    """What an answer must give: ``what`` names it for the person ("number of locomotives"),
    ``check`` tells whether a sentence gives it; ``kind`` is number, date, person or expansion
    (an acronym's long form, which only a defining sentence gives: ``DEFINITIVE``)."""

    what: str
    check: Callable[[str], bool]
    kind: str
    # A document whose title holds this token (a person's remarks, a readout of their meeting)
    # gives it in every sentence, whether or not the sentence repeats the name.
    titled: str = ""
    # Whether only a sentence that fits answers (a refusal says what is missing), or one that
    # fits is only preferred: who signed for Turkmenistan in 2019 is told in a sentence ("the
    # Ambassador of Turkmenistan … issue this Joint Declaration"), not a signature block.
    required: bool = True

    def fits(self, sentence: str, title: str) -> bool:
        return bool(self.titled and self.titled in tokenize(title)) or self.check(sentence)


def _is_number(token: str) -> bool:
    return any(ch.isdigit() for ch in token) or token in p.NUMBER_WORDS


def _counts(head: str) -> Callable[[str], bool]:
    def check(sentence: str) -> bool:
        if head in p.MONEY_WORDS and p.DOLLARS.search(sentence):
            return True
        tokens = tokenize(sentence)
        return any(_is_number(t) and head in tokens[i + 1 : i + 4] for i, t in enumerate(tokens))

    return check


def _any_figure(sentence: str) -> bool:
    """A number ("$200", "4.2", "2025") or a scale ("billions"); "C5+1" is a name."""
    return any(t[:1].isdigit() or t in p.SCALE_WORDS for t in tokenize(sentence))


def _total(sentence: str) -> bool:
    """A figure stated as a total: "deals worth a combined $X", "$X in total"."""
    return _any_figure(sentence) and bool(p.TOTAL.search(sentence))


def _quantity(question: str) -> Expected | None:
    """A question about a quantity wants its figure. "How many locomotives …" wants a number
    counting locomotives ("300 locomotives"), not any figure near the word ("locomotives …
    valued at $4.2 billion"); "how much" wants a figure, and a total a figure stated as one."""
    many = p.HOW_MANY.search(question)
    if many:
        for word in many.group("rest").split():
            bare = word.strip(PUNCTUATION)
            heads = content_terms(bare)
            if heads and word[:1].islower() and not any(ch.isdigit() for ch in word):
                return Expected(f"number of {bare}", _counts(heads[0]), "number")
        return None
    if p.TOTAL.search(question) and (p.HOW_MUCH.search(question) or p.VALUE.search(question)):
        return Expected("total figure", _total, "number")
    much = p.HOW_MUCH.search(question)
    if much:
        after = much.group("next") or ""
        measured = content_terms(after)
        if measured and not after[:1].isupper():
            return Expected(f"figure for {after}", _counts(measured[0]), "number")
        return Expected("figure", _any_figure, "number")
    if p.VALUE.search(question):
        return Expected("figure", _any_figure, "number")
    return None


def _has_date(sentence: str) -> bool:
    return bool(p.DATE.search(sentence))


def _speaks(name: str, token: str) -> Callable[[str], bool]:
    """A sentence that reports the person speaking: the name followed closely by a verb of
    saying ("Biden highlighted"), "according to" the name, or a transcript's "NAME:"."""
    label = p.speaker_label(name)

    def check(sentence: str) -> bool:
        tokens = tokenize(sentence)
        return bool(label.search(sentence)) or any(
            t == token
            and (
                p.SPEECH_VERBS.intersection(tokens[i + 1 : i + 6])
                or "accord" in tokens[max(0, i - 3) : i]
            )
            for i, t in enumerate(tokens)
        )

    return check


def _speaker(question: str) -> Expected | None:
    """ "What did President Japarov say in his speech" wants his words, not any passage that
    names him. Asked of a person (an office before the name, or a speech in the question),
    not of a document ("What did the Samarkand declaration say")."""
    match = p.SPOKE.search(question)
    if not match or match.group("who").startswith("The "):
        return None
    who = match.group("who")
    if not (p.OFFICE_OR_HONORIFIC.search(who) or p.SPEAKING.search(question)):
        return None
    name = who.split()[-1].strip(PUNCTUATION).removesuffix("'s").removesuffix("’s")
    tokens = tokenize(name)
    if not tokens:
        return None
    return Expected(f"statement by {name}", _speaks(name, tokens[0]), "person", tokens[0])


def _holder(question: str) -> Expected | None:
    """ "Which U.S. Secretary of State travelled to Samarkand?" wants a name, not the office."""
    match = p.HOLDER.search(question)
    if not match:
        return None
    office = match.group("office").lower()
    offices = p.OFFICES.split("|")
    titles = next((w for w in office.title().split() if w in offices), p.OFFICES)
    named = p.office_holder(titles)
    return Expected(f"name of the {office}", lambda s: bool(named.search(s)), "person")


def _signer(question: str) -> Expected | None:
    """ "And who signed for Kyrgyzstan?" is answered by its line of a signature block
    ("President Sadyr Japarov of the Kyrgyz Republic"), where one was found."""
    if not p.SIGNER.search(question):
        return None
    return Expected("signatory", is_signature_line, "person", required=False)


def theme_words(theme: str) -> str:
    """A MENTION theme as the lead quotes it."""
    return p.THEME_FILLER.sub("", theme.strip(" ?.!")).strip()


def absence_theme(question: str) -> str:
    """The theme of a yes/no question about whether documents mention something, or "": such
    a question is answered by the mention itself, wherever it stands and however it is worded."""
    match = p.PASSIVE_MENTION.match(question) or p.MENTION.match(question)
    if not match:
        return ""
    theme = match.group("theme")
    scope = p.THEME_SCOPE.search(theme)
    return theme[: scope.start()] if scope and scope.start() > 0 else theme


# Kinds whose check only a sentence that answers passes: one found among the passages answers
# however unlike the question it reads.
DEFINITIVE = frozenset(("expansion",))


def _expansion(question: str) -> Expected | None:
    """ "What does TRIPP stand for?" is answered by the sentence that spells it out: its long
    form followed by the acronym in brackets, as documents define one."""
    match = p.STANDS_FOR.search(question)
    if not match:
        return None
    acronym = next(g for g in match.groups() if g)
    spelled = re.compile(rf"[A-Z][\w’'-]*(?:\s+[\w’'-]+){{1,12}}\s+\({re.escape(acronym)}\)")
    return Expected(f"long form of {acronym}", lambda s: bool(spelled.search(s)), "expansion")


def expected_answer(question: str) -> Expected | None:
    """What a sentence must hold to answer the question, or None when the words do not say."""
    for kind in (_expansion, _quantity, _speaker, _holder, _signer):
        expected = kind(question)
        if expected is not None:
            return expected
    when = p.WHEN.search(question)
    if when is None:
        return None
    if when.group("unit") and when.group("unit").lower() == "time":
        return Expected("time", lambda s: bool(p.CLOCK.search(s)), "date")
    return Expected("date", _has_date, "date")
