"""``c5qa.query.request``: what a front end may ask for, checked once, and refused in one line."""

from __future__ import annotations

import pytest

from c5qa.ingest.documents import Document, load_document
from c5qa.query.request import BadRequest, Filters, Period, Request, parse_periods
from c5qa.settings import Settings
from tests.conftest import CORPUS, KAZAKHSTAN

SETTINGS = Settings(k=4, max_k=20, retrieval="dense")
DIPLOMAT = "2025-11_the-diplomat-a-c5plus1-or-5-c1plus1s.txt"


def _refusal(**given: object) -> str:
    with pytest.raises(BadRequest) as refused:
        Request.of(SETTINGS, "What deals did Kazakhstan sign?", **given)
    message = str(refused.value)
    assert "\n" not in message, "a refusal is one line"
    return message


def test_a_request_takes_the_settings_defaults() -> None:
    request = Request.of(SETTINGS, "What deals did Kazakhstan sign?")
    assert request == Request("What deals did Kazakhstan sign?", (), 4, None, "dense")
    # No question is an empty one (the answerer replies to it), not an error.
    assert Request.of(SETTINGS, None).question == ""


@pytest.mark.parametrize("k", [1, 7, 20])
def test_k_from_one_to_max_k_is_accepted(k: int) -> None:
    assert Request.of(SETTINGS, "q", k=k).k == k


@pytest.mark.parametrize(("k", "read"), [("7", 7), (" 7 ", 7), (7.0, 7)])
def test_k_as_text_or_a_whole_float_is_a_number(k: object, read: int) -> None:
    """JSON and form fields hand over 7 as "7" or 7.0."""
    assert Request.of(SETTINGS, "q", k=k).k == read


@pytest.mark.parametrize("k", [-3, 0, 21, 1000, 5.5, "x", "", True, False, float("nan"), [5]])
def test_k_out_of_bounds_or_not_a_whole_number_is_refused(k: object) -> None:
    # True is an int to Python, but nobody means one passage by it.
    message = _refusal(k=k)
    assert message == f"k must be a whole number from 1 to 20, not {k!r}"


def test_mode_is_one_of_the_three() -> None:
    assert Request.of(SETTINGS, "q", mode="bm25").mode == "bm25"
    assert Request.of(SETTINGS, "q", mode="hybrid").mode == "hybrid"
    for mode in ("BM25", "", "sparse"):
        assert _refusal(mode=mode) == f"mode must be one of hybrid, dense, bm25, not {mode!r}"


def test_history_is_a_list_of_messages() -> None:
    history = [{"role": "user", "content": "What deals did Kazakhstan sign?"}]
    assert Request.of(SETTINGS, "And Uzbekistan?", history=history).history == tuple(history)
    assert Request.of(SETTINGS, "q", history=None).history == ()
    # A string is a sequence too, and so is a list of anything.
    for history in ("hello", b"hello", [1, 2], [{"role": "user"}, "hi"], {"role": "user"}, 5):
        assert _refusal(history=history) == "history must be a list of {role, content} messages"


@pytest.mark.parametrize("question", [5, b"What deals?", ["What deals?"], {"q": 1}])
def test_a_question_that_is_not_text_is_refused(question: object) -> None:
    with pytest.raises(BadRequest, match=r"^the question must be text$"):
        Request.of(SETTINGS, question)


def _doc(date: str = "2023-09-21", kind: str = "declaration", source: str = "d.txt") -> Document:
    return Document(source=source, text="x", title="t", date=date, kind=kind)


