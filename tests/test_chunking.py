import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from c5qa.ingest.chunking import chunk_document, split_sentences
from c5qa.ingest.documents import Document, load_document
from tests.conftest import CORPUS, KAZAKHSTAN, NEW_YORK

# Text built from pieces that stress sentence splitting: abbreviations, blank lines, odd spaces.
_pieces = st.sampled_from(
    [
        "U.S. firm Wabtec",
        "Mr. Smith",
        ". ",
        "! ",
        "? ",
        "\n",
        "\n\n",
        "\n \n",
        "  ",
        "\t",
        "word",
        "The C5+1 met.",
        "$4.2 billion",
        "e.g.",
        "…",
        "“quoted.”",
        "Ташкент.",
        "中亚。",
        "a" * 40,
    ]
)
_texts = st.one_of(st.text(max_size=400), st.lists(_pieces, max_size=80).map("".join))


def _check(doc: Document, size: int, overlap: int) -> None:
    chunks = chunk_document(doc, size, overlap)
    covered: set[int] = set()
    for i, chunk in enumerate(chunks):
        assert chunk.ordinal == i
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip() and chunk.text
        assert chunk.sentences[0][0] == chunk.start and chunk.sentences[-1][1] == chunk.end
        assert len(chunk.sentences) == 1 or chunk.end - chunk.start <= size
        for start, end in chunk.sentences:
            assert chunk.start <= start < end <= chunk.end
            assert end - start <= size
            covered.update(range(start, end))
        for (_, end), (start, _) in zip(chunk.sentences, chunk.sentences[1:], strict=False):
            assert end <= start
    for i, ch in enumerate(doc.text):
        assert ch.isspace() or i in covered, f"character {i} ({ch!r}) is in no chunk"


@settings(max_examples=300, deadline=None)
@given(text=_texts, size=st.integers(1, 300), overlap=st.integers(0, 3))
def test_offsets_hold_for_arbitrary_text(text: str, size: int, overlap: int) -> None:
    _check(Document(source="x.txt", text=text, title="x"), size, overlap)


@settings(max_examples=100, deadline=None)
@given(pages=st.lists(_texts, min_size=1, max_size=4), size=st.integers(20, 300))
def test_pdf_chunks_never_cross_pages(pages: list[str], size: int) -> None:
    offsets, text = [], ""
    for page in pages:
        offsets.append(len(text))
        text += page + "\n\n"
    doc = Document(source="x.pdf", text=text, title="x", pages=tuple(offsets))
    _check(doc, size, 1)
    bounds = [*offsets, len(text)]
    for chunk in chunk_document(doc, size, 1):
        page = int(chunk.location.removeprefix("p. "))
        assert bounds[page - 1] <= chunk.start and chunk.end <= bounds[page]


def test_abbreviations_do_not_end_sentences() -> None:
    text = "An order from U.S. firm Wabtec valued at $4.2 billion. President Donald J. Trump met."
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "An order from U.S. firm Wabtec valued at $4.2 billion.",
        "President Donald J. Trump met.",
    ]


def test_paragraph_breaks_end_sentences_and_locations_count_paragraphs() -> None:
    text = "Heading without a stop\n\nFirst sentence. Second sentence.\n\nThird one."
    doc = Document(source="x.txt", text=text, title="x")
    chunks = chunk_document(doc, 25, 0)
    assert [c.text for c in chunks] == [
        "Heading without a stop",
        "First sentence.",
        "Second sentence.",
        "Third one.",
    ]
    assert [c.location for c in chunks] == ["¶ 1", "¶ 2", "¶ 2", "¶ 3"]


def test_overlap_repeats_sentences_between_neighbours() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(10))
    chunks = chunk_document(Document(source="x.txt", text=text, title="x"), 60, 1)
    for a, b in itertools.pairwise(chunks):
        assert a.sentences[-1] == b.sentences[0]


def test_run_on_text_is_capped_at_whitespace() -> None:
    text = "word " * 500
    spans = split_sentences(text, max_chars=100)
    assert all(e - s <= 100 for s, e in spans)
    assert all(not text[s:e].startswith(" ") for s, e in spans)


def test_seed_documents_chunk_with_paragraph_locations() -> None:
    for name in (KAZAKHSTAN, NEW_YORK):
        doc = load_document(CORPUS / name, CORPUS)
        chunks = chunk_document(doc, 900, 1)
        _check(doc, 900, 1)
        assert chunks[0].location == "¶ 1"
        assert all(c.location.startswith("¶ ") for c in chunks)
    leidos = [
        c
        for c in chunk_document(load_document(CORPUS / KAZAKHSTAN, CORPUS), 900, 1)
        if "Leidos" in c.text
    ]
    assert leidos and all(int(c.location[2:]) > 1 for c in leidos)


def test_list_lines_end_sentences_but_wrapped_lines_do_not() -> None:
    text = (
        "The participants:\nEmphasized economic security;\nDiscussed energy prices;\n"
        "- a bullet item\nThis sentence is wrapped\nacross two lines."
    )
    spans = [text[s:e] for s, e in split_sentences(text)]
    assert spans == [
        "The participants:",
        "Emphasized economic security;",
        "Discussed energy prices;",
        "- a bullet item",
        "This sentence is wrapped\nacross two lines.",
    ]
