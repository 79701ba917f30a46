import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c5qa.ingest.chunking import chunk_document, split_sentences
from c5qa.ingest.documents import Document, discover, load_document
from tests.conftest import CORPUS, KAZAKHSTAN, NEW_YORK

# Text built from pieces that stress sentence splitting: abbreviations, blank lines, odd spaces.
_pieces = st.sampled_from(
    [
        "U.S. firm Wabtec",
        "then-U.S. President",
        "i.e. The",
        "2 p.m. EDT",
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


def test_a_sentence_running_across_a_page_break_is_one_sentence_on_both_pages() -> None:
    # Pages joined as documents.page_separator joins them: a line break where a sentence runs
    # on, a blank line where the page's text ended.
    first = "The committee met in June. It agreed that the sluice gates"
    second = "need new seals before winter. Repairs start in August."
    third = "Funding is pending."
    text = f"{first}\n{second}\n\n{third}"
    pages = (0, len(first) + 1, len(first) + len(second) + 3)
    doc = Document(source="x.pdf", text=text, title="x", pages=pages)
    _check(doc, 90, 0)
    chunks = chunk_document(doc, 90, 0)
    crossing = "It agreed that the sluice gates\nneed new seals before winter."
    spans = [text[a:b] for chunk in chunks for a, b in chunk.sentences]
    assert crossing in spans
    assert [c.location for c in chunks if crossing in c.text] == ["pp. 1–2"]
    assert [c.location for c in chunks if c.text == third] == ["p. 3"]  # a blank line ends it


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


# --- Fragments: a sentence cut at an abbreviation or an initial ------------------------------
# The detector below knows nothing of how split_sentences decides; it looks only at the pieces it
# returns, as a reader would. Two neighbours in one paragraph are a fragment pair when the first
# ends in a way no English sentence ends and the second goes on with it.

# Tokens after which a sentence never ends inside a paragraph: titles and "for example" forms.
_NEVER_FINAL = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Sen|Rep|Gov|Gen|Prof|Amb|Jr|Sr|vs|cf)\.|\be\.g\.|\bi\.e\.)$"
)
# Tokens that do end sentences ("relations with the U.S.") but not before lower case or a number.
_MAYBE_FINAL = re.compile(
    r"\b(?:No|Nos|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Inc|Co|Corp|Ltd|etc|approx)\.$"
    r"|(?:\b[A-Za-z]\.){2,}$",
    re.IGNORECASE,
)
# A lone capital letter and a stop ("Joseph R.", "then-U."): an initial, never a sentence end.
_INITIAL = re.compile(r"(?:^|[^\w.])[A-Z]\.$")
_CLOSERS = "\"'”’)]"


