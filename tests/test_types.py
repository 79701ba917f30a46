"""``c5qa.answer.types``: the shape of an answer, before it becomes text."""

from __future__ import annotations

import re

import pytest

from c5qa.answer.render import markdown
from c5qa.answer.types import VERDICTS, Answer, Quote, Section, abstention
from c5qa.retrieve.search import Passage


def _passage(n: int) -> Passage:
    return Passage(n, f"d{n}.txt", f"Doc {n}", "2023", "", "", False, "", 0, 40, "x" * 40, 0.5, ())


def _quote(n: int, text: str) -> Quote:
    return Quote(n, f"d{n}.txt", 0, len(text), text, 0.5)


PASSAGES = tuple(_passage(n) for n in range(1, 5))


def test_an_unknown_verdict_is_refused() -> None:
    with pytest.raises(ValueError, match="'maybe'"):
        Answer("q", "maybe", "", (), ())
    for verdict in VERDICTS:
        assert Answer("q", verdict, "", (), ()).verdict == verdict


def test_citations_are_every_quote_in_the_order_the_answer_shows_them() -> None:
    """A comparison nests sections (a period, then its sources): the citations run through
    them depth first, as the markers appear in the rendered answer."""
    first, second, third, fourth = (_quote(n, f"Sentence {n}.") for n in (3, 1, 4, 2))
    answer = Answer(
        "q",
        "answered",
        "",
        (
            Section("2015", (first,)),
            Section(
                "2023",
                parts=(
                    Section("Doc 1", (second,)),
                    Section("Doc 4", parts=(Section("page 2", (third,)),)),
                ),
            ),
            Section("2025", note="no passage"),
            Section("Commentary", (fourth,)),
        ),
        PASSAGES,
    )
    assert answer.citations == (first, second, third, fourth)
    shown = [int(n) for n in re.findall(r"\[(\d)\]", markdown(answer))]
    assert shown == [q.n for q in answer.citations] == [3, 1, 4, 2]


def test_shifting_renumbers_quotes_and_the_closest_passage() -> None:
    """A period's answer is numbered from 1 and shifted into the whole answer's numbering."""
    quote = _quote(2, "Sentence.")
    assert quote.shifted(3) == Quote(5, "d2.txt", 0, 9, "Sentence.", 0.5)
    section = Section(
        "2023",
        (quote,),
        note="n",
        closest=1,
        caption="c",
        parts=(Section("Doc", (_quote(1, "A."),), closest=2), Section("None", note="none")),
    )
    moved = section.shifted(3)
    assert [q.n for q in moved.all_quotes()] == [5, 4]
    assert moved.closest == 4 and moved.parts[0].closest == 5
    # 0 means "no near miss": it stays 0, not passage 3.
    assert moved.parts[1].closest == 0
    assert (moved.label, moved.note, moved.caption) == ("2023", "n", "c")
    assert section.shifted(0) == section


def test_abstained_is_the_abstained_verdict_only() -> None:
    assert Answer("q", "abstained", "why", (), ()).abstained
    assert not any(Answer("q", v, "", (), ()).abstained for v in VERDICTS if v != "abstained")


def test_an_abstention_says_why_and_lists_the_closest_passages() -> None:
    answer = abstention("Who won?", "The documents do not say.", PASSAGES[:2])
    assert answer == Answer("Who won?", "abstained", "The documents do not say.", (), PASSAGES[:2])
    assert answer.abstained and answer.citations == () and answer.notes == ()
    assert abstention("q", "why").passages == ()
