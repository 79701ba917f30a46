from c5qa.answer.answerer import NOT_ENGLISH, NOTHING_TO_SEARCH
from c5qa.answer.render import markdown
from c5qa.app.service import Service
from c5qa.query.analysis import analyze
from c5qa.query.request import Filters, Request
from tests.conftest import SAMARKAND


def _answer(service: Service, question: str, filters: Filters | None = None):
    store, corpus = service.library.current()
    request = Request.of(service.settings, question, filters=filters)
    asked = analyze(question, (), corpus, service.settings.max_question_chars)
    return service.answerer.answer(asked, request, store, corpus)


def test_a_question_is_routed_to_the_answer_it_asks_for(corpus_service: Service) -> None:
    """A plain question gets one extractive answer; a question of change naming two periods
    gets them side by side; "does the 2023 declaration mention …" gets its verdict first."""
    plain = _answer(corpus_service, "Which firm will upgrade Kazakhstan's air traffic system?")
    assert plain.verdict == "answered" and not any(s.label for s in plain.sections)
    change = _answer(corpus_service, "How did cooperation on water change between 2023 and 2025?")
    assert [s.label for s in change.sections][:2] == ["2023", "2025"]
    mention = _answer(corpus_service, "Does the 2023 declaration mention climate change?")
    assert mention.verdict == "yes" and markdown(mention).startswith("**Yes.**")


def test_filters_make_any_question_a_plain_one(corpus_service: Service) -> None:
    """A person who picked documents or dates asked about those: no periods are set beside
    them, even for a question of change."""
    question = "How did cooperation on water change between 2023 and 2025?"
    filtered = _answer(corpus_service, question, Filters(date_from="2023", date_to="2023"))
    assert not any(s.label in ("2023", "2025") for s in filtered.sections)
    assert all(p.date.startswith("2023") for p in filtered.passages)


def test_what_the_person_should_know_about_their_question(corpus_service: Service) -> None:
    empty = _answer(corpus_service, " ?! ")
    assert empty.abstained and empty.lead == NOTHING_TO_SEARCH and empty.passages == ()
    cyrillic = _answer(corpus_service, "Какие сделки заключил Казахстан?")
    assert cyrillic.abstained and cyrillic.notes == (NOT_ENGLISH,)
    long = _answer(corpus_service, "Which firm will upgrade the air traffic system? " * 60)
    assert long.notes[-1].startswith("Only the first 2,000 characters")


def test_a_theme_is_answered_per_period(corpus_service: Service) -> None:
    store, corpus = corpus_service.library.current()
    asked = analyze("security cooperation", (), corpus, 2000)
    answer = corpus_service.answerer.themed(asked, corpus.periods(), store, 5)
    assert [s.label for s in answer.sections if s.label != "Commentary"] == [
        p.label for p in corpus.periods()
    ]


def _turn(question: str, answer: str = "…") -> list[dict]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


def test_a_follow_up_narrows_to_the_documents_of_the_turn_it_continues(
    corpus_service: Service,
) -> None:
    """#15: "what did it say about Paris?" after the Samarkand declaration was refused; it is
    answered from the declaration the previous turn named."""
    history = _turn("What did the 2015 Samarkand declaration commit to?")
    answer = corpus_service.ask("what did it say about Paris?", history=history)
    assert not answer.abstained
    assert {answer.passages[q.n - 1].source for q in answer.citations} == {SAMARKAND}
    assert "a new agreement in Paris" in answer.citations[0].text


def test_a_follow_up_that_moves_on_is_not_narrowed(corpus_service: Service) -> None:
    """ "What about Turkmenistan?" after the Kazakhstan deals asked of the Kazakhstan fact sheet
    alone, which never names Turkmenistan: not narrowed to it, the answer is about
    Turkmenistan (the Diplomat: it "came away … with no deals")."""
    history = _turn("What deals are in the Kazakhstan fact sheet?")
    answer = corpus_service.ask("What about Turkmenistan?", history=history)
    assert answer.citations and "Turkmen" in answer.citations[0].text


def test_a_narrowed_follow_up_leads_with_what_it_asks(corpus_service: Service) -> None:
    """Within the documents of the turn it continues, a follow-up's sentences are ranked by
    the question alone: "Which point covers critical minerals?" opens with the point, not with
    the sentence listing every point that the previous question asked for."""
    history = _turn(
        "According to the Diplomat, what points were in the 2025 joint statement of intent on "
        "economic cooperation?"
    )
    answer = corpus_service.ask("Which point covers critical minerals?", history=history)
    assert "Critical Minerals Dialogue (point 12)" in answer.citations[0].text


def test_a_follow_up_asks_for_something_new_about_the_same_thing(corpus_service: Service) -> None:
    """The previous question's words say what is talked about, at a share of their weight
    (``context_term_weight``): "Who joined her on the trip?" opens with who joined
    Sherwood-Randall, not again with the sentence that said she led the delegation (#15)."""
    history = _turn("Who led the US delegation to Tashkent in July 2021?")
    answer = corpus_service.ask("Who joined her on the trip?", history=history)
    assert answer.citations[0].text.startswith("She was joined by")


def test_what_changed_overall_between_two_periods_is_a_diff(corpus_service: Service) -> None:
    """With no topic of its own, "what changed between" two named sides is answered by the
    diff (#16): the 2023 declaration against the documents of the 2025 summit's day, not the
    Senate resolution dated days before it; with a topic, periods side by side as before."""
    answer = corpus_service.ask(
        "What changed between the 2023 New York Declaration and the 2025 summit?"
    )
    assert answer.lead.startswith("Compared with the 2023 New York Declaration (2023-09-21), ")
    assert "the 2025 summit (2025-11-07)" in answer.lead
    assert [s.label for s in answer.sections[:3]] == ["Continued", "Dropped", "New"]
    sources = {q.source for s in answer.sections[:3] for q in s.all_quotes()}
    assert "2025-11-04_s-res-459-c5plus1-senate-resolution.txt" not in sources
    themed = corpus_service.ask("How did security cooperation change between 2023 and 2025?")
    assert not themed.lead.startswith("Compared with")