def test_filters_admit_by_source_kind_and_date_prefix() -> None:
    assert Filters(sources=("d.txt",)).admits(_doc())
    assert not Filters(sources=("other.txt",)).admits(_doc())
    assert Filters(kinds=("declaration",)).admits(_doc())
    assert not Filters(kinds=("analysis",)).admits(_doc())
    assert not Filters(exclude_kinds=("declaration",)).admits(_doc())
    # Bounds are prefixes: "2023" reaches to the end of 2023, "2023-09" covers all September.
    assert Filters(date_from="2023", date_to="2023").admits(_doc("2023-12-31"))
    assert Filters(date_from="2023-09", date_to="2023-09").admits(_doc("2023-09-01"))
    assert not Filters(date_from="2023-09").admits(_doc("2023-08-30"))
    assert not Filters(date_to="2023-08").admits(_doc("2023-09-01"))
    # An undated document is outside every date range, but not outside a source filter.
    assert not Filters(date_to="2030").admits(_doc(""))
    assert Filters(sources=("d.txt",)).admits(_doc(""))
    assert Filters().admits(_doc("")) and not Filters()


def test_filters_chosen_are_none_when_nothing_was_chosen() -> None:
    assert Filters.chosen() is None
    assert Filters.chosen([], " ", "\t") is None
    # A single source as a string is one source, not its characters.
    assert Filters.chosen(KAZAKHSTAN) == Filters(sources=(KAZAKHSTAN,))
    assert Filters.chosen([KAZAKHSTAN, DIPLOMAT], " 2023 ", "2025-11 ") == Filters(
        (KAZAKHSTAN, DIPLOMAT), "2023", "2025-11"
    )


def test_filters_from_json() -> None:
    assert Filters.from_json(None) is None and Filters.from_json({}) is None
    assert Filters.from_json({"sources": [], "date_from": ""}) is None
    assert Filters.from_json({"sources": [KAZAKHSTAN], "date_from": "2025"}) == Filters(
        (KAZAKHSTAN,), "2025", ""
    )
    assert Filters.from_json({"sources": KAZAKHSTAN}) == Filters((KAZAKHSTAN,))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([KAZAKHSTAN], "filters must be an object with sources, date_from and date_to"),
        ("2023", "filters must be an object with sources, date_from and date_to"),
        ({"sources": 5}, "filters.sources must be a list of corpus file names"),
        ({"sources": {"a.txt": 1}}, "filters.sources must be a list of corpus file names"),
        ({"date_from": 2023}, "filters.date_from and date_to must be text such as 2023-09"),
        ({"date_to": ["2023"]}, "filters.date_from and date_to must be text such as 2023-09"),
    ],
)
def test_malformed_json_filters_are_refused(value: object, message: str) -> None:
    with pytest.raises(BadRequest) as refused:
        Filters.from_json(value)
    assert str(refused.value) == message


@pytest.mark.parametrize("sources", [[1], [["a.txt"]], [None]])
def test_json_sources_that_are_not_file_names_are_refused(sources: list[object]) -> None:
    """The refusal promises "a list of corpus file names", and a bad filter should never reach
    the service; a list of numbers or lists is no such list."""
    with pytest.raises(BadRequest) as refused:
        Filters.from_json({"sources": sources})
    assert str(refused.value) == "filters.sources must be a list of corpus file names"


def test_periods_parse_as_date_prefixes() -> None:
    assert parse_periods("2015 – 2022, 2023,2025-11-07..2025-11-09") == [
        Period("2015–2022", "2015", "2022"),
        Period("2023", "2023", "2023"),
        Period("2025-11-07..2025-11-09", "2025-11-07", "2025-11-09"),
    ]
    # A month ends no earlier than its year starts.
    assert parse_periods("2025-2025-11") == [Period("2025-2025-11", "2025", "2025-11")]
    assert parse_periods(" , ") == []


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2023-2015", "ends before it starts"),
        ("2025-11-2025-10", "ends before it starts"),
        ("last year", "is not DATE or DATE-DATE"),
        ("2023-", "is not DATE or DATE-DATE"),
        ("20233", "is not DATE or DATE-DATE"),
        ("2023-13-99x", "is not DATE or DATE-DATE"),
        ("2023-13", "is not DATE or DATE-DATE"),  # no thirteenth month
        ("2023-02-32", "is not DATE or DATE-DATE"),
    ],
)
def test_reversed_or_garbled_periods_are_refused(text: str, why: str) -> None:
    with pytest.raises(BadRequest) as refused:
        parse_periods(f"2023, {text}")
    assert str(refused.value).startswith(f"period {text!r} {why}")


