"""Documents a question names, resolved against the real corpus's titles, files and dates."""

from __future__ import annotations

import pytest

from c5qa.ingest.documents import discover, load_document
from c5qa.query.named import identity, named_documents, references
from tests.conftest import CORPUS, KAZAKHSTAN, NEW_YORK, SAMARKAND, TURKMENISTAN

SENATE = "2025-11-04_s-res-459-c5plus1-senate-resolution.txt"
SESSION = "2023-08-11_joint-statement-c5plus1-special-session-afghanistan.txt"
REMARKS = "2023-09-19_remarks-biden-after-central-asia-5plus1-meeting.txt"
READOUT = "2023-09-19_readout-biden-meeting-c5plus1-leaders-unga.txt"
FOURTH = "2019-09-24_joint-statement-fourth-c5plus1-ministerial.txt"
DIPLOMAT = "2025-11_the-diplomat-a-c5plus1-or-5-c1plus1s.txt"


@pytest.fixture(scope="module")
def identities():
    paths = discover(CORPUS)
    assert paths, f"the corpus is missing: {CORPUS}"
    return [identity(load_document(path, CORPUS)) for path in paths]


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Does the 2015 Samarkand declaration mention Afghanistan?", (SAMARKAND,)),
        ("what are the section headings of the 2023 New York Declaration?", (NEW_YORK,)),
        ("does the senate resolution (S.Res.459) mention critical minerals", (SENATE,)),
        ("Does S.Res.459 say anything about human rights?", (SENATE,)),
        ("Does the Turkmenistan fact sheet say anything about the travel ban?", (TURKMENISTAN,)),
        # A plural noun spreads its names over the documents.
        (
            "Do the 2025 fact sheets (Kazakhstan, Turkmenistan) mention it?",
            (KAZAKHSTAN, TURKMENISTAN),
        ),
        # A statement issued in August records the July session.
        ("What did the July 2023 C5+1 special session on Afghanistan say?", (SESSION,)),
        ("In his remarks after the meeting, what did Biden say?", (REMARKS,)),
        ("What did the White House readout of Biden's meeting announce?", (READOUT,)),
        ("What does the Diplomat article argue?", (DIPLOMAT,)),
        # By the administration its publisher names (#16).
        ("What changed between the Biden-era declaration and the 2025 summit?", (NEW_YORK,)),
        ("Did the Biden administration's declaration mention water?", (NEW_YORK,)),
        # Not held: no fact sheet is Uzbekistan's, no 2025 statement is on economic cooperation.
        ("What deals did the Uzbekistan fact sheet list?", ()),
        ("What did the 2025 joint statement of intent on economic cooperation outline?", ()),
        # A meeting noun without a date or a rare name is any joint statement's; the Samarkand
        # text is a declaration, not titled as a meeting.
        ("When was the ministerial meeting that preceded the Samarkand meeting?", ()),
        ("Who represented Turkmenistan at the fourth C5+1 ministerial in 2019?", (FOURTH,)),
        # Fits more than the limit: names nothing in particular.
        ("What do the joint statements say about water?", ()),
        # No document noun: no reference.
        ("What does the acronym TRIPP stand for?", ()),
    ],
)
def test_a_reference_names_the_documents_it_describes(
    identities, question: str, named: tuple[str, ...]
) -> None:
    assert set(named_documents(question, identities, 3).sources) == set(named)


@pytest.mark.parametrize(
    ("question", "rest"),
    [
        # The naming words go; what is asked of the document stays.
        (
            "According to the 2021 virtual ministerial statement, when was the C5+1 format "
            "inaugurated?",
            "According to the , when was the C5+1 format inaugurated?",
        ),
        # A complement reaches past the name: its words that name nothing stay.
        (
            "Which body does the 2025 C5+1 cultural heritage statement of intent cite as a "
            "channel?",
            "Which body does the of cite as a channel?",
        ),
        # "5+1" names the remarks titled "5 + 1", and "Sept" their month, "September".
        (
            "In his remarks after the Central Asia 5+1 meeting in Sept 2023, what did Biden say?",
            "In his after the in , what did Biden say?",
        ),
        # Words of a reference that names nothing in particular stay.
        (
            "What do the joint statements say about water?",
            "What do the joint statements say about water?",
        ),
    ],
)
def test_the_rest_of_a_question_is_what_it_asks_of_the_documents(
    identities, question: str, rest: str
) -> None:
    assert named_documents(question, identities, 3).rest == rest


def test_a_reference_reads_its_noun_date_and_qualifiers() -> None:
    first, second = references("the Nov 2025 fact sheets and his remarks")
    assert (first.noun, first.plural, first.date) == ("fact sheet", True, "2025-11")
    assert (second.noun, second.plural, second.date) == ("remarks", False, "")


def test_every_document_of_the_corpus_has_a_noun_to_be_named_by(identities) -> None:
    """A document without one could never be named: its title, file name and kind give each
    of the seventeen one (the Diplomat's kind, "analysis", makes it an article)."""
    nouns = {document.source: document.nouns for document in identities}
    assert all(nouns.values()), [s for s, n in nouns.items() if not n]
    assert nouns[DIPLOMAT] == {"article"}


def test_a_document_noun_of_any_kind_and_a_possessive(identities) -> None:
    heritage = "2025-11-07_c5plus1-joint-statement-of-intent-cultural-heritage.txt"
    assert named_documents("the C5+1 cultural heritage document", identities, 3).sources == (
        heritage,
    )
    assert named_documents("In Biden's remarks, did he", identities, 3).sources == (REMARKS,)
