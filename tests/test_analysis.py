"""``c5qa.query.analysis``: a question read once into what every later stage needs."""

from __future__ import annotations

import dataclasses

import pytest

from c5qa.app.service import Service
from c5qa.query.analysis import (
    Corpus,
    Question,
    analyze,
    context_terms,
    documents_apart,
    numbered,
    previous_question,
    ranked_terms,
    unknown_names,
    uses_name,
)
from c5qa.query.request import Period
from c5qa.query.terms import names

MAX = 2000


@pytest.fixture(scope="module")
def corpus(corpus_service: Service) -> Corpus:
    """What analysis knows of the real 17 documents."""
    return Corpus.of(corpus_service.store())


def _read(question: str, corpus: Corpus | None = None, history: list | None = None) -> Question:
    return analyze(question, history or [], corpus, MAX)


def test_previous_question_reads_strings_and_parts() -> None:
    history = [
        {"role": "user", "content": "What deals did Kazakhstan sign?"},
        {"role": "assistant", "content": "Several."},
        {"role": "user", "content": [{"type": "text", "text": "And Uzbekistan?"}]},
        {"role": "assistant", "content": "Others."},
    ]
    assert previous_question(history) == "And Uzbekistan?"
    assert previous_question([]) == ""


@pytest.mark.parametrize(
    ("question", "kind", "wanted"),
    [
        (
            "How many locomotives are in Kazakhstan's Wabtec order?",
            "number",
            "number of locomotives",
        ),
        ("When was the resolution adopted?", "date", "date"),
        # A time of day, not any date: the readout's "today" does not answer it.
        ("What time did Biden start his remarks?", "date", "time"),
        (
            "What did President Japarov say in his speech at the 2023 summit?",
            "person",
            "statement by Japarov",
        ),
        (
            "Which U.S. Secretary of State travelled to Samarkand?",
            "person",
            "name of the secretary of state",
        ),
        ("Does the New York Declaration mention Syria?", "mention", None),
        ("Trace how the counterterrorism agenda developed", "change", None),
        ("Which firm will upgrade the air traffic system?", "fact", None),
    ],
)
def test_the_kind_of_answer_a_question_wants(question: str, kind: str, wanted: str | None) -> None:
    asked = _read(question)
    assert asked.kind == kind
    assert (asked.wanted.what if asked.wanted else None) == wanted


def test_a_mention_question_has_its_theme() -> None:
    asked = _read("Does the New York Declaration mention Syria?")
    assert (asked.theme, asked.theme_terms, asked.change) == ("Syria", ("syria",), False)
    assert _read("What did the New York Declaration say about Syria?").theme == ""


def test_a_change_question_naming_two_years_is_answered_over_both(corpus: Corpus) -> None:
    asked = _read("How did security cooperation change between 2023 and 2025?", corpus)
    assert asked.change and asked.kind == "change"
    assert asked.periods == (Period("2023", "2023", "2023"), Period("2025", "2025", "2025"))
    # Within each period the search is for the theme: the years and "change" are left out.
    assert asked.within.terms == ("secur", "cooper")
    # A question that names a year but asks for no change gets a plain answer.
    plain = _read("What did the 2023 declaration say about economic development?", corpus)
    assert not plain.change and plain.periods == ()
    # "Does the 2025 statement mention …" is answered for its year, beside the others.
    dated = _read("Does the 2025 statement mention climate change?", corpus)
    assert dated.periods == (Period("2025", "2025", "2025"),)
    # Without the documents there are no periods to set side by side.
    assert _read("How did security cooperation change between 2023 and 2025?").periods == ()


def test_a_long_question_is_cut_and_says_so() -> None:
    cut = _read("Leidos " + "x" * 100_000)
    assert len(cut.text) == MAX and cut.truncated
    whole = _read("Leidos " + "x" * (MAX - 7))
    assert len(whole.text) == MAX and not whole.truncated
    # Control characters become spaces, runs of spaces one.
    assert _read("Which firm\x00 will\t\t upgrade\x1b it?").text == "Which firm will upgrade it?"


def test_a_question_shortened_only_by_cleaning_is_not_truncated() -> None:
    """BUG (src/c5qa/query/analysis.py, ``analyze``): ``truncated`` compares the raw question's
    length, control characters included, with ``max_chars``, so a short question padded with
    control characters is reported as cut ("Only the first 2,000 characters of the question
    were used.") though every word of it was used."""
    asked = _read("Leidos" + "\x00" * 3000 + " contract?")
    assert asked.text == "Leidos contract?"
    assert not asked.truncated


