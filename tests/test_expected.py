import pytest

from c5qa.query.expected import absence_theme, expected_answer


def test_quantity_questions_need_the_figure_they_ask_for() -> None:
    locomotives = expected_answer("How many locomotives are in Kazakhstan's Wabtec order?")
    assert locomotives is not None and locomotives.what == "number of locomotives"
    assert locomotives.check("an order for 300 new locomotives")
    assert not locomotives.check("An order for U.S. locomotives from Wabtec valued at $4.2 billion")
    times = expected_answer("How many times does the word 'challenges' appear?")
    assert times is not None and times.check("The word appears six times in the declaration")
    dollars = expected_answer("How many dollars of security funding did Biden pledge?")
    assert dollars is not None
    assert dollars.check("a pledge of $25 million")
    assert not dollars.check("increased security funding")
    uranium = expected_answer("How much uranium will Kazakhstan sell?")
    assert uranium is not None and uranium.what == "figure for uranium"
    assert uranium.check("5,000 tonnes of uranium")
    assert not uranium.check("minerals deals worth $1.1 billion")
    value = expected_answer("What was the dollar value of the deals?")
    assert value is not None and value.what == "figure" and value.check("deals worth $3.7 billion")
    worth = expected_answer("How much is that contract worth?")
    assert worth is not None and worth.what == "figure"
    assert worth.check("A $200 million contract") and not worth.check("a contract")


def test_a_total_needs_a_figure_stated_as_a_total() -> None:
    """One deal's value, or "deals worth billions", is no total of all the deals (#15); a
    name with a digit ("C5+1") is no figure."""
    total = expected_answer("What was the total dollar value of all the deals?")
    assert total is not None and total.what == "total figure"
    assert total.check("deals worth a combined $17 billion in total")
    assert not total.check("The procurement of $7 billion in Boeing 787-9 aircraft")
    figure = expected_answer("What was the dollar value of the Boeing deal?")
    assert figure is not None and figure.what == "figure"
    assert not figure.check("The focus of the C5+1 has narrowed to the economic realm")


def test_when_questions_need_a_date() -> None:
    for question in (
        "When was the treaty signed?",
        "On what date did the ministers meet?",
        "Since when has the format existed?",
    ):
        when = expected_answer(question)
        assert when is not None and when.what == "date", question
        assert when.check("They met on September 22, 2022.") and when.check("at 2:57 P.M. EDT")
        assert not when.check("The ministers discussed trade and energy.")


def test_a_time_of_day_needs_a_clock_time() -> None:
    """ "At what time" is answered by "2:57 P.M. EDT", not by the readout's "today" (#15)."""
    clock = expected_answer("What time did Biden start and finish his remarks?")
    assert clock is not None and clock.what == "time" and clock.check("2:57 P.M. EDT")
    assert not clock.check("President Biden met with the Presidents today.")


def test_who_signed_prefers_a_signature_line_without_requiring_one() -> None:
    """A signature block's line answers who signed for a party; a statement that tells it in a
    sentence still may (the 2019 ministerial's ambassador of Turkmenistan), so it is no
    refusal when no line is found (#15)."""
    signer = expected_answer("And who signed for Kyrgyzstan?")
    assert signer is not None and not signer.required
    assert signer.check("President Sadyr Japarov of the Kyrgyz Republic")
    assert not signer.check("The presidents signed the declaration in New York.")
    assert expected_answer("Which deals did Kazakhstan sign?") is None


