import pytest

from c5qa.answer.compare import spread
from c5qa.answer.render import markdown, to_json
from c5qa.app.service import Service
from c5qa.query.request import Period, parse_periods
from c5qa.retrieve.search import Passage
from tests.conftest import NEW_YORK


def test_period_parsing_full_and_month_only_dates() -> None:
    assert parse_periods("2015-2022, 2023,2025-11-07,2025-11") == [
        Period("2015-2022", "2015", "2022"),
        Period("2023", "2023", "2023"),
        Period("2025-11-07", "2025-11-07", "2025-11-07"),
        Period("2025-11", "2025-11", "2025-11"),
    ]
    from c5qa.ingest.documents import Document

    month_only = Document(source="d.txt", text="x", title="d", date="2025-11")
    assert Period("2025", "2025", "2025").filters.admits(month_only)
    assert not Period("2023", "2023", "2023").filters.admits(month_only)
    for bad in ("2023-2015", "last year", "2023-13-99x"):
        with pytest.raises(ValueError):
            parse_periods(bad)


def test_security_compare_cites_2023_and_states_the_summit_absence(
    corpus_service: Service,
) -> None:
    answer = corpus_service.compare("security cooperation", parse_periods("2023,2025-11-07"))
    first, second = markdown(answer).split("\n\n")[:2]
    assert first.startswith("**2023:**") and "[1]" in first
    cited_2023 = [c for c in answer.citations if answer.passages[c.n - 1].date.startswith("2023")]
    assert cited_2023 and any("security" in c.text.lower() for c in cited_2023)
    assert second.startswith("**2025-11-07:** no passage in the period's documents addresses")
    # The near miss, cited; its retrieval score stays in the JSON, out of the text (#15).
    assert "(closest: " in second and "score" not in second
    dates = {p.date[:4] for p in answer.passages}
    assert {"2023", "2025"} <= dates
    assert "Commentary" in markdown(answer)  # the analysis that remarks on the absence
    assert {"question", "answer", "abstained", "passages", "verdict", "sections"} <= set(
        to_json(answer)
    )


def test_absence_question_gets_an_evidenced_no_and_a_yes_where_said(
    corpus_service: Service,
) -> None:
    no = corpus_service.ask("Does the 2025 economic statement mention climate change?")
    assert markdown(no).startswith("**No**")
    assert not any(
        c.source != "2025-11_the-diplomat-a-c5plus1-or-5-c1plus1s.txt"
        and "climate" in c.text.lower()
        for c in no.citations
    )
    assert any("absence" in c.text or "climate change" in c.text for c in no.citations)
    yes = corpus_service.ask("Does the 2023 declaration mention climate change?")
    assert markdown(yes).startswith("**Yes.**")
    assert any(c.source == NEW_YORK and "climate change" in c.text.lower() for c in yes.citations)


def test_change_questions_naming_years_are_answered_per_period(corpus_service: Service) -> None:
    answer = corpus_service.ask(
        "How did cooperation on critical minerals change between 2023 and 2025?"
    )
    assert markdown(answer).startswith("**2023:**") and "**2025:**" in markdown(answer)


def test_periods_are_searched_without_the_years_and_the_words_of_change(
    corpus_service: Service,
) -> None:
    """Within a period, its year is already a filter; left in the query, the years pulled
    passages that themselves weigh one year against another ahead of the passages on the
    theme. The commentary still sees the whole question."""
    from c5qa.query.analysis import period_free

    assert (
        period_free("How has the C5+1 trade agenda evolved from the TIFA focus of 2019-2020?")
        == "How has the C5+1 trade agenda from the TIFA focus of - ?"
    )
    answer = corpus_service.ask(
        "How has the C5+1 trade agenda evolved from the TIFA focus of 2019-2020 to the 2023 summit?"
    )
    assert "Trade and Investment Framework Agreement" in answer.passages[0].text
    # 2019 writes the agreement out in full, which the question's "TIFA" now finds: 2019 is
    # quoted, not passed over; "2019-2020" is one span.
    first = markdown(answer).split("\n\n")[0]
    assert first.startswith("**2019–2020:** **2019 Joint Statement on the Fourth C5+1")
    assert "Trade and Investment Framework Agreement as platforms" in first
    alone = corpus_service.compare("TIFA", [Period("2019", "2019", "2019")])
    assert markdown(alone).startswith("**2019:** • Develop regional trade")


