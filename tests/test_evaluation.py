from pathlib import Path

import pytest

from c5qa.app.service import Service
from c5qa.measure.evaluation import KINDS, evaluate, first_relevant_rank, load_questions
from tests.conftest import COMPARE_SETS, CORPUS, EVAL, MIXED_SETS


def _check_questions(questions: list) -> None:
    assert len({q.id for q in questions}) == len(questions)
    for q in questions:
        assert (q.kind == "offcorpus") == (not q.expect)
        assert (q.kind == "followup") == bool(q.history)
        # Every expected phrase is really in the documents it is expected from.
        for source in q.sources:
            text = (CORPUS / source).read_text(encoding="utf-8").lower()
            assert any(phrase.lower() in text for phrase in q.expect), (q.id, source)


@pytest.mark.parametrize(
    "path",
    [EVAL, *MIXED_SETS.values()],
    ids=["eval", *MIXED_SETS],
)
def test_eval_sets_are_well_formed(path: Path) -> None:
    questions = load_questions(path)
    assert len(questions) >= 40
    assert {"fact", "offcorpus"} <= {q.kind for q in questions} <= set(KINDS)
    _check_questions(questions)


@pytest.mark.parametrize("path", COMPARE_SETS.values(), ids=COMPARE_SETS.keys())
def test_the_compare_sets_are_well_formed(path: Path) -> None:
    questions = load_questions(path)
    assert len(questions) >= 20 and len({q.kind for q in questions} & {"compare", "offcorpus"}) == 1
    assert {q.kind for q in questions} <= {"compare", "offcorpus"}
    _check_questions(questions)


def test_metrics_on_a_slice_of_the_eval_set(corpus_service: Service) -> None:
    questions = [q for q in load_questions(EVAL) if q.id.startswith(("fact-kz", "off-"))]
    report = evaluate(corpus_service, questions)
    fact = report["kinds"]["fact"]
    assert fact["questions"] == sum(q.kind == "fact" for q in questions)
    assert 0 <= fact["recall@1"] <= fact["recall@5"] <= 1
    assert fact["recall@1"] <= fact["mrr"] <= fact["recall@5"]
    assert "abstained_offcorpus" in report["kinds"]["offcorpus"]


def test_recall_at_k_counts_only_the_first_k_of_a_side_by_side_answer(
    corpus_service: Service,
) -> None:
    """A comparison shows more than k passages; a relevant one past the k-th counts towards
    recall_shown, not towards recall@k."""
    questions = [q for q in load_questions(EVAL) if q.kind == "compare"]
    ranks = {
        q.id: first_relevant_rank(q, corpus_service.ask(q.question, history=q.history).passages)
        for q in questions
    }
    assert any(rank > 5 for rank in ranks.values())  # otherwise this test shows nothing
    entry = evaluate(corpus_service, questions)["kinds"]["compare"]
    assert entry["recall@5"] == sum(0 < r <= 5 for r in ranks.values()) / len(questions)
    assert entry["recall_shown"] == sum(r > 0 for r in ranks.values()) / len(questions)
    assert entry["misses"] == [i for i, r in ranks.items() if not 0 < r <= 5]


def test_relevance_needs_phrase_and_source(corpus_service: Service) -> None:
    q = next(q for q in load_questions(EVAL) if "Leidos" in q.expect)
    passages = corpus_service.retrieve(q.question)
    rank = first_relevant_rank(q, passages)
    assert rank >= 1 and "Leidos" in passages[rank - 1].text
    assert first_relevant_rank(q, []) == 0