def test_a_period_holds_its_own_documents_not_commentary_on_them() -> None:
    """The Diplomat's analysis is dated November 2025 but speaks about the summit afterwards:
    it is not what 2025 said. The same period admits 2025's fact sheet."""
    analysis = load_document(CORPUS / DIPLOMAT, CORPUS)
    fact_sheet = load_document(CORPUS / KAZAKHSTAN, CORPUS)
    assert analysis.kind == "analysis" and analysis.date == "2025-11"
    period = Period("2025", "2025", "2025").filters
    assert not period.admits(analysis)
    assert period.admits(fact_sheet)
    assert not Period("2023", "2023", "2023").filters.admits(fact_sheet)
    # Without the period, a date filter admits it.
    assert Filters(date_from="2025", date_to="2025").admits(analysis)


# --- Bounds on what one request may multiply (issue #21) -------------------------------------


def _one_line(refused: pytest.ExceptionInfo[BadRequest]) -> str:
    message = str(refused.value)
    assert "\n" not in message, "a refusal is one line"
    assert len(message) < 200, "a refusal does not echo a flood back"
    return message


def test_periods_up_to_max_periods_are_accepted_and_more_refused() -> None:
    twelve = ",".join(str(year) for year in range(2014, 2026))
    assert len(parse_periods(twelve)) == Settings().max_periods == 12
    with pytest.raises(BadRequest) as refused:
        parse_periods(twelve + ",2026")
    assert _one_line(refused) == "periods must be at most 12 (max_periods), not 13"
    # The caller's settings decide; empty parts are no periods.
    assert len(parse_periods("2023, ,2024,", limit=2)) == 2
    with pytest.raises(BadRequest, match=r"at most 2 \(max_periods\), not 3"):
        parse_periods("2023,2024,2025", limit=2)


def test_a_flood_of_periods_is_refused_by_its_length_before_it_is_split() -> None:
    """The issue's request: "1000,1001,…" with 6,000 periods took 33 s."""
    flood = ",".join(str(year) for year in range(1000, 7000))
    with pytest.raises(BadRequest) as refused:
        parse_periods(flood)
    assert _one_line(refused) == (
        f"periods must be at most 400 characters (max_periods_chars), not {len(flood):,}"
    )
    # Twelve periods of the longest form, with spaces, fit.
    longest = ", ".join(["2025-11-07 .. 2025-11-09"] * 12)
    assert len(parse_periods(longest)) == 12
    with pytest.raises(BadRequest, match="at most 20 characters"):
        parse_periods("2015-2022, 2023, 2025", max_chars=20)


def _messages(count: int) -> list[dict[str, str]]:
    return [
        {"role": "user" if n % 2 == 0 else "assistant", "content": f"message {n}"}
        for n in range(count)
    ]


def test_a_long_history_keeps_its_last_messages() -> None:
    """Older messages are dropped, not refused: only the last user question is read again."""
    from c5qa.query.analysis import previous_question

    history = _messages(SETTINGS.max_history_turns + 11)
    request = Request.of(SETTINGS, "And Uzbekistan?", history=history)
    assert SETTINGS.max_history_turns == 50
    assert request.history == tuple(history[-50:])
    assert previous_question(request.history) == previous_question(history) == "message 60"
    short = Settings(max_history_turns=3)
    assert Request.of(short, "q", history=history).history == tuple(history[-3:])
    assert Request.of(Settings(max_history_turns=0), "q", history=history).history == ()
    # Dropped messages are not even looked at; kept ones still must be messages.
    assert Request.of(short, "q", history=["junk", *history[-3:]]).history == tuple(history[-3:])
    assert _refusal(history=[*history[-3:], "junk"]).startswith("history must be a list")