def test_what_a_person_said_needs_their_words() -> None:
    said = expected_answer("What did President Japarov say in his speech at the summit?")
    assert said is not None and said.what == "statement by Japarov"
    assert said.check("President Japarov stressed the need for water cooperation.")
    assert said.check("According to President Japarov, the region is ready.")
    assert said.check("JAPAROV: Thank you all.")
    # A signature list names him without reporting a word he said.
    assert not said.check(
        "President Sadyr Japarov of the Kyrgyz Republic President Emomali Rahmon of the "
        "Republic of Tajikistan"
    )
    asked = expected_answer("Did President Rahmon say anything about water in his remarks?")
    assert asked is not None and asked.what == "statement by Rahmon"
    # His remarks, or a readout of his meeting, speak for him in every sentence.
    biden = expected_answer("In his remarks, what did Biden say about security?")
    assert biden is not None and biden.what == "statement by Biden"
    assert biden.fits("We are increasing security funding.", "Remarks by President Biden")
    assert not biden.fits("We are increasing security funding.", "Joint Statement")
    for question in (
        "What did the 2015 Samarkand declaration say about Paris?",  # a document, not a person
        "Why does The Diplomat say the fact sheet was short?",
        "What did Biden say about security?",  # no office and no speech: "Biden" may be a text
    ):
        assert expected_answer(question) is None, question


def test_which_office_holder_needs_a_name() -> None:
    secretary = expected_answer("Which U.S. Secretary of State travelled to Samarkand in 2015?")
    assert secretary is not None and secretary.what == "name of the secretary of state"
    assert secretary.check("U.S. Secretary of State Blinken emphasized solidarity.")
    assert secretary.check("Secretary Kerry met the ministers.")
    assert not secretary.check(
        "The ministers and the Secretary of State of the United States of America issue this."
    )
    assert not secretary.check("The U.S. Secretary of State and the Ministers met in Astana.")
    minister = expected_answer("Which Kazakh foreign minister hosted the meeting?")
    assert minister is not None and minister.check("Minister of Foreign Affairs Mukhtar Tileuberdi")
    assert not minister.check("Secretary Blinken visited Astana.")  # not the office asked about
    senator = expected_answer("Which senator submitted the resolution?")
    assert senator is not None and senator.check("Mr. DAINES (for himself) submitted")
    special = expected_answer("Who was the U.S. special envoy at the session?")
    assert special is not None and special.what == "name of the envoy"
    envoy = expected_answer("Who was the U.S. special representative who attended?")
    assert envoy is not None and envoy.what == "name of the special representative"
    official = expected_answer("Which U.S. official attended the ministerial?")
    assert official is not None and official.check("Secretary of State Blinken attended.")
    # Plural offices and offices held by a country's representative ask for no name.
    assert expected_answer("Which officials took part in the special session?") is None
    assert expected_answer("Who represented Turkmenistan at the ministerial?") is None


def test_other_questions_ask_for_nothing_in_particular() -> None:
    for question in (
        "Which firm will upgrade the air traffic system?",
        "What did the 2015 declaration say about whenever a crisis arises?",
        "Who proposed the critical minerals dialogue?",
    ):
        assert expected_answer(question) is None, question


def test_absence_theme() -> None:
    assert absence_theme("Does the 2025 economic statement mention climate change?") == (
        "climate change"
    )
    assert absence_theme("Did the 2023 declaration address water security?") == "water security"
    assert absence_theme("What is the C5+1?") == ""


@pytest.mark.parametrize(
    ("question", "acronym"),
    [
        ("What does the acronym TRIPP stand for?", "TRIPP"),
        ("PGI in the New York Declaration — what's that?", "PGI"),
        ("What is PGI?", "PGI"),
        ("What's TIFA short for?", None),  # "short for" wants "what is"
        ("What is USAID's role in the C5+1?", None),  # asks about it, not for its long form
        ("What is the C5+1 Critical Minerals Dialogue?", None),
    ],
)
def test_a_question_for_an_acronym_expects_its_long_form(question: str, acronym) -> None:
    wanted = expected_answer(question)
    if acronym is None:
        assert wanted is None or wanted.kind != "expansion"
        return
    assert wanted is not None and wanted.kind == "expansion"
    assert wanted.fits(f"the Long Form Of It ({acronym}) will", "")
    assert not wanted.fits(f"the {acronym} will", "")
