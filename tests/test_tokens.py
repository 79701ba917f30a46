"""``c5qa.ingest.tokens``: words as search counts them. ``tests/test_lexical.py`` already shows
names, "4.2", "1,000", "C5+1" and "U.S." kept inside a sentence; these are the edges."""

from __future__ import annotations

import pytest

from c5qa.ingest.tokens import PUNCTUATION, tokenize


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        # An acronym loses its final dot, as a sentence's last word loses its full stop, and
        # a hyphen still separates it from the next name.
        ("the U.S.-Kazakhstan partnership", ["u.s", "kazakhstan", "partnership"]),
        ("C5+1", ["c5+1"]),
        ("5 + 1", ["5", "1"]),
        ("CASA-1000", ["casa", "1000"]),
        # Numbers keep every separator inside them, and none after them.
        ("$4.2 billion, 1,000,000 jobs.", ["4.2", "billion", "1,000,000", "job"]),
        ("in 2025.", ["2025"]),
    ],
)
def test_names_numbers_and_acronyms_stay_whole(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_stopwords_are_dropped_and_words_stemmed_but_not_numbers_or_acronyms() -> None:
    assert tokenize("the and of is to by") == []
    # Forms of one word meet at their stem, so a question's "cooperating" finds "cooperation".
    assert tokenize("partners cooperation cooperating") == ["partner", "cooper", "cooper"]
    # The stemmer would cut these down ("c5+1s", "u.ses"): tokens holding digits, "." or "+"
    # are kept as written.
    assert tokenize("C5+1s U.Ses 1990s") == ["c5+1s", "u.ses", "1990s"]


def test_typographic_apostrophes_tokenise_as_typed_ones() -> None:
    """Documents write "Kazakhstan’s", people type "Kazakhstan's": both must give the same
    tokens, or BM25 would never match them."""
    assert tokenize("C5+1’s agenda") == tokenize("C5+1's agenda") == ["c5+1", "s", "agenda"]
    # The curly quotes people paste around a word are punctuation to strip, as straight ones.
    assert "“Wabtec’s”".strip(PUNCTUATION) == "Wabtec’s"
    assert "‘B3W’".strip(PUNCTUATION) == "B3W"
