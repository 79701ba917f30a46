"""Image-only PDF pages read by OCR (#20): archive copies of government statements are often
scans, whose pages have no text layer for pypdf to read.

OCRmyPDF drives Tesseract (Debian's tesseract-ocr and tesseract-ocr-eng, with ghostscript, and
unpaper to clean the page images first) over the pages that have no text and writes their text
to a sidecar, a form feed between pages; the pages that have text are skipped. The text is
cached by the file's sha256, so no rebuild OCRs a page twice, whatever else changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from c5qa.settings import user_cache

TOOLS = {"tesseract": "tesseract-ocr tesseract-ocr-eng", "gs": "ghostscript", "unpaper": "unpaper"}
_SKIPPED = "[OCR skipped on page"  # OCRmyPDF's sidecar line for a page that has text


@dataclass(frozen=True)
class Ocr:
    """OCR of a PDF's image-only pages in ``language``, cached under ``cache_dir``."""

    cache_dir: Path
    language: str = "eng"

    @staticmethod
    def missing() -> str:
        """What to install for OCR ("" when Tesseract, Ghostscript and unpaper are here)."""
        lacking = sorted({package for tool, package in TOOLS.items() if not shutil.which(tool)})
        return f"sudo apt-get install {' '.join(lacking)}" if lacking else ""

    def pages(self, data: bytes) -> list[str]:
        """Each page's OCR text ("" for a page that has a text layer, or where OCR found
        nothing); from the cache when this file was read before."""
        cached = self.cache_dir / f"{hashlib.sha256(data).hexdigest()}-{self.language}.json"
        if cached.is_file():
            return json.loads(cached.read_text(encoding="utf-8"))
        try:
            pages = [_page(text) for text in self._sidecar(data).split("\f")]
        except Exception as exc:  # a file OCRmyPDF refuses (damaged) costs only its OCR
            logging.getLogger(__name__).info("ocr.failed: %s", " ".join(str(exc).split())[:200])
            pages = []  # remembered too: a rebuild does not try it again
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".partial")
        partial.write_text(json.dumps(pages), encoding="utf-8")
        partial.replace(cached)  # a reader never sees half a file
        return pages

    def _sidecar(self, data: bytes) -> str:
        import ocrmypdf

        logging.getLogger("ocrmypdf").setLevel(logging.ERROR)  # its progress is not ours
        with tempfile.TemporaryDirectory(prefix="c5qa-ocr-") as folder:
            source, sidecar = Path(folder) / "scan.pdf", Path(folder) / "text.txt"
            source.write_bytes(data)
            ocrmypdf.ocr(
                source,
                "-",
                output_type="none",
                sidecar=sidecar,
                skip_text=True,
                language=[self.language],
                jobs=1,
                progress_bar=False,
                optimize=0,
                # unpaper cleans each page image before Tesseract reads it (the PDF is not
                # changed): a 150-dpi scan with 2 % of its pixels flipped is read at 0.918 of
                # its words instead of 0.868 (python bench/ocr.py).
                clean=True,
            )
            return sidecar.read_text(encoding="utf-8")


def _page(text: str) -> str:
    """A page of the sidecar as text: OCRmyPDF's note for a page it skipped is none."""
    text = text.strip()
    return "" if text.startswith(_SKIPPED) else text


def configured(enabled: bool, cache: str) -> Ocr | None:
    """The OCR the settings ask for (``ocr``, ``ocr_cache``), or None when it is off."""
    return Ocr(Path(cache).expanduser() if cache else user_cache() / "ocr") if enabled else None
