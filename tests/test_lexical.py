import numpy as np

from c5qa.index.lexical import LexicalIndex, chunk_tokens, concat_token_ids, token_ids, tokenize
from tests.conftest import CORPUS


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


def test_scores_from_token_ids_are_exactly_bm25s_own() -> None:
    import bm25s

    texts = [p.read_text() for p in sorted(CORPUS.glob("*.txt"))]
    chunks = [chunk_tokens(part) for text in texts for part in text.split("\n\n")]
    reference = bm25s.BM25(k1=LexicalIndex.K1, b=LexicalIndex.B)
    reference.index(chunks, show_progress=False)
    halves = [token_ids(chunks[: len(chunks) // 2]), token_ids(chunks[len(chunks) // 2 :])]
    index = LexicalIndex.from_ids(*concat_token_ids(halves))
    assert index.n_docs == len(chunks)
    for query in ("Wabtec locomotives", "critical minerals", "C5+1 Samarkand 2015", "water"):
        tokens = tokenize(query)
        assert np.array_equal(index.scores(tokens), reference.get_scores(tokens))
    assert set(index.bm25.vocab_dict) - {""} == set(reference.vocab_dict) - {""}
