"""A PDF page as a picture, with the boxes of given text on it: what the reader shows beside
an answer, so a quote can be checked against the page as printed (#17).

pypdf reads the text we index; PDFium (pypdfium2) renders the page and knows where each of its
characters stands. The two extract slightly different strings from one page (line ends,
ligatures, accents, spaces), so a quote is found on the page by its letters and digits alone,
folded (NFKD without marks, lower case), and each found character range becomes PDFium's
rectangles for it.
"""

from __future__ import annotations

import io
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# PDFium is not thread-safe and the chat serves requests from a pool of threads: one page at a
# time is read (a page takes some 30 ms).
_PDFIUM = threading.Lock()


@dataclass(frozen=True)
class Box:
    """A highlighted area as fractions of the page, from its top-left corner (so it scales
    with the picture)."""

    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class PageImage:
    """Page ``number`` (1-based) of ``count``, as a PNG of ``width``×``height`` pixels, with
    the ``boxes`` of the texts asked for; ``missed`` of them could not be found on it."""

    number: int
    count: int
    png: bytes
    width: int
    height: int
    boxes: tuple[Box, ...]
    missed: int


def fold(text: str) -> tuple[str, list[int]]:
    """The letters and digits of ``text``, NFKD-folded (accents dropped: one extraction writes
    "ü", another "u" and a spacing "¨") and lower-cased, and for each folded
    character the index in ``text`` it came from: what two extractions of one page agree on."""
    folded: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char):
            if part.isalnum():
                folded.append(part.lower())
                origin.append(i)
    return "".join(folded), origin


def locate(page_text: str, texts: Sequence[str]) -> tuple[list[tuple[int, int]], int]:
    """Character ranges ``(start, count)`` of ``page_text`` holding each of ``texts``, and how
    many were not found; a text is found where its folded letters first occur whole (one
    without letters or digits is not looked for)."""
    folded, origin = fold(page_text)
    found, missed = [], 0
    for text in texts:
        wanted, _ = fold(text)
        if not wanted:
            continue
        at = folded.find(wanted)
        if at < 0:
            missed += 1
            continue
        start, last = origin[at], origin[at + len(wanted) - 1]
        found.append((start, last - start + 1))
    return found, missed


def _boxes(page: object, textpage: object, ranges: list[tuple[int, int]]) -> tuple[Box, ...]:
    """PDFium's rectangles for the character ranges, as fractions of the page's box."""
    left, bottom, right, top = page.get_bbox()  # type: ignore[attr-defined]
    width, height = right - left, top - bottom
    boxes = []
    for start, count in ranges:
        for i in range(textpage.count_rects(start, count)):  # type: ignore[attr-defined]
            x0, y0, x1, y1 = textpage.get_rect(i)  # type: ignore[attr-defined]
            boxes.append(
                Box((x0 - left) / width, (top - y1) / height, (x1 - x0) / width, (y1 - y0) / height)
            )
    return tuple(boxes)


def render_page(path: Path, number: int, texts: Sequence[str], scale: float) -> PageImage:
    """Page ``number`` of the PDF at ``path`` (clamped to its pages), rendered at ``scale``
    (1 = 72 dpi), with the boxes of ``texts``. Raises ``ValueError`` for a file PDFium cannot
    open."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    with _PDFIUM:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            raise ValueError(f"cannot open {path.name}: {exc}") from exc
        try:
            count = len(pdf)
            number = min(max(number, 1), count)
            page = pdf[number - 1]
            textpage = page.get_textpage()
            chars = textpage.count_chars()
            page_text = "".join(chr(raw.FPDFText_GetUnicode(textpage.raw, i)) for i in range(chars))
            ranges, missed = locate(page_text, texts)
            boxes = _boxes(page, textpage, ranges)
            picture = page.render(scale=scale).to_pil()
        finally:
            pdf.close()
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=3)
    return PageImage(number, count, buffer.getvalue(), *picture.size, boxes, missed)
