from c5qa.lexical import LexicalIndex, tokenize


def test_tokenizer_keeps_names_numbers_and_acronyms() -> None:
    tokens = tokenize("An order from U.S. firm Wabtec valued at $4.2 billion for the C5+1 (TRIPP).")
    assert {"u.s", "wabtec", "4.2", "billion", "c5+1", "tripp"} <= set(tokens)
    assert "the" not in tokens and "an" not in tokens
    assert tokenize("Kazakhstan’s partners") == tokenize("Kazakhstan's partner")
    assert tokenize("1,000 jobs") == ["1,000", "job"]


def test_bm25_ranks_exact_names_and_idf_reflects_rarity() -> None:
    texts = [
        "Locomotives from Wabtec valued at $4.2 billion.",
        "A rail equipment deal for trains and railways.",
        "Water management in the Aral basin.",
    ]
    index = LexicalIndex.build(texts)
    scores = index.scores(tokenize("Wabtec"))
    assert scores.argmax() == 0 and scores[1] == 0 and scores[2] == 0
    assert index.scores(tokenize("4.2 billion")).argmax() == 0
    assert index.scores(tokenize("unknownword")).max() == 0
    assert index.idf("unknownword") > index.idf(tokenize("Wabtec")[0])


def test_save_and_load_round_trip(tmp_path) -> None:
    index = LexicalIndex.build(["alpha beta", "beta gamma"])
    index.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert loaded.n_docs == 2
    assert list(loaded.scores(["gamma"])) == list(index.scores(["gamma"]))
