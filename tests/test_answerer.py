from c5qa.answer.answerer import NOT_ENGLISH, NOTHING_TO_SEARCH
from c5qa.answer.render import markdown
from c5qa.app.service import Service
from c5qa.query.analysis import analyze
from c5qa.query.request import Filters, Request


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