def _fragments(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """Neighbouring sentences of one paragraph that a reader would see as one sentence cut in
    two, each shown as "first ⟂ second" (shortened) so a failure says where to look."""
    found = []
    for (a_start, a_end), (b_start, b_end) in itertools.pairwise(spans):
        gap = text[a_end:b_start]
        if gap.count("\n") >= 2:  # a paragraph break ends a sentence whatever precedes it
            continue
        first, second = text[a_start:a_end].rstrip(_CLOSERS), text[b_start:b_end]
        goes_on = second[:1].islower() or second[:1].isdigit()
        cut = (
            _NEVER_FINAL.search(first)
            or (_INITIAL.search(first) and second[:1].isupper())
            or (_MAYBE_FINAL.search(first) and goes_on)
            or (second[:1].islower() and "\n" not in gap and not first.endswith((";", ":")))
        )
        if cut:
            found.append(f"…{first[-50:]!r} ⟂ {second[:50]!r}…")
    return found


def _corpus_documents() -> list[Document]:
    assert CORPUS.is_dir(), f"{CORPUS} is missing: the fragment count needs the real corpus"
    paths = discover(CORPUS)
    assert paths, f"{CORPUS} holds no documents"
    return [load_document(path, CORPUS) for path in paths]


def test_no_sentence_in_the_corpus_is_a_fragment() -> None:
    """Answers quote sentences verbatim: a sentence cut at "U." or "R." reaches users as is."""
    fragments = [
        f"{doc.source}: {fragment}"
        for doc in _corpus_documents()
        for fragment in _fragments(doc.text, split_sentences(doc.text))
    ]
    assert not fragments, f"{len(fragments)} fragments:\n" + "\n".join(fragments)


def test_fragment_detector_finds_the_cuts_users_saw() -> None:
    """The corpus test can only fail if the detector sees real cuts."""
    text = "hosted by then-U.S. President Joe Biden in 2023. Next."
    cut = [(0, 17), (17, 48), (49, 54)]
    assert len(_fragments(text, cut)) == 1
    assert _fragments(text, [(0, 48), (49, 54)]) == []
    text = "It met on Nov. 6 with Mr. Smith."
    assert len(_fragments(text, [(0, 14), (15, 32)])) == 1
    assert len(_fragments(text, [(0, 25), (26, 32)])) == 1
    text = "Ties with the U.S.\n\nThe next day. In the U.S. The end."
    assert _fragments(text, split_sentences(text)) == []


# Each named abbreviation inside a sentence: split_sentences must keep the sentence whole.
_WHOLE = [
    "It was hosted by then-U.S. President Joe Biden in 2023.",  # the cut users saw
    "The focus of Central Asia-U.S. relations narrowed.",
    "An order from U.S. firm Wabtec was signed.",
    "The U.N. Charter binds all states.",
    "It was then-U.N. Secretary-General Guterres who spoke.",
    "President Joseph R. Biden, Jr. met the presidents.",
    "President Donald J. Trump met President Tokayev.",
    "J. Trump met the five presidents.",
    "They met on Nov. 6, 2025 in Washington.",
    "Talks began Sept. 22 and ended Oct. 3 in Astana.",
    "The accord of Feb. 28 was signed in Jan. 2024.",
    "Order No. 5 was signed.",
    "Dr. Elizabeth Sherwood-Randall led the delegation.",
    "Mr. Daines submitted the resolution.",
    "They flew to St. Petersburg on Monday.",
    "The talks began at 10 a.m. on Monday and ended at 2 p.m. that day.",
    "It ended at 2:57 P.M. EDT in New York.",
    "Sectors, e.g. energy and transport, grew.",
    "Partners, e.g. The C5+1 countries, met.",
    "The Middle Corridor, i.e. the Trans-Caspian route, grew.",
    "The format, i.e. The C5+1, met.",
    "Minerals, transport, etc. were discussed.",
]


@pytest.mark.parametrize("sentence", _WHOLE)
def test_abbreviations_and_initials_stay_inside_their_sentence(sentence: str) -> None:
    text = f"{sentence} They agreed."
    assert [text[s:e] for s, e in split_sentences(text)] == [sentence, "They agreed."]


# Near misses: an abbreviation that really does end the sentence, so the text must split there.
_ENDS = [
    ("They met in the U.S. The next day they left.", ["They met in the U.S.", "The next day"]),
    ("Minerals, transport, etc. The list is long.", ["Minerals, transport, etc.", "The list"]),
    ("It ended at 2:57 p.m. The president left.", ["It ended at 2:57 p.m.", "The president"]),
    ("Ties with the U.S.\n\nThe next paragraph.", ["Ties with the U.S.", "The next"]),
    ("It deepened relations with the U.S.", ["It deepened relations with the U.S."]),
]


@pytest.mark.parametrize(("text", "starts"), _ENDS)
def test_abbreviations_that_end_a_sentence_still_end_it(text: str, starts: list[str]) -> None:
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert len(sentences) == len(starts)
    assert all(
        sentence.startswith(start) for sentence, start in zip(sentences, starts, strict=True)
    )
    assert sentences[0] == starts[0]
