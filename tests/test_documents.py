from pathlib import Path

import pytest
from fpdf import FPDF

from c5qa.ingest.blocks import kind_at
from c5qa.ingest.chunking import chunk_document
from c5qa.ingest.documents import (
    Document,
    DocumentError,
    decode_text,
    discover,
    load_document,
    normalise_date,
    page_separator,
    split_front_matter,
)
from tests.conftest import CHARDARA_PAGES, CORPUS, KAZAKHSTAN, chardara_pdf


def test_seed_corpus_front_matter_becomes_metadata() -> None:
    doc = load_document(CORPUS / KAZAKHSTAN, CORPUS)
    assert doc.source == KAZAKHSTAN
    assert doc.title == "A New Era in U.S.-Kazakhstan Relations (fact sheet)"
    assert doc.date == "2025-11-07"
    assert doc.partial is True
    assert doc.url.startswith("https://")
    assert doc.publisher.startswith("U.S. Department of State")
    assert doc.text.lstrip().startswith("MENAFN")
    assert "---" not in doc.text[:10] and "title:" not in doc.text
    assert len(doc.sha256) == 64


def test_month_only_date_and_kind() -> None:
    doc = load_document(CORPUS / "2025-11_the-diplomat-a-c5plus1-or-5-c1plus1s.txt", CORPUS)
    assert doc.date == "2025-11"
    assert doc.kind == "analysis"
    assert doc.partial is False


def test_all_seed_documents_load() -> None:
    paths = discover(CORPUS)
    assert len(paths) == 17
    for path in paths:
        doc = load_document(path, CORPUS)
        assert doc.title and doc.date[:2] == "20" and doc.text.strip()


def test_txt_without_front_matter_takes_title_from_file_name(tmp_path: Path) -> None:
    path = tmp_path / "2024-01-02_some-briefing-note.txt"
    path.write_text("First line.\n\nSecond paragraph.", encoding="utf-8")
    doc = load_document(path, tmp_path)
    assert doc.title == "Some briefing note"
    assert doc.date == "" and doc.text == "First line.\n\nSecond paragraph."


def test_markdown_with_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("---\ntitle: A note\ndate: 2024-03\n---\n# Heading\n\nBody text.\n")
    doc = load_document(path, tmp_path)
    assert (doc.title, doc.date) == ("A note", "2024-03")
    assert doc.text == "# Heading\n\nBody text.\n"


def test_invalid_front_matter_loses_its_metadata_not_the_text(tmp_path: Path) -> None:
    """#20: one typo in the front matter no longer loses the document: its body is indexed
    with the file name as title, and why the front matter was ignored is kept."""
    path = tmp_path / "bad-note_2024.txt"
    path.write_text("---\ntitle: [unclosed\ndate: 2024-03\n---\nThe Naryn body text.\n")
    doc = load_document(path, tmp_path)
    assert doc.text == "The Naryn body text.\n" and doc.title == "Bad note 2024"
    assert doc.date == "" and len(doc.ignored) == 1
    assert doc.ignored[0].startswith("front matter ignored: front matter is not valid YAML")
    with pytest.raises(DocumentError, match="front matter is not valid YAML"):
        split_front_matter(path.read_text())  # the strict reading, for whoever wants it


@pytest.mark.parametrize(
    ("written", "date", "ignored"),
    [
        ("2024-03", "2024-03", ()),
        ("September 2023", "", ("date 'September 2023' ignored: not a date",)),
        ("2023-13-01", "", ("date '2023-13-01' ignored: not a date",)),
        ("2023-02-30", "", ("date '2023-02-30' ignored: not a date",)),
        ("[2020, 2021]", "", ("date (a list or mapping) ignored: not a date",)),
    ],
)
def test_a_date_that_is_no_date_is_left_out_and_said(
    tmp_path: Path, written: str, date: str, ignored: tuple[str, ...]
) -> None:
    path = tmp_path / "note.md"
    path.write_text(f"---\ntitle: A note\ndate: {written}\n---\nBody.\n")
    doc = load_document(path, tmp_path)
    assert doc.date == date and doc.title == "A note"
    assert [why.split(" (YYYY")[0] for why in doc.ignored] == list(ignored)


