"""The reader's view of a document: marks exactly where the quotes are, for a real index of a
generated two-page PDF and a corpus document."""

import shutil
from collections.abc import Iterator

import pytest

from c5qa.answer.reader import Cited, cited_from, read
from c5qa.app.service import Service
from c5qa.index.embedding import Embedder
from c5qa.index.store import IndexStore
from c5qa.query.request import BadRequest
from c5qa.settings import Settings
from tests.conftest import CHARDARA_CROSSING, CORPUS, KAZAKHSTAN, chardara_pdf

CHARDARA = "chardara.pdf"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[IndexStore]:
    root = tmp_path_factory.mktemp("reader")
    (root / "corpus").mkdir()
    chardara_pdf(root / "corpus" / CHARDARA)
    shutil.copy(CORPUS / KAZAKHSTAN, root / "corpus" / KAZAKHSTAN)
    service = Service(Settings(corpus_dir=root / "corpus", index_dir=root / "index"), embedder)
    service.index(on_notice=lambda message: None)
    yield service.store()


def _crossing(store: IndexStore) -> Cited:
    """The indexed sentence that runs across the PDF's page break."""
    text = store.documents[CHARDARA].text
    for chunk in store.chunks:
        for start, end in chunk.sentences if chunk.source == CHARDARA else ():
            if " ".join(text[start:end].split()) == CHARDARA_CROSSING:
                return Cited(start, end, text[start:end])
    raise AssertionError("the crossing sentence was not indexed whole")


def test_a_quote_is_marked_at_its_offsets_and_the_passage_kept(store: IndexStore) -> None:
    text = store.documents[KAZAKHSTAN].text
    start = text.index("Leidos")
    end = text.index(".", start) + 1
    reading = read(store, KAZAKHSTAN, [Cited(start, end, text[start:end])], (start - 40, end + 5))
    assert reading.marks == ((start, end),) and reading.lost == 0
    assert reading.passage == (start - 40, end + 5)
    assert not reading.is_pdf and reading.first_page == 1 and reading.on_page(1) == []
    assert reading.document is store.documents[KAZAKHSTAN]


def test_a_quote_that_moved_is_found_again_and_one_that_is_gone_is_counted(
    store: IndexStore,
) -> None:
    text = store.documents[KAZAKHSTAN].text
    start = text.index("Leidos")
    quote = text[start : text.index(".", start) + 1]
    moved = Cited(start + 7, start + 7 + len(quote), quote)  # the document changed since
    gone = Cited(0, 20, "A sentence no document of the corpus holds.")
    reading = read(store, KAZAKHSTAN, [moved, gone, Cited(5, 2, "")], (10**9, 10**9 + 5))
    assert reading.marks == ((start, start + len(quote)),)
    assert reading.lost == 2  # the empty quote marks nothing either
    assert reading.passage == (0, 0)  # clipped to the text: nothing left


def test_a_pdf_quote_across_the_page_break_has_a_part_on_each_page(store: IndexStore) -> None:
    crossing = _crossing(store)
    reading = read(store, CHARDARA, [crossing])
    assert reading.is_pdf and len(reading.pages) == 2 and reading.first_page == 1
    first, second = reading.on_page(1), reading.on_page(2)
    assert first == [crossing.text.split("\nneed")[0]] and first[0].endswith("spillway gates")
    assert second == ["need new hoists before the spring floods arrive."]
    assert reading.page_of(crossing.end) == 2 and reading.on_page(3) == []


def test_a_document_the_index_does_not_hold_is_refused(store: IndexStore) -> None:
    with pytest.raises(BadRequest, match="no document"):
        read(store, "../../etc/passwd")


def test_references_are_checked_as_the_browser_sends_them_back() -> None:
    good = {"source": CHARDARA, "quoted": ["A."], "spans": [[3, 5]], "start": 0, "end": 9}
    assert cited_from(good) == (CHARDARA, [Cited(3, 5, "A.")], (0, 9))
    bad = [
        "not a dict",
        {"quoted": [], "spans": []},
        {**good, "spans": 7},
        {**good, "spans": [[1, 2], [3, 4]]},
        {**good, "spans": [[1, "2"]]},
        {**good, "spans": [[1, 2, 3]]},
        {**good, "quoted": [None]},
        {**good, "start": "0"},
    ]
    for reference in bad:
        with pytest.raises(BadRequest):
            cited_from(reference)
