"""Follow-ups that pick among the items the previous answer listed."""

from __future__ import annotations

from c5qa.answer.followup import among_items
from c5qa.answer.types import Answer, Quote, Section
from c5qa.app.service import Service

DEALS = "What deals did Kazakhstan make with US companies at the 2025 summit?"


def test_which_of_those_picks_the_item_that_stands_out(corpus_service: Service) -> None:
    """#15: after the deals, "Which of those is about critical minerals?" is the tungsten
    plant alone, from the list just given, not the corpus's other talk of critical minerals."""
    history = [{"role": "user", "content": DEALS}, {"role": "assistant", "content": "…"}]
    answer = corpus_service.ask("Which of those is about critical minerals?", history=history)
    bullets = [q.text for s in answer.sections for p in s.parts if p.bulleted for q in p.quotes]
    assert len(bullets) == 1 and "tungsten mining and processing plant" in bullets[0]


def test_an_answer_without_a_list_has_nothing_to_pick_from(corpus_service: Service) -> None:
    store = corpus_service.store()
    question = corpus_service.analyze("Which of those is about critical minerals?")
    quote = Quote(1, "x.txt", 0, 4, "text", 0.5)
    plain = Answer("q", "answered", "", (Section("", (quote,)),), ())
    vector = corpus_service.searcher.query(question.asks).vector
    assert among_items(question, vector, plain, store, corpus_service.settings) is None