def _pdf(path: Path, pages: list[str], title: str = "") -> None:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    if title:
        pdf.set_title(title)
    pdf.set_creation_date(__import__("datetime").datetime(2023, 9, 21))
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))


def test_pdf_pages_become_locations_and_metadata_is_read(tmp_path: Path) -> None:
    pages = [
        "The first page speaks of the Trans-Caspian route.",
        "The second page names the Critical Minerals Dialogue.",
        "The third page closes the statement.",
    ]
    _pdf(tmp_path / "statement.pdf", pages, title="A generated statement")
    doc = load_document(tmp_path / "statement.pdf", tmp_path)
    assert doc.title == "A generated statement"
    assert doc.date == "2023-09-21"
    assert len(doc.pages) == 3
    for number, expected in enumerate(pages):
        start = doc.pages[number]
        end = doc.pages[number + 1] if number + 1 < len(doc.pages) else len(doc.text)
        assert expected in doc.text[start:end]


@pytest.mark.parametrize(
    ("before", "after", "joined"),
    [
        ("that the sluice gates", "need new seals.", "\n"),  # runs on in lower case
        ("the 2023 summit (see", "annex) was held.", "\n"),
        ("The gates need seals.", "repairs start soon.", "\n\n"),  # the sentence ended
        ("the sluice gates", "The committee agreed.", "\n\n"),  # a capital starts anew
        ("Leaders agreed:", "a new corridor.", "\n\n"),
        ("", "need new seals.", "\n\n"),  # an empty (failed) page joins nothing
        ("the sluice gates", "", "\n\n"),
    ],
)
def test_page_separator_joins_pages_a_sentence_runs_across(
    before: str, after: str, joined: str
) -> None:
    assert page_separator(before, after) == joined


def test_a_pdf_sentence_across_a_page_break_stays_one_stretch_of_text(tmp_path: Path) -> None:
    doc = load_document(chardara_pdf(tmp_path / "chardara.pdf"), tmp_path)
    assert len(doc.pages) == 2
    assert doc.text[doc.pages[1] - 1 : doc.pages[1]] == "\n"  # one line break, no blank line
    assert doc.text[doc.pages[1] :].startswith(CHARDARA_PAGES[1].split()[0])
    assert "spillway gates\nneed new hoists" in doc.text


def test_pdf_without_text_layer_is_refused(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 50, 50)
    pdf.output(str(tmp_path / "scan.pdf"))
    with pytest.raises(DocumentError, match="needs OCR"):
        load_document(tmp_path / "scan.pdf", tmp_path)


def test_html_keeps_visible_text_only(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Readout</title><meta name='date' content='2023-09-19'>"
        "<style>p {color: red}</style><script>var hidden = 'secret';</script></head>"
        "<body><nav>Menu</nav><h1>Readout of the meeting</h1>"
        "<p>The leaders met in <b>New York</b>.</p><p>They agreed to meet again.</p>"
        "<noscript>enable js</noscript></body></html>"
    )
    doc = load_document(path, tmp_path)
    assert doc.title == "Readout" and doc.date == "2023-09-19"
    assert "The leaders met in New York." in doc.text
    assert "secret" not in doc.text and "color" not in doc.text and "enable js" not in doc.text
    assert "Readout of the meeting\n\nThe leaders met" in doc.text


def test_decode_text_handles_bom_utf16_latin1_and_refuses_binary() -> None:
    assert decode_text("\ufeffhello".encode()) == "hello"
    assert decode_text("Ташкент".encode("utf-16")) == "Ташкент"
    assert decode_text("café".encode("latin-1")) == "café"
    with pytest.raises(DocumentError, match="binary"):
        decode_text(bytes(range(256)) * 10)


def test_size_limit_and_directories(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("word " * 1000)
    with pytest.raises(DocumentError, match="too large"):
        load_document(tmp_path / "big.txt", tmp_path, max_bytes=100)
    (tmp_path / "x.pdf").mkdir()
    with pytest.raises(DocumentError, match="not a regular file"):
        load_document(tmp_path / "x.pdf", tmp_path)


def test_discover_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / ".hidden.txt").write_text("h")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("b")
    assert [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)] == ["a.txt", "sub/b.md"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-09-21", "2023-09-21"),
        ("2025-11", "2025-11"),
        ("2015", "2015"),
        ("", ""),
        ("soon", ""),
        (__import__("datetime").date(2020, 2, 5), "2020-02-05"),
    ],
)
def test_normalise_date(raw: object, expected: str) -> None:
    assert normalise_date(raw) == expected


