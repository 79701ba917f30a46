"""Summaries of a named document: its first statement and its most central sentences."""

from __future__ import annotations

import numpy as np

from c5qa.answer.summary import key_sentences
from c5qa.app.service import Service

SENATE = "2025-11-04_s-res-459-c5plus1-senate-resolution.txt"
ASTANA = "2023-02-28_joint-statement-c5plus1-ministerial-astana.txt"


def _unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_the_first_statement_leads_and_the_central_ones_follow_in_order() -> None:
    """Three sentences say the document's main thing, one repeats another exactly, one is off
    topic: the first leads, the repeat is skipped for the next central one, the off-topic one
    is left out; the chosen come in document order."""
    sentences = [
        (0, 10, _unit(1, 0, 0)),  # first statement
        (20, 30, _unit(0.2, 1, 0)),  # off topic
        (40, 50, _unit(1, 0.1, 0.3)),  # central
        (60, 70, _unit(1, 0.1, 0.3)),  # the same again
        (80, 90, _unit(1, 0.2, -0.2)),  # central, says it differently
    ]
    assert key_sentences(sentences, 3, 0.3) == [(0, 10), (40, 50), (80, 90)]
    assert key_sentences(sentences, 1, 0.3) == [(0, 10)]
    assert key_sentences([], 3, 0.3) == []


def test_a_named_document_is_summarised_from_itself(corpus_service: Service) -> None:
    """#15: "What does the Senate resolution say?" was answered with its sponsor line and
    "That the Senate—"; now with what it resolves, from the resolution alone."""
    answer = corpus_service.ask("What does the Senate resolution on the C5+1 say?")
    assert {q.source for q in answer.citations} == {SENATE}
    texts = [q.text for q in answer.citations]
    assert any("affirms the strategic importance of the C5+1 platform" in t for t in texts)
    assert not [t for t in texts if t.rstrip().endswith((":", "—"))]
    starts = [q.start for q in answer.citations]
    assert starts == sorted(starts)  # in the document's order


def test_a_summary_leaves_out_how_the_text_was_released(corpus_service: Service) -> None:
    """ "The text of the following statement was released by…" opened the special session's
    summary; the statement's first statement of substance does now."""
    answer = corpus_service.ask("What did the C5+1 ministerial in Astana in February 2023 say?")
    assert {q.source for q in answer.citations} == {ASTANA}
    assert not any("the following statement" in q.text for q in answer.citations)
