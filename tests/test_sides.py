"""The sides of a diff: a period, or the documents a reference, title words or a file name
name; anything else is refused with what a side may be."""

from __future__ import annotations

import pytest

from c5qa.app.service import Service
from c5qa.query.request import BadRequest, Period
from c5qa.query.sides import side

NEW_YORK = "2023-09-21_c5plus1-new-york-declaration.txt"
KAZAKHSTAN = "2025-11-07_fact-sheet-a-new-era-in-us-kazakhstan-relations.txt"


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2023", Period("2023", "2023", "2023")),
        ("2015-2022", Period("2015-2022", "2015", "2022")),
        ("2025-11", Period("2025-11", "2025-11", "2025-11")),
        ("New York Declaration", Period("New York Declaration", "", "", (NEW_YORK,))),
        ("the Kazakhstan fact sheet", Period("the Kazakhstan fact sheet", "", "", (KAZAKHSTAN,))),
        ("A New Era", Period("A New Era", "", "", (KAZAKHSTAN,))),
        (NEW_YORK, Period(NEW_YORK, "", "", (NEW_YORK,))),
    ],
)
def test_a_side_is_a_period_or_the_documents_it_names(
    corpus_service: Service, text: str, period: Period
) -> None:
    corpus = corpus_service.library.current()[1]
    assert side(text, corpus, 5) == period


def test_a_side_that_names_nothing_is_refused(corpus_service: Service) -> None:
    corpus = corpus_service.library.current()[1]
    with pytest.raises(BadRequest, match="neither a period"):
        side("the Belt and Road declaration", corpus, 5)
    with pytest.raises(BadRequest, match="ends before it starts"):
        side("2025-2015", corpus, 5)


def test_a_question_s_sides_are_its_named_documents_or_its_summit_s_day(
    corpus_service: Service,
) -> None:
    from c5qa.query.sides import asked_sides

    store, corpus = corpus_service.library.current()
    question = "What changed between the 2023 New York Declaration and the 2025 summit?"
    asked = corpus_service.analyze(question)
    first, second = asked_sides(question, asked.periods, asked.documents, store, corpus)
    assert first.sources == (NEW_YORK,)
    assert (second.start, second.end, second.sources) == ("2025-11-07", "2025-11-07", ())
    plain = "What changed between 2023 and 2025?"
    years = corpus_service.analyze(plain).periods
    assert asked_sides(plain, years, (), store, corpus) == tuple(years)
    # A document no named period holds is a side of its own, sides earliest first (#16).
    question = "How does the 2025 summit differ from the New York Declaration?"
    asked = corpus_service.analyze(question)
    first, second = asked_sides(question, asked.periods, asked.documents, store, corpus)
    # Labelled as the question calls it, with its date.
    assert first.sources == (NEW_YORK,) and first.label == "the New York Declaration (2023-09-21)"
    assert (second.start, second.sources) == ("2025-11-07", ())
