"""OCR of image-only PDF pages with the real OCRmyPDF and Tesseract, on scans made from known
text (bench/ocr.py draws them)."""

from pathlib import Path

import pytest
from fpdf import FPDF

from c5qa.ingest import ocr as ocr_module
from c5qa.ingest.documents import DocumentError, load_document
from c5qa.ingest.ocr import Ocr, configured
from tests.conftest import bench_script

TEXT = (
    "The ministers agreed that the Rogun dam and the Vakhsh cascade require joint monitoring "
    "of reservoirs, and that a regional water data exchange will start in 2026."
)


@pytest.fixture(scope="module")
def scans():
    if Ocr.missing():  # never a skip: `make test` installs them (or says how)
        pytest.fail(f"OCR needs Tesseract and Ghostscript: {Ocr.missing()}")
    return bench_script("ocr")


def test_a_noisy_150_dpi_scan_is_read_and_a_300_dpi_one_word_for_word(
    scans, tmp_path: Path
) -> None:
    noisy = scans.scan_pdf(tmp_path / "noisy.pdf", [TEXT], 150, 0.02)
    (read,) = Ocr(tmp_path / "cache").pages(noisy.read_bytes())
    assert scans.word_accuracy(read, TEXT) >= 0.85  # 0.918 over three pages: bench/ocr.py
    pdf = scans.scan_pdf(tmp_path / "scan.pdf", [TEXT], 300)
    ocr = Ocr(tmp_path / "cache")
    (read,) = ocr.pages(pdf.read_bytes())
    assert scans.word_accuracy(read, TEXT) >= 0.97
    assert len(list((tmp_path / "cache").glob("*.json"))) == 2

    def fails(data: bytes) -> str:
        raise AssertionError("OCR ran again")

    ocr_again = Ocr(tmp_path / "cache")
    object.__setattr__(ocr_again, "_sidecar", fails)  # a frozen dataclass: set for the test
    assert ocr_again.pages(pdf.read_bytes()) == [read]  # from the cache: no page OCR'd twice


def test_only_the_pages_without_text_are_read_by_ocr(scans, tmp_path: Path) -> None:
    """A PDF of a typed page and a scanned one: the scan's text joins the document, its page
    is marked as read by OCR, locations stay pages."""
    typed = FPDF()
    typed.set_font("helvetica", size=12)
    typed.add_page()
    typed.multi_cell(0, 8, "A typed cover page about the Rogun dam.")
    typed.output(str(tmp_path / "typed.pdf"))
    scans.scan_pdf(tmp_path / "scanned.pdf", [TEXT], 300)
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in ("typed.pdf", "scanned.pdf"):
        writer.append(str(tmp_path / part))
    writer.write(str(tmp_path / "mixed.pdf"))
    document = load_document(tmp_path / "mixed.pdf", tmp_path, ocr=Ocr(tmp_path / "cache"))
    assert document.ocr_pages == (2,) and len(document.pages) == 2
    assert "typed cover page" in document.text[: document.pages[1]]
    assert scans.word_accuracy(document.text[document.pages[1] :], TEXT) >= 0.97
    with pytest.raises(DocumentError, match="needs OCR"):  # without OCR the scan is not read
        load_document(tmp_path / "scanned.pdf", tmp_path)


def test_without_tesseract_the_reason_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, scans
) -> None:
    monkeypatch.setattr(ocr_module.shutil, "which", lambda tool: None)
    assert Ocr.missing() == (
        "sudo apt-get install ghostscript tesseract-ocr tesseract-ocr-eng unpaper"
    )
    scans.scan_pdf(tmp_path / "scan.pdf", [TEXT], 150)
    with pytest.raises(DocumentError, match="OCR needs: sudo apt-get install"):
        load_document(tmp_path / "scan.pdf", tmp_path, ocr=Ocr(tmp_path / "cache"))


def test_a_file_ocr_refuses_costs_only_its_ocr_once(tmp_path: Path, scans) -> None:
    ocr = Ocr(tmp_path / "cache")
    assert ocr.pages(b"%PDF-1.7\nnot really a PDF") == []
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1  # remembered: not tried again
    assert configured(False, "") is None
    assert configured(True, str(tmp_path / "c")) == Ocr(tmp_path / "c")
