"""A document's statements: what it says in its own voice, once each, with stored vectors."""

from __future__ import annotations

import numpy as np
import pytest

from c5qa.answer.statements import COURTESY, Statement, containment, match_scores, statements
from c5qa.app.service import Service

NEW_YORK = "2023-09-21_c5plus1-new-york-declaration.txt"
SENATE = "2025-11-04_s-res-459-c5plus1-senate-resolution.txt"


def _texts(service: Service, source: str) -> list[str]:
    text = service.store().documents[source].text
    return [text[start:end] for start, end, _ in statements(service.store(), source)]


def test_statements_leave_out_signatures_headings_lead_ins_and_procedure(
    corpus_service: Service,
) -> None:
    new_york = _texts(corpus_service, NEW_YORK)
    assert any("we will launch a C5+1 Critical Minerals Dialogue" in t for t in new_york)
    assert not any(t.startswith("President Sadyr Japarov") for t in new_york)  # signature
    assert "Partnership through People" not in new_york  # heading
    assert not any(t.rstrip().endswith(":") for t in new_york)  # lead-in
    assert len(new_york) == len(set(new_york))  # overlapping chunks repeat none
    senate = _texts(corpus_service, SENATE)
    assert senate and not any("submitted the following resolution" in t for t in senate)


def test_statements_come_in_document_order_with_their_vectors(corpus_service: Service) -> None:
    found = statements(corpus_service.store(), NEW_YORK)
    starts = [start for start, _, _ in found]
    assert starts == sorted(starts)
    assert all(abs(float(v @ v) - 1.0) < 1e-3 for _, _, v in found)


def _statement(vector: tuple[float, ...], words: str) -> Statement:
    v = np.array(vector, dtype=np.float32)
    return Statement("x.txt", 0, 0, v / np.linalg.norm(v), frozenset(words.split()))


def test_a_counterpart_score_is_cosine_plus_the_weighted_word_overlap() -> None:
    same = _statement((1, 0), "water secur")
    other = _statement((0, 1), "boe aircraft")
    half = _statement((1, 0), "water climat")
    scores = match_scores([same], [same, other, half], lexical=0.5)
    assert scores.shape == (1, 3)
    assert scores[0, 0] == pytest.approx(1.5)
    assert scores[0, 1] == pytest.approx(0.0)
    assert scores[0, 2] == pytest.approx(1 + 0.5 / 3)
    assert match_scores([], [same], 0.5).shape == (0, 1)


def test_containment_is_the_largest_share_of_a_statement_s_terms_another_holds() -> None:
    quote = _statement((1, 0), "water secur cooper")
    others = [_statement((1, 0), "water secur cooper region"), _statement((0, 1), "water")]
    assert containment(quote, others) == pytest.approx(1.0)
    assert containment(quote, others[1:]) == pytest.approx(1 / 3)
    assert containment(quote, []) == 0.0


@pytest.mark.parametrize(
    ("text", "courtesy"),
    [
        ("And I want to thank you all for your fruitful conversation today.", True),
        ("THE PRESIDENT:  It’s an honor to be here with — with you, our first summit.", True),
        ("So, thank you very, very much for making the effort.", True),
        ("And I look forward to working with all of you to do even more in the future.", True),
        ("Thanks to the C5+1 platform, trade grew.", False),
        ("We thank the Government of Uzbekistan for hosting the ministerial.", False),
        ("We look forward to the first meeting of the Critical Minerals Dialogue.", False),
    ],
)
def test_a_courtesy_is_no_statement(text: str, courtesy: bool) -> None:
    assert bool(COURTESY.match(text)) is courtesy


def test_the_remarks_statements_leave_out_their_courtesies(corpus_service: Service) -> None:
    store = corpus_service.store()
    source = "2023-09-19_remarks-biden-after-central-asia-5plus1-meeting.txt"
    text = store.documents[source].text
    found = [text[start:end] for start, end, _ in statements(store, source)]
    assert found and not any("thank you" in s.lower() or "honor to be here" in s for s in found)
