"""PDF pages rendered by PDFium with the boxes of given text: real generated PDFs."""

from pathlib import Path

import pypdfium2 as pdfium
import pytest

from c5qa.ingest.pages import fold, locate, render_page
from tests.conftest import chardara_pdf


def _text_under(path: Path, number: int, image) -> str:
    """What PDFium reads inside the boxes drawn on page ``number`` (back in page units)."""
    pdf = pdfium.PdfDocument(str(path))
    page = pdf[number - 1]
    left, bottom, right, top = page.get_bbox()
    textpage = page.get_textpage()
    words = []
    for box in image.boxes:
        x0 = left + box.left * (right - left)
        y1 = top - box.top * (top - bottom)
        x1, y0 = x0 + box.width * (right - left), y1 - box.height * (top - bottom)
        words.append(textpage.get_text_bounded(x0, y0, x1, y1))
    pdf.close()
    return " ".join(" ".join(words).split())


def test_fold_keeps_letters_and_digits_and_where_they_came_from() -> None:
    folded, origin = fold("Co-op\n\ufb01nance 2025!")  # "ﬁ" ligature, as PDFs write it
    assert folded == "coopfinance2025"
    assert origin[:7] == [0, 1, 3, 4, 6, 6, 7]  # both letters of the ligature point at it


def test_fold_drops_accents_as_extractions_differ_on_them() -> None:
    # PDFium reads "Würfel"; pypdf may give the letter and a spacing diaeresis apart.
    assert fold("Würfel")[0] == fold("Wu\u00a8rfel")[0] == fold("Wu\u0308rfel")[0] == "wurfel"


def test_locate_finds_text_despite_different_line_breaks_and_counts_misses() -> None:
    page = "The committee agreed that the\r\nNaryn cascade sluice gates"
    found, missed = locate(page, ["that the Naryn cascade", "not on this page", "∩ —", ""])
    assert missed == 1  # a text without letters or digits has nothing to box: not looked for
    [(start, count)] = found
    assert page[start : start + count] == "that the\r\nNaryn cascade"


def test_a_sentence_across_the_page_break_is_boxed_on_both_pages(tmp_path: Path) -> None:
    pdf = chardara_pdf(tmp_path / "chardara.pdf")
    first = render_page(
        pdf, 1, ["The committee agreed that the Chardara reservoir spillway gates"], 1.5
    )
    second = render_page(pdf, 2, ["need new hoists before the spring floods arrive."], 1.5)
    assert (first.number, first.count, second.number) == (1, 2, 2)
    assert first.missed == second.missed == 0 and first.boxes and second.boxes
    under_first = _text_under(pdf, 1, first)
    assert "committee agreed that the" in under_first and "spillway gates" in under_first
    assert "inspected" not in under_first  # the sentence before it is not boxed
    assert _text_under(pdf, 2, second).startswith("need new hoists before the spring floods")
    assert first.png.startswith(b"\x89PNG") and (first.width, first.height) == (893, 1263)
    assert all(0 <= b.left < 1 and 0 <= b.top < 1 and b.width > 0 for b in first.boxes)


def test_page_numbers_are_clamped_and_absent_text_is_reported(tmp_path: Path) -> None:
    pdf = chardara_pdf(tmp_path / "chardara.pdf")
    image = render_page(pdf, 9, ["Shardara dam crest", "Syr Darya"], 1.0)
    assert image.number == 2 and image.missed == 1 and image.boxes
    assert render_page(pdf, 0, [], 1.0).number == 1


def test_a_file_pdfium_cannot_open_is_a_value_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nthis is no PDF")
    with pytest.raises(ValueError, match=r"cannot open broken\.pdf"):
        render_page(broken, 1, [], 1.0)
