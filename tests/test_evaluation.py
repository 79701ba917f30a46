from c5qa.evaluation import KINDS, evaluate, first_relevant_rank, load_questions
from c5qa.service import Service
from tests.conftest import EVAL


def test_eval_set_is_well_formed() -> None:
    questions = load_questions(EVAL)
    assert len(questions) >= 40
    assert {q.kind for q in questions} == set(KINDS)
    assert len({q.id for q in questions}) == len(questions)
    for q in questions:
        assert (q.kind == "offcorpus") == (not q.expect)
        assert (q.kind == "followup") == bool(q.history)


def test_metrics_on_a_slice_of_the_eval_set(corpus_service: Service) -> None:
    questions = [q for q in load_questions(EVAL) if q.id.startswith(("fact-kz", "off-"))]
    report = evaluate(corpus_service, questions)
    fact = report["kinds"]["fact"]
    assert fact["questions"] == sum(q.kind == "fact" for q in questions)
    assert 0 <= fact["recall@1"] <= fact["recall@5"] <= 1
    assert fact["recall@1"] <= fact["mrr"] <= fact["recall@5"]
    assert "abstained_offcorpus" in report["kinds"]["offcorpus"]


def test_relevance_needs_phrase_and_source(corpus_service: Service) -> None:
    q = next(q for q in load_questions(EVAL) if "Leidos" in q.expect)
    passages = corpus_service.retrieve(q.question)
    rank = first_relevant_rank(q, passages)
    assert rank >= 1 and "Leidos" in passages[rank - 1].text
    assert first_relevant_rank(q, []) == 0