@pytest.mark.parametrize(
    ("question", "non_latin"),
    [
        ("Какие сделки заключил Казахстан?", True),
        ("中亚五国峰会讨论了什么？", True),
        ("Қозоғистон қандай битимлар имзолади?", True),
        # Uzbek in Latin letters may still match a name; English with one Cyrillic word too.
        ("Qozog'iston qanday kelishuvlar imzoladi?", False),
        ("Which deals did Казахстан sign in Washington?", False),
    ],
)
def test_questions_mostly_in_another_script_are_marked(question: str, non_latin: bool) -> None:
    assert _read(question).non_latin is non_latin


def test_a_follow_up_knows_the_previous_question() -> None:
    history = [
        {"role": "user", "content": "What commercial deals did Kazakhstan announce?"},
        {"role": "assistant", "content": "Boeing aircraft and Wabtec locomotives."},
    ]
    asked = _read("What about Turkmenistan?", history=history)
    assert asked.previous == "What commercial deals did Kazakhstan announce?"
    assert asked.asks.text == "What about Turkmenistan?"
    assert _read("What about Turkmenistan?").previous == ""


def test_names_the_corpus_never_uses_are_unknown_and_kept_as_written(corpus: Corpus) -> None:
    asked = _read("What did NATO say about the 2024 C5+1 meeting?", corpus)
    assert asked.unknown == ("nato", "2024")
    assert asked.unused == ("NATO", "2024")
    # "B3W's" is named as the question writes the name, without the possessive.
    assert _read("Did the C5+1 mention B3W's projects?", corpus).unused == ("B3W",)
    known = _read("What did the 2020 Tashkent statement say?", corpus)
    assert known.unknown == () and known.unused == ()
    # Without the documents nothing can be called unknown.
    assert _read("What did NATO say about the 2024 C5+1 meeting?").unknown == ()


@pytest.mark.parametrize(
    ("question", "empty"), [("?!", True), ("", True), ("\x00\x07", True), ("x?", False)]
)
def test_a_question_without_letters_or_digits_is_empty(question: str, empty: bool) -> None:
    assert _read(question).empty is empty


def test_a_name_is_used_as_it_is_in_parts_or_as_a_stem() -> None:
    """A follow-up about Kyrgyzstan stays within the New York Declaration, which only says
    "the Kyrgyz Republic" (#15); a word more than five letters shorter is not its stem."""
    words = {"kyrgyz", "republ", "5", "1", "tajikistan", "state"}
    assert uses_name("kyrgyzstan", words) and uses_name("5+1", words)
    assert uses_name("tajik", words)
    assert not uses_name("statements", {"stat"}) and not uses_name("kazakhstan", words)
    assert uses_name("uzbekistan", {"uzbek"}) and not uses_name("uzbekistanis", {"uzbek"})


def test_unknown_names_are_those_the_corpus_never_uses(corpus: Corpus) -> None:
    assert unknown_names(names("What did NATO say about the 2024 C5+1 meeting?"), corpus) == [
        "nato",
        "2024",
    ]
    # A year the documents are dated in, "5+1" written "5 + 1", "Tajik" for "Tajikistan".
    assert unknown_names(names("What did the 2020 Tashkent statement say?"), corpus) == []
    assert (
        unknown_names(names("What did Biden say after the Central Asia 5+1 meeting?"), corpus) == []
    )
    assert unknown_names(names("And the Tajik fact sheet?"), corpus) == []
    # A month dates: "Feb 28 2023" names a statement that writes "February" (#15).
    assert unknown_names(names("the Astana statement of Feb 28 2023, Sept 2019"), corpus) == []


def test_a_narrowed_follow_up_is_ranked_by_its_words_and_weighed_by_the_previous() -> None:
    history = [
        {"role": "user", "content": "Who led the US delegation to Tashkent?"},
        {"role": "assistant", "content": "Dr. Sherwood-Randall."},
    ]
    asked = _read("Who joined her on the trip?", history=history)
    narrowed = dataclasses.replace(asked, narrowed=True)
    assert ranked_terms(narrowed) == ("join", "trip")
    assert context_terms(narrowed) == ("led", "us", "deleg", "tashkent")
    assert context_terms(asked) == ()


