"""``c5qa.retrieve.searcher``: questions become queries, queries become passages, on the real
corpus and model."""

from __future__ import annotations

import numpy as np
import pytest

from c5qa.app.service import Service
from c5qa.query.request import Filters
from c5qa.query.terms import read
from c5qa.retrieve.search import lexical_scores
from tests.conftest import NEW_YORK

PREVIOUS = "What commercial deals did Kazakhstan announce in Washington?"
FOLLOW_UP = "What about Turkmenistan?"
LEIDOS = "Which firm will upgrade the air traffic system?"


def test_a_question_alone_is_one_encoding_without_context(corpus_service: Service) -> None:
    query = corpus_service.searcher.query(read(FOLLOW_UP))
    assert query.context is None and query.weight == 1.0
    assert query.terms == read(FOLLOW_UP)
    expected = corpus_service.encoder.encode_query(FOLLOW_UP)
    assert np.allclose(query.vector, expected, atol=1e-6)


def test_a_follow_up_blends_the_previous_question_in(corpus_service: Service) -> None:
    """ "What about Turkmenistan?" on its own says nothing of deals: the blended vector leans
    towards the previous question, and its terms come along as context for BM25."""
    searcher, embedder = corpus_service.searcher, corpus_service.encoder
    alone = searcher.query(read(FOLLOW_UP))
    follow_up = searcher.query(read(FOLLOW_UP), PREVIOUS)
    assert follow_up.context == read(PREVIOUS)
    assert follow_up.weight == corpus_service.settings.followup_weight < 1
    assert follow_up.vector.dtype == np.float32
    assert np.linalg.norm(follow_up.vector) == pytest.approx(1.0, abs=1e-5)
    assert float(follow_up.vector @ alone.vector) < 0.95
    previous = embedder.encode_query(PREVIOUS)
    assert float(follow_up.vector @ previous) > float(alone.vector @ previous) + 0.2


def test_what_a_question_asks_of_the_documents_it_names_is_encoded_with_it(
    corpus_service: Service,
) -> None:
    """The named documents' sentences are ranked by the whole question and what it asks of
    them, equally; without a topic, or with the same text, the question alone."""
    searcher, embedder = corpus_service.searcher, corpus_service.encoder
    whole, topic = read("When was the 2021 statement issued?"), read("When was the issued?")
    query = searcher.query(whole, topic=topic)
    both = embedder.encode_query(whole.text) + embedder.encode_query(topic.text)
    assert np.allclose(query.topic, both / np.linalg.norm(both), atol=1e-5)
    assert np.allclose(query.vector, embedder.encode_query(whole.text), atol=1e-5)
    assert query.about is not None and searcher.query(whole, topic=whole).about is None
    assert np.allclose(searcher.query(whole).topic, query.vector, atol=1e-5)


def test_passages_honour_k_and_filters(corpus_service: Service) -> None:
    searcher, store = corpus_service.searcher, corpus_service.store()
    query = searcher.query(read("critical minerals"))
    assert len(searcher.passages(store, query, 7, None)) == 7
    only = searcher.passages(store, query, 4, Filters(sources=(NEW_YORK,)))
    assert len(only) == 4 and {p.source for p in only} == {NEW_YORK}
    # A k beyond what the filter admits gives every admitted chunk, once.
    first, last = store.ranges[NEW_YORK]
    every = searcher.passages(store, query, 50, Filters(sources=(NEW_YORK,)))
    assert sorted(p.chunk_id for p in every) == list(range(first, last))
    dated = searcher.passages(store, query, 6, Filters(date_from="2025", date_to="2025"))
    assert len(dated) == 6 and all(p.date.startswith("2025") for p in dated)
    scores = [p.score for p in dated]
    assert scores == sorted(scores, reverse=True)


def test_modes_rank_by_their_own_scores(corpus_service: Service) -> None:
    """Dense passages are ranked by the cosine of their chunk's vector, BM25 passages by their
    BM25 score; either finds the passage that names Leidos."""
    searcher, store = corpus_service.searcher, corpus_service.store()
    query = searcher.query(read(LEIDOS))
    dense = searcher.passages(store, query, 5, None, "dense")
    bm25 = searcher.passages(store, query, 5, None, "bm25")
    assert len(dense) == len(bm25) == 5
    assert "Leidos" in dense[0].text and "Leidos" in bm25[0].text
    cosines = store.chunk_vectors([p.chunk_id for p in dense]) @ query.vector
    assert [p.score for p in dense] == pytest.approx(cosines.tolist(), abs=1e-5)
    bm25_scores = lexical_scores(store, query)
    assert [p.score for p in bm25] == pytest.approx([bm25_scores[p.chunk_id] for p in bm25])
    assert bm25[0].score == pytest.approx(bm25_scores.max())
    # The two modes disagree somewhere in the ranking, or the mode was not applied.
    assert [p.chunk_id for p in dense] != [p.chunk_id for p in bm25]
