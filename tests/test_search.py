import pytest

from c5qa.app.service import Service
from c5qa.retrieve.search import Filters
from tests.conftest import KAZAKHSTAN, NEW_YORK


def test_known_passage_comes_first_with_full_citation(corpus_service: Service) -> None:
    passages = corpus_service.retrieve(
        "Which firm will upgrade Kazakhstan's air traffic management system?", k=5
    )
    assert len(passages) == 5
    top = passages[0]
    assert top.source == KAZAKHSTAN and "Leidos" in top.text
    assert top.title.startswith("A New Era") and top.date == "2025-11-07" and top.partial
    assert top.location.startswith("¶ ")
    store = corpus_service.store()
    assert store.documents[KAZAKHSTAN].text[top.start : top.end] == top.text
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


def test_document_and_date_filters(corpus_service: Service) -> None:
    only = corpus_service.retrieve("critical minerals", k=4, filters=Filters(sources=(NEW_YORK,)))
    assert only and all(p.source == NEW_YORK for p in only)
    in_2025 = corpus_service.retrieve(
        "critical minerals", k=10, filters=Filters(date_from="2025", date_to="2025")
    )
    assert in_2025 and all(p.date.startswith("2025") for p in in_2025)
    before = corpus_service.retrieve("cooperation", k=50, filters=Filters(date_to="2019-12"))
    assert before and all(p.date <= "2019-12" for p in before)
    nothing = corpus_service.retrieve("anything", filters=Filters(sources=("absent.txt",)))
    assert nothing == []


def test_filters_admit_month_only_dates() -> None:
    from c5qa.ingest.documents import Document

    doc = Document(source="d.txt", text="x", title="d", date="2025-11")
    assert Filters(date_from="2025-01-01", date_to="2025-12-31").admits(doc)
    assert Filters(date_from="2025-11").admits(doc)
    assert not Filters(date_to="2024").admits(doc)
    assert not Filters(date_from="2023").admits(Document(source="n.txt", text="x", title="n"))


def test_fusion_combines_disagreeing_rankers() -> None:
    from c5qa.retrieve.search import Retrieval, fuse
    from c5qa.settings import Settings

    base = Retrieval.of(Settings())

    dense = {0: 0.80, 1: 0.40, 2: 0.10}  # dense prefers 0
    lexical = {0: 0.0, 1: 9.0, 2: 1.0}  # BM25 prefers 1 and never sees 0
    assert next(i for i, _ in fuse(dense, lexical, base.replace(alpha=0.9))) == 0
    assert next(i for i, _ in fuse(dense, lexical, base.replace(alpha=0.3))) == 1
    rrf = fuse(dense, lexical, base.replace(fusion="rrf"))
    # RRF rewards agreement: 0, seen by one ranker only, comes last.
    assert [i for i, _ in rrf] == [1, 2, 0]


def test_hybrid_finds_names_the_dense_model_misses(corpus_service: Service) -> None:
    for question, needle in [
        ("Wabtec", "Wabtec"),
        ("$4.2 billion", "$4.2 billion"),
        ("TRIPP", "TRIPP"),
    ]:
        hybrid = corpus_service.retrieve(question, k=1, mode="hybrid")
        lexical = corpus_service.retrieve(question, k=1, mode="bm25")
        assert needle in hybrid[0].text and needle in lexical[0].text, question


def test_modes_and_filters_agree(corpus_service: Service) -> None:
    for mode in ("dense", "bm25", "hybrid"):
        passages = corpus_service.retrieve(
            "critical minerals", k=3, mode=mode, filters=Filters(sources=(NEW_YORK,))
        )
        assert passages and {p.source for p in passages} == {NEW_YORK}, mode


def test_question_words_do_not_steer_bm25(corpus_service: Service) -> None:
    """The corpus rarely says "how" or "has", so their idf is high: left in, they would rank
    "Discussed how to …" above the passages about the question's topic."""
    from c5qa.query.terms import read
    from c5qa.retrieve.search import Query, lexical_scores

    store = corpus_service.store()
    vector = corpus_service.encoder.encode_query("Afghanistan")
    asked = lexical_scores(store, Query(read("How has Afghanistan's place changed?"), vector))
    bare = lexical_scores(store, Query(read("Afghanistan place changed"), vector))
    assert (asked == bare).all()


def test_a_year_the_question_names_lifts_that_years_documents(corpus_service: Service) -> None:
    question = (
        "What energy-sector priorities did the C5+1 ministers set out in their early-2020 "
        "joint statement?"
    )
    flat = Service(corpus_service.settings.replace(year_boost=0.0), corpus_service.embedder)
    before = flat.retrieve(question)
    after = corpus_service.retrieve(question)
    assert not any("renewable energy sources" in p.text for p in before)
    assert any("renewable energy sources" in p.text for p in after)
    lifted = {p.chunk_id: p.score for p in after}
    for p in before:  # 2020's passages gain exactly the boost; the others keep their score
        if p.chunk_id in lifted:
            boost = corpus_service.settings.year_boost if p.date.startswith("2020") else 0.0
            assert lifted[p.chunk_id] == pytest.approx(p.score + boost)


def test_an_acronym_finds_the_passage_that_only_spells_it_out(corpus_service: Service) -> None:
    """The 2019 ministerial writes "Trade and Investment Framework Agreement"; the 2020
    statements define it as TIFA. Before, BM25 found no 2019 passage for "TIFA"."""
    passages = corpus_service.retrieve("TIFA", mode="bm25")
    spelled = [p for p in passages if p.source.startswith("2019-09-24")]
    assert spelled and "TIFA" not in spelled[0].text
    assert "Trade and Investment Framework Agreement" in spelled[0].text
