from c5qa.answertypes import expected_answer


def test_quantity_questions_need_the_figure_they_ask_for() -> None:
    locomotives = expected_answer("How many locomotives are in Kazakhstan's Wabtec order?")
    assert locomotives is not None
    assert locomotives("an order for 300 new locomotives")
    assert not locomotives("An order for U.S. locomotives from Wabtec valued at $4.2 billion")
    times = expected_answer("How many times does the word 'challenges' appear?")
    assert times is not None and times("The word appears six times in the declaration")
    dollars = expected_answer("How many dollars of security funding did Biden pledge?")
    assert dollars is not None
    assert dollars("a pledge of $25 million") and not dollars("increased security funding")
    uranium = expected_answer("How much uranium will Kazakhstan sell?")
    assert uranium is not None
    assert uranium("5,000 tonnes of uranium") and not uranium("minerals deals worth $1.1 billion")
    worth = expected_answer("How much is that contract worth?")
    assert worth is not None and worth("A $200 million contract") and not worth("a contract")


def test_when_questions_need_a_date() -> None:
    for question in (
        "When was the treaty signed?",
        "On what date did the ministers meet?",
        "Since when has the format existed?",
    ):
        when = expected_answer(question)
        assert when is not None, question
        assert when("They met on September 22, 2022.") and when("at 2:57 P.M. EDT")
        assert not when("The ministers discussed trade and energy.")


def test_other_questions_ask_for_nothing_in_particular() -> None:
    for question in (
        "Which firm will upgrade the air traffic system?",
        "What did the 2015 declaration say about whenever a crisis arises?",
        "Who proposed the critical minerals dialogue?",
    ):
        assert expected_answer(question) is None, question