def test_each_history_message_is_cut_to_max_question_chars() -> None:
    settings = Settings(max_question_chars=10)
    short = {"role": "user", "content": "short"}
    long = {"role": "assistant", "content": "x" * 5000, "metadata": {"title": "[1]"}}
    parts = {"role": "user", "content": [{"type": "text", "text": "y" * 8}, "z" * 8, 5]}
    many = {"role": "user", "content": [""] * 100_000}
    kept = Request.of(settings, "q", history=[short, long, parts, many]).history
    assert kept[0] is short  # within the bound: the message itself
    assert kept[1] == {"role": "assistant", "content": "x" * 10, "metadata": {"title": "[1]"}}
    assert kept[2]["content"] == [{"type": "text", "text": "y" * 8}, "zz"]
    assert len(kept[3]["content"]) == 10  # every part counts
    assert long["content"] == "x" * 5000  # the caller's message is not changed


@pytest.mark.parametrize("count", [200, 201])
def test_filters_name_at_most_max_filter_sources_documents(count: int) -> None:
    names = [f"doc{n}.txt" for n in range(count)]
    if count <= Settings().max_filter_sources:
        assert Filters.chosen(names) == Filters(tuple(names))
        assert Filters.from_json({"sources": names}) == Filters(tuple(names))
        return
    expected = "filters.sources may name at most 200 documents (max_filter_sources), not 201"
    for build in (lambda: Filters.chosen(names), lambda: Filters.from_json({"sources": names})):
        with pytest.raises(BadRequest) as refused:
            build()
        assert _one_line(refused) == expected


def test_the_settings_bound_sources_however_filters_were_built() -> None:
    three = ("a.txt", "b.txt", "c.txt")
    with pytest.raises(BadRequest, match=r"at most 2 documents \(max_filter_sources\), not 3"):
        Filters.chosen(list(three), limit=2)
    with pytest.raises(BadRequest, match=r"at most 2 documents \(max_filter_sources\), not 3"):
        Filters.from_json({"sources": list(three)}, limit=2)
    # Filters built by hand meet the service's own bound in Request.of.
    narrow = Settings(max_filter_sources=2)
    with pytest.raises(BadRequest, match=r"at most 2 documents \(max_filter_sources\), not 3"):
        Request.of(narrow, "q", filters=Filters(three))
    assert Request.of(narrow, "q", filters=Filters(three[:2])).filters == Filters(three[:2])


@pytest.mark.parametrize("date", ["2023", "2023-09", "2023-09-21", " 2023-09 "])
def test_filter_dates_are_iso_prefixes(date: str) -> None:
    assert Filters.chosen(None, date, date) == Filters((), date.strip(), date.strip())
    assert Filters.from_json({"date_to": date}) == Filters(date_to=date.strip())


@pytest.mark.parametrize(
    "date", ["2023/05", "yesterday", "123", "20231", "2023-13", "2023-09-32", "2023-2024", "23"]
)
def test_filter_dates_that_are_no_iso_prefix_are_refused_naming_the_field(date: str) -> None:
    """Today "2023/05" or "yesterday" compare as text and silently match nothing."""
    expected = f"must be a date such as 2023, 2023-09 or 2023-09-21, not {date!r}"
    with pytest.raises(BadRequest) as refused:
        Filters.chosen(None, date, "")
    assert _one_line(refused) == f"filters.date_from {expected}"
    with pytest.raises(BadRequest) as refused:
        Filters.from_json({"date_to": date})
    assert _one_line(refused) == f"filters.date_to {expected}"
    with pytest.raises(BadRequest) as refused:
        Request.of(SETTINGS, "q", filters=Filters(date_from=date))
    assert _one_line(refused) == f"filters.date_from {expected}"


def test_a_long_bad_date_is_quoted_short_on_one_line() -> None:
    with pytest.raises(BadRequest) as refused:
        Filters.from_json({"date_from": "2023\n" + "x" * 100_000})
    assert _one_line(refused).endswith("not '2023\\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'")
