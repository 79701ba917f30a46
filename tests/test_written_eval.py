"""c5qa eval --llm's figures on real written answers (the loopback Gemma 3 270M server)."""

from __future__ import annotations

from c5qa.answer.types import Written
from c5qa.app.service import Service
from c5qa.measure.evaluation import Question
from c5qa.measure.written_eval import evaluate_written, format_written, precise


def test_the_report_counts_what_the_answers_hold(llm_url: str, corpus_service: Service) -> None:
    settings = corpus_service.settings.replace(llm_url=llm_url, llm_model="gemma3-270m")
    service = Service(settings, corpus_service.embedder)
    asked = Question(
        id="w1",
        kind="fact",
        question="Which firm will upgrade Kazakhstan's air traffic management system?",
        history=(),
        expect=("Leidos",),
        sources=(),
    )
    report = evaluate_written(service, [asked])
    for kind in ("fact", "all"):
        figures = report[kind]
        assert figures["questions"] == 1
        assert 0 <= figures["verified"] <= 1 and 0 <= figures["citation_precision"] <= 1
        assert figures["first_s"] <= figures["total_s"]
    # One answer: written (a kept sentence), or the quotes because nothing was kept or the
    # model refused; never two of these at once.
    assert figures["written"] + figures["fallback"] + figures["refused"] <= 1
    assert "citation_precision" in format_written(report).splitlines()[0]


def test_a_citation_is_precise_when_its_passage_alone_backs_the_sentence(
    corpus_service: Service,
) -> None:
    from c5qa.answer.verify import Verifier

    answer = corpus_service.ask(
        "Which firm will upgrade Kazakhstan's air traffic management system?"
    )
    n = next(i for i, p in enumerate(answer.passages, 1) if "Leidos" in p.text)
    other = next(i for i in range(1, len(answer.passages) + 1) if i != n)
    text = (
        "U.S. firm Leidos was awarded a $200 million contract to upgrade Kazakhstan's national "
        "air traffic management system."
    )
    verifier = Verifier(corpus_service.encoder, corpus_service.settings)
    sentence = Written(text, (n, other), True)
    assert precise(sentence, answer, verifier) == 1  # the Leidos passage, not the other
    unshown = Written(text, (n, len(answer.passages) + 3), False, "cites a source not shown")
    assert precise(unshown, answer, verifier) == 1
