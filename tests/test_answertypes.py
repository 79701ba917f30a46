from c5qa.answertypes import expected_answer


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
    worth = expected_answer("How much is that contract worth?")
    assert worth is not None and worth.what == "figure"
    assert worth.check("A $200 million contract") and not worth.check("a contract")


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


def test_other_questions_ask_for_nothing_in_particular() -> None:
    for question in (
        "Which firm will upgrade the air traffic system?",
        "What did the 2015 declaration say about whenever a crisis arises?",
        "Who proposed the critical minerals dialogue?",
    ):
        assert expected_answer(question) is None, question