def test_the_early_years_are_a_period_before_the_first_year_named(
    corpus_service: Service,
) -> None:
    from c5qa.query.analysis import Corpus, period_free, periods_asked

    store = Corpus.of(corpus_service.store())
    question = "How has Afghanistan's place shifted from the early years through 2023 to 2025?"
    assert periods_asked(question, store) == [
        Period("2015–2022", "2015", "2022"),
        Period("2023", "2023", "2023"),
        Period("2025", "2025", "2025"),
    ]
    assert periods_asked("What changed between 2023 and 2025?", store) == [
        Period("2023", "2023", "2023"),
        Period("2025", "2025", "2025"),
    ]
    assert "early" not in period_free(question)
    # Each period that names Afghanistan addresses the theme, whatever its words for "place"
    # and "agenda"; 2025's documents never name it.
    answer = corpus_service.ask(
        "How has Afghanistan's place in the C5+1 agenda shifted from the early years through "
        "2023 to the 2025 summit?"
    )
    early, in_2023, in_2025 = markdown(answer).split("\n\n")[:3]
    assert early.startswith("**2015–2022:**") and "Afghan" in early and "no passage" not in early
    assert in_2023.startswith("**2023:**") and "Afghanistan" in in_2023
    assert in_2025.startswith("**2025:** no passage")
    # The founding declaration speaks for the early years beside 2021's statements, though
    # a 2021 press release has two passages that score a little higher than its best.
    assert "situation in Afghanistan remains an important factor" in early


def _passage(source: str, score: float) -> Passage:
    return Passage(0, source, source, "2023", "", "", False, "", 0, 0, "", score, ())


def test_a_period_hears_each_relevant_document_beside_its_best_passages() -> None:
    ranked = [_passage("a", 0.9), _passage("a", 0.8), _passage("b", 0.6), _passage("c", 0.2)]
    # "b" joins the two best; "c" scores below half the best: it is not about the theme.
    assert spread(ranked, 2, 0.5) == ranked[:3]
    assert spread(ranked, 1, 0.5) == [ranked[0], ranked[2]]
    assert spread(ranked, 9, 0.5) == ranked
    assert spread([], 3, 0.5) == []


def test_a_span_of_years_is_one_period_and_a_dated_event_stands_for_its_year(
    corpus_service: Service,
) -> None:
    from c5qa.query.analysis import Corpus, period_free, side_by_side, years_in

    assert [p.label for p in years_in("in the early years (2015–2022), or only in 2023?")] == [
        "2015–2022",
        "2023",
    ]
    assert [p.label for p in years_in("between 2023 and 2025")] == ["2023", "2025"]
    assert years_in("in 2023-2023") == [Period("2023", "2023", "2023")]
    question = (
        "How did C5+1 clean energy commitments develop between the 2015 Samarkand declaration "
        "and the 2023 New York Declaration?"
    )
    # Each period's search keeps the theme, not the other period's name for itself.
    assert period_free(question) == "How did C5+1 clean energy commitments between the and the ?"
    assert period_free("from the April 2021 ministerial to the 2023 leaders' summit") == (
        "from the to the"
    )
    assert period_free("TIFA in Sept. 2019 and in 2020") == "TIFA in and in"
    store = Corpus.of(corpus_service.store())
    assert [p.label for p in side_by_side(question, store)] == ["2015", "2023"]
    assert side_by_side("What did the 2023 declaration say about energy?", store) == []
    answer = corpus_service.ask(question)
    assert markdown(answer).startswith("**2015:** Join efforts in addressing climate change by ")
    assert "increase clean energy production" in markdown(answer).split("**2023:**")[1]


