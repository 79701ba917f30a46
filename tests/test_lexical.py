import math

import numpy as np
import pytest

from c5qa.index.lexical import LexicalIndex, chunk_tokens, concat_token_ids, token_ids
from c5qa.ingest.tokens import tokenize
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


def _corpus_chunks() -> list[list[str]]:
    texts = [p.read_text() for p in sorted(CORPUS.glob("*.txt"))]
    return [chunk_tokens(part) for text in texts for part in text.split("\n\n")]


def test_vectorised_build_is_bm25s_own_index_array_for_array() -> None:
    """The override must return the very matrix bm25s's own ``build_index_from_ids`` does,
    bit for bit and in the same layout, whatever shape the documents come in: plain lists
    with repeated tokens, an empty document, vocabulary entries no document uses."""
    from bm25s import BM25
    from bm25s.tokenization import Tokenized

    from c5qa.index.lexical import VectorisedBM25

    ids, lengths, vocab = token_ids(_corpus_chunks())
    ends = np.cumsum(lengths).tolist()
    docs = [ids[s:e].tolist() for s, e in zip([0, *ends][:-1], ends, strict=True)] + [[]]
    unused = {"never-used-1": len(vocab), "never-used-2": len(vocab) + 1}
    corpus = Tokenized(ids=docs, vocab={t: i for i, t in enumerate(vocab)} | unused)
    reference = BM25(k1=LexicalIndex.K1, b=LexicalIndex.B)
    reference.index(corpus, create_empty_token=False, show_progress=False)
    vectorised = VectorisedBM25(k1=LexicalIndex.K1, b=LexicalIndex.B)
    vectorised.index(corpus, create_empty_token=False, show_progress=False)
    for key in ("data", "indices", "indptr"):
        expected, actual = np.asarray(reference.scores[key]), np.asarray(vectorised.scores[key])
        assert actual.dtype == expected.dtype and np.array_equal(actual, expected), key
    assert vectorised.scores["num_docs"] == reference.scores["num_docs"] == len(docs)
    assert vectorised.vocab_dict == reference.vocab_dict
    assert vectorised.get_scores(["water"]).tobytes() == reference.get_scores(["water"]).tobytes()


def test_vectorised_build_refuses_the_variants_it_does_not_compute() -> None:
    from bm25s.tokenization import Tokenized

    from c5qa.index.lexical import VectorisedBM25

    bm25 = VectorisedBM25(method="bm25+")
    with pytest.raises(ValueError, match="lucene"):
        bm25.index(Tokenized(ids=[[0, 1]], vocab={"a": 0, "b": 1}), show_progress=False)


def test_idf_is_the_idf_inside_the_scores() -> None:
    """A one-token query scores a chunk idf × tf-component; the idf ``idf()`` reports must be
    that very factor, so answers weigh a word as retrieval did."""
    chunks = _corpus_chunks()
    index = LexicalIndex.from_ids(*token_ids(chunks))
    lengths = np.array([len(c) for c in chunks], dtype=np.float64)
    k1, b = LexicalIndex.K1, LexicalIndex.B
    for token in ("water", *tokenize("Wabtec Samarkand minerals")):
        tf = np.array([c.count(token) for c in chunks], dtype=np.float32)
        tfc = tf / (k1 * ((1 - b) + b * lengths / float(lengths.mean())) + tf)
        expected = (np.float32(index.idf(token)) * tfc).astype(np.float32)
        assert tf.any() and np.array_equal(index.scores([token]), expected), token
    n = index.n_docs
    assert index.idf("unknownword") == math.log(1 + (n + 0.5) / 0.5)


def test_vocabulary_is_every_token_scored_and_nothing_else() -> None:
    index = LexicalIndex.from_ids(*token_ids([["alpha", "beta"], ["beta", "gamma"]]))
    assert set(index.vocabulary) == set(index.bm25.vocab_dict) == {"alpha", "beta", "gamma"}
    subset = LexicalIndex.from_ids(np.array([0, 2]), np.array([1, 1]), ["a", "unused", "c"])
    assert set(subset.vocabulary) == {"a", "c"} and subset.idf("unused") == subset.idf("zzz")
    assert subset.scores(["c"]).argmax() == 1


def test_an_index_of_no_chunks_scores_nothing(tmp_path) -> None:
    index = LexicalIndex.from_ids(np.zeros(0, np.int32), np.zeros(0, np.int64), [])
    assert index.n_docs == 0 and len(index.scores(["alpha"])) == 0 and index.idf("alpha") > 0
    index.save(tmp_path / "bm25")
    assert LexicalIndex.load(tmp_path / "bm25").n_docs == 0


def test_saved_files_are_the_ones_bm25s_writes_and_reads(tmp_path) -> None:
    """Indexes saved before the build moved into a subclass must still load: the files are
    bm25s's own, read back by plain ``bm25s.BM25.load``."""
    import bm25s

    index = LexicalIndex.build(["alpha beta", "beta gamma", ""])
    index.save(tmp_path / "bm25")
    names = {p.name for p in (tmp_path / "bm25").iterdir()}
    assert names == {
        "count.json",
        "data.csc.index.npy",
        "indices.csc.index.npy",
        "indptr.csc.index.npy",
        "params.index.json",
        "vocab.index.json",
    }
    plain = bm25s.BM25.load(str(tmp_path / "bm25"), show_progress=False, verbosity=0)
    assert type(plain) is bm25s.BM25 and plain.method == "lucene"
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert loaded.scores(["beta"]).tobytes() == index.scores(["beta"]).tobytes()
    assert loaded.idf("gamma") == index.idf("gamma") and set(loaded.vocabulary) == {
        "alpha",
        "beta",
        "gamma",
        "",
    }