def test_a_question_of_change_with_no_topic_of_its_own_asks_for_the_overall_change(
    corpus: Corpus,
) -> None:
    assert _read("What changed between 2023 and 2025?", corpus).overall
    assert not _read("How did security cooperation change between 2023 and 2025?", corpus).overall
    assert not _read("What changed in 2025?", corpus).overall


@pytest.mark.parametrize(
    ("question", "periods", "asked_first"),
    [
        # A period and a document no period holds are two sides (#16).
        ("How does the 2025 summit differ from the New York Declaration?", ["2025"], ""),
        ("What changed between the Biden-era declaration and the 2025 summit?", ["2025"], ""),
        # Two named documents, and a class asked for.
        (
            "What did the 2023 New York Declaration keep from the 2015 Samarkand declaration?",
            ["2015", "2023"],
            "continued",
        ),
        ("What is new in 2025 compared with 2023?", ["2023", "2025"], "new"),
        # What any document says is no topic of its own.
        ("Which commitments of 2023 were dropped in 2025?", ["2023", "2025"], "dropped"),
    ],
)
def test_a_question_of_change_between_two_sides_of_any_kind_is_a_diff(
    corpus: Corpus, question: str, periods: list[str], asked_first: str
) -> None:
    asked = _read(question, corpus)
    assert asked.overall
    assert [p.label for p in asked.periods] == periods
    assert asked.diff_class == asked_first


def test_documents_no_named_period_holds_are_sides_by_year() -> None:
    dates = {"a.txt": "2023-09-21", "b.txt": "2025-11-07", "c.txt": "2025-11-07"}
    assert documents_apart([Period("2025", "2025", "2025")], list(dates), dates) == [("a.txt",)]
    assert documents_apart([], list(dates), dates) == [("a.txt",), ("b.txt", "c.txt")]


def test_a_numbered_event_no_document_numbers_so_is_unknown(corpus: Corpus) -> None:
    """The documents number the fourth ministerial and the first summit, not a third
    ministerial (#15); an ordinal counts the event it stands before, not an anniversary."""
    assert numbered("the first C5+1 ministerial meeting, the tenth-anniversary summit") == [
        frozenset({"first ministeri", "first meet"})
    ]
    asked = _read("Where was the third C5+1 ministerial held and what did it agree?", corpus)
    assert asked.unknown == asked.unused == ("third C5+1 ministerial",)
    for known in (
        "What did the fourth C5+1 ministerial agree?",
        "Who hosted the first C5+1 presidential summit?",
        "How did the 2025 tenth-anniversary summit go?",
    ):
        assert _read(known, corpus).unknown == (), known


@pytest.mark.parametrize(
    ("question", "listing"),
    [
        ("Which commercial deals did Kazakhstan announce?", True),
        ("What did the participants do in support of economic objectives? list them", True),
        ("Is Kazakhstan on the list of partners?", False),
        ("Who signed the New York Declaration?", True),
        ("Who signed the New York Declaration for Kyrgyzstan?", False),
    ],
)
def test_a_question_asking_for_several_things_is_a_listing(question: str, listing: bool) -> None:
    assert _read(question).listing is listing


@pytest.mark.parametrize(
    ("question", "previous", "quotable"),
    [
        ("Who took the photo of the presidents?", "", {"caption"}),
        ("Where and at what time did Biden deliver his remarks?", "", {"dateline"}),
        ("When did the Senate adopt the resolution?", "", {"dateline"}),
        ("Who signed the New York Declaration?", "", {"signature"}),
        # A follow-up asks for what its previous question did.
        ("And for Tajikistan?", "Who signed the declaration for Kyrgyzstan?", {"signature"}),
        ("How was the 2019 meeting numbered?", "", set()),
    ],
)
def test_a_question_may_quote_the_blocks_that_hold_what_it_asks(
    question: str, previous: str, quotable: set[str]
) -> None:
    """A caption, a dateline or a signature block is no statement of the document, but it is
    what a question about the photo, the date or place, or who signed asks for (#15)."""
    history = [{"role": "user", "content": previous}, {"role": "assistant", "content": "."}]
    assert _read(question, history=history if previous else ()).quotable == quotable