def test_a_name_the_corpus_never_uses_is_named_when_a_comparison_is_refused(
    corpus_service: Service,
) -> None:
    """The corpus never writes "Rogun" or "NATO": no period answers for them, and the refusal
    says which name it could not find."""
    for question, name in [
        ("How did U.S. support for the Rogun dam change between 2020 and 2023?", "Rogun"),
        ("How did NATO's role in Central Asia change between 2015 and 2023?", "NATO"),
    ]:
        answer = corpus_service.ask(question)
        assert answer.abstained and not answer.citations
        assert markdown(answer).endswith(f"*The documents never use “{name}”.*")


def test_periods_all_silent_and_no_commentary_are_an_abstention(corpus_service: Service) -> None:
    from c5qa.answer.plain import ABSTAIN_TEXT

    answer = corpus_service.compare(
        "plov recipes", [Period("2019", "2019", "2019"), Period("2021", "2021", "2021")]
    )
    assert answer.abstained and not answer.citations
    first, *periods = markdown(answer).split("\n\n")
    assert first == ABSTAIN_TEXT
    assert [p.split(":**")[0] for p in periods] == ["**2019", "**2021"]
    assert all("no passage in the period's documents addresses this" in p for p in periods)


@pytest.mark.parametrize(
    ("question", "verdict", "lead"),
    [
        # A fact sheet close in meaning to the subject, without a word of it: "no" (#15).
        (
            "Does the Turkmenistan fact sheet say anything about the US travel ban on Turkmen "
            "citizens?",
            "no",
            "2025 President Trump Deepens Ties With Turkmenistan (fact sheet) does not mention",
        ),
        # Scoped to the two documents named, and the lead says so.
        (
            "Do the 2025 fact sheets (Kazakhstan, Turkmenistan) mention Afghanistan at all?",
            "no",
            "None of the 2 documents searched (2025 A New Era in U.S.-Kazakhstan Relations",
        ),
        ("Does the 2015 Samarkand declaration mention Afghanistan?", "yes", "2015 Joint"),
        # Names the corpus never uses: a "no" scoped to the declaration, not an abstention.
        (
            "Does the New York Declaration mention the Abraham Accords?",
            "no",
            "2023 C5+1 Leaders' Joint Statement (The New York Declaration: C5… does not mention",
        ),
        # The passive, the theme first.
        (
            "Was Covid-19 discussed at the C5+1 roundtable in Tashkent in July 2021?",
            "yes",
            "Documents dated 2021 mention “Covid-19”.",
        ),
    ],
)
def test_a_yes_or_no_is_scoped_to_what_the_question_names(
    corpus_service: Service, question: str, verdict: str, lead: str
) -> None:
    answer = corpus_service.ask(question)
    assert (answer.verdict, answer.lead[: len(lead)]) == (verdict, lead)
    subject = answer.lead.split("“")[1].split("”")[0].split()[0].lower()
    quoted = [q for s in answer.sections if s.label != "Commentary" for q in s.all_quotes()]
    if verdict == "yes":  # a yes rests on a quoted sentence that names the subject
        assert any(subject in q.text.lower() for q in quoted), quoted
    else:  # a no quotes nothing from the documents searched
        assert not quoted


def test_a_yes_or_no_after_a_leading_phrase_is_scoped_to_its_document(
    corpus_service: Service,
) -> None:
    """ "In Biden's remarks …, did he mention …?": the remarks never do; the declaration that
    does is another document."""
    answer = corpus_service.ask(
        "In Biden's remarks after the Central Asia 5+1 meeting, did he mention the Middle "
        "Corridor / Trans-Caspian Trade Route?"
    )
    assert answer.verdict == "no"
    assert answer.lead.startswith("2023 Remarks by President Biden After Central Asia")
