"""A document's statements: what it says in its own voice, once each, with stored vectors."""

from __future__ import annotations

from c5qa.answer.statements import statements
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
