from c5qa.ingest.acronyms import Acronyms, definitions, long_form
from c5qa.ingest.documents import Document
from c5qa.ingest.tokens import tokenize
from c5qa.query.terms import read


def test_definitions_are_read_where_the_words_spell_the_acronym() -> None:
    text = (
        "Participants agreed to work within the Trade and Investment Framework Agreement (TIFA).\n"
        "The Partnership for Global Infrastructure and Investment (PGI) will evaluate routes.\n"
        "Points on civil nuclear cooperation (point 11) and hydropower (2025).\n"
        "An unrelated phrase here (XQZ) and a later use of TIFA (TIFA).\n"
    )
    assert definitions(text) == {
        "TIFA": "Trade and Investment Framework Agreement",
        "PGI": "Partnership for Global Infrastructure and Investment",
    }
    # A letter of the acronym may sit inside a word, the first must begin one.
    assert long_form("EXIM", "through the Export-Import Bank") == "Export-Import Bank"
    assert long_form("USAID", "States Agency for International Development") == ""
    assert long_form("Tifa", "Trade and Investment Framework Agreement") == ""  # one capital


def test_a_long_form_counts_as_its_acronym_only_spelled_out_word_for_word() -> None:
    table = Acronyms.of(
        [
            Document(
                "a.txt",
                "the United States Agency for International Development (USAID) and "
                "the Trade and Investment Framework Agreement (TIFA)",
                "A",
            )
        ]
    )
    spelled = "consider the U.S.-Central Asia Trade and  Investment\nFramework Agreement"
    assert "tifa" in table.expand(spelled, frozenset(tokenize(spelled)))
    scattered = "The United States and the agency for trade development, international as ever"
    assert "usaid" not in table.expand(scattered, frozenset(tokenize(scattered)))
    # As a question writes it, in capitals: the word "tifa" is not the acronym.
    assert table.asked(read("What became of TIFA and USAID?").written) == ["tifa", "usaid"]
    assert table.asked(read("tifa").written) == []