def test_text_loader_records_block_kinds() -> None:
    doc = load_document(CORPUS / "2025-11_the-diplomat-a-c5plus1-or-5-c1plus1s.txt", CORPUS)
    kinds = {doc.text[b.start : b.end]: b.kind for b in doc.blocks}
    assert kinds["Listen to this article"] == "boilerplate"
    assert kinds["A Narrowed C5+1"] == "heading"
    assert kind_at(doc.blocks, *span(doc.text, "Credit:\xa0Official White House")) == "caption"
    assert Document(source="x", text="y", title="z").blocks == ()


def span(text: str, piece: str) -> tuple[int, int]:
    start = text.index(piece)
    return start, start + len(piece)


def test_pdf_and_html_loaders_record_block_kinds(tmp_path: Path) -> None:
    _pdf(tmp_path / "s.pdf", ["Credit: Official White House Photo\nThe leaders met in New York."])
    pdf = load_document(tmp_path / "s.pdf", tmp_path)
    assert kind_at(pdf.blocks, *span(pdf.text, "Credit: Official White House Photo")) == "caption"
    assert kind_at(pdf.blocks, *span(pdf.text, "The leaders met in New York.")) == "paragraph"
    (tmp_path / "p.html").write_text(
        "<html><body><nav><ul><li>Home</li></ul></nav><h2>Expanded security</h2>"
        "<p>The leaders met in <b>New</b> York.</p><ul><li>First <i>deal</i></li></ul>"
        "<figure><figcaption>The presidents at dinner</figcaption></figure>"
        "<footer>Contact us</footer></body></html>"
    )
    html = load_document(tmp_path / "p.html", tmp_path)
    assert [(html.text[b.start : b.end], b.kind) for b in html.blocks] == [
        ("Home", "boilerplate"),
        ("Expanded security", "heading"),
        ("The leaders met in New York.", "paragraph"),
        ("First deal", "list_item"),
        ("The presidents at dinner", "caption"),
        ("Contact us", "boilerplate"),
    ]


def _docx(path: Path) -> Path:
    """A Word file as people write them: a title property, a heading, paragraphs, a bulleted
    list and a table."""
    import datetime

    import docx

    word = docx.Document()
    word.core_properties.title = "Draft statement on the Rogun dam"
    word.core_properties.created = datetime.datetime(2024, 4, 9, 10, 0)
    word.add_heading("Water and energy", level=1)
    word.add_paragraph("The ministers discussed the Rogun dam and the Vakhsh cascade.")
    for item in ("joint monitoring of reservoirs", "a regional water data exchange"):
        word.add_paragraph(item, style="List Bullet")
    table = word.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("Project", "Cost"), ("Rogun", "$5 billion")], strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    word.add_paragraph("The statement closes with thanks to the hosts.")
    word.save(str(path))
    return path


def test_a_word_file_reads_as_blocks_with_its_title_and_date(tmp_path: Path) -> None:
    doc = load_document(_docx(tmp_path / "rogun-draft.docx"), tmp_path)
    assert (doc.title, doc.date) == ("Draft statement on the Rogun dam", "2024-04-09")
    assert doc.text.split("\n\n") == [
        "Water and energy",
        "The ministers discussed the Rogun dam and the Vakhsh cascade.",
        "joint monitoring of reservoirs",
        "a regional water data exchange",
        "Project | Cost",
        "Rogun | $5 billion",
        "The statement closes with thanks to the hosts.",
    ]
    assert kind_at(doc.blocks, *span(doc.text, "Water and energy")) == "heading"
    assert kind_at(doc.blocks, *span(doc.text, "a regional water data exchange")) == "list_item"
    assert kind_at(doc.blocks, *span(doc.text, "Rogun | $5 billion")) == "paragraph"
    chunks = chunk_document(doc, 25, 0)  # the row, 18 characters, is a chunk of its own
    assert [c.location for c in chunks if "Rogun | $5" in c.text] == ["¶ 6"]
    assert "rogun-draft.docx" in [p.name for p in discover(tmp_path)]
