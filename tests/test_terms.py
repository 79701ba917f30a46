from c5qa.query.terms import content_terms, names


def test_question_words_are_not_content_terms() -> None:
    """The corpus rarely says "how" or "has", so their idf is high: left in, they would rank
    "Discussed how to …" above the passages about the question's topic."""
    assert content_terms("How has Afghanistan's place changed?") == [
        "afghanistan",
        "place",
        "chang",
    ]
    # The whole English stopword list and the verbs of asking frame a question too.
    assert content_terms("What did he say about the role of his ministry in it?") == [
        "role",
        "ministri",
    ]
    # So do the kind of answer a which/what asks for and the light verb "take", in a question
    # only: in a statement they may be its topic.
    assert content_terms("On what day did the ministers meet?") == ["minist", "meet"]
    assert content_terms("Which cooperative body do they cite?") == ["cooper", "cite"]
    assert content_terms("Which officials took part, and in which city?") == ["part"]
    assert content_terms("What position did they take on sanctions?") == ["sanction"]
    # Asking for items by name says nothing of which items (#15: the Samarkand threats).
    assert content_terms("which threats does it list?") == ["threat"]
    assert "name" in content_terms("Treatment with a protein named FN restores muscles.")
    assert content_terms("Type 2 diabetes takes a toll on the body") == [
        "type",
        "2",
        "diabet",
        "take",
        "toll",
        "bodi",
    ]


def test_names_are_capitalised_words_acronyms_and_numbers() -> None:
    assert names("What did Secretary of State Rubio announce at the 2025 C5+1 summit?") == [
        "secretari",
        "state",
        "rubio",
        "2025",
        "c5+1",
    ]
    assert names("Which CASA-1000 plan came up in early-2020? And what about it?") == [
        "casa",
        "1000",
        "2020",
    ]
