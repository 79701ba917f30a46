"""OCR measured (#20): word accuracy on scans made from known text, seconds per page, and what
the image-only PDFs among ../shared/pdf-samples yield.

Known text (paragraphs of the seed corpus) is drawn on A4 pages and saved as image-only PDFs:
at 300 dpi clean, and at 150 dpi with 1 % and 2 % of pixels flipped; each is read as the index
reads it (``Ocr.pages``, no cache) and compared word by word with what was drawn.

    python bench/ocr.py [--pages 3] [--samples ../shared/pdf-samples]
"""

from __future__ import annotations

import argparse
import difflib
import re
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from c5qa.ingest.documents import DocumentError, load_document
from c5qa.ingest.ocr import Ocr

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
A4_INCHES = (8.27, 11.69)


def _lines(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if font.getlength(trial) > width and line:
            lines.append(line)
            line = word
        else:
            line = trial
    return [*lines, line] if line else lines


def scan(text: str, dpi: int, noise: float = 0.0, seed: int = 0) -> Image.Image:
    """``text`` drawn in 11-point type on an A4 page at ``dpi``, with ``noise`` of the pixels
    flipped: what a scanner gives of a printed statement."""
    size = (round(A4_INCHES[0] * dpi), round(A4_INCHES[1] * dpi))
    page = Image.new("L", size, 255)
    font = ImageFont.truetype(str(FONT), round(11 / 72 * dpi))
    margin, step = dpi, round(16 / 72 * dpi)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(_lines(text, font, size[0] - 2 * margin)):
        draw.text((margin, margin + i * step), line, fill=0, font=font)
    if noise:
        pixels = np.asarray(page).copy()
        flip = np.random.default_rng(seed).random(pixels.shape) < noise
        pixels[flip] = 255 - pixels[flip]
        page = Image.fromarray(pixels)
    return page


def scan_pdf(path: Path, texts: list[str], dpi: int, noise: float = 0.0) -> Path:
    """An image-only PDF of one scanned page per text."""
    pages = [scan(text, dpi, noise, seed) for seed, text in enumerate(texts)]
    pages[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return path


def word_accuracy(read: str, truth: str) -> float:
    """Share of the true words found, in order, in what OCR read (case kept, punctuation
    dropped)."""
    words = [re.sub(r"\W+", "", w) for w in truth.split()]
    got = [re.sub(r"\W+", "", w) for w in read.split()]
    matcher = difflib.SequenceMatcher(None, got, words, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / max(len(words), 1)


def _paragraphs(n: int) -> list[str]:
    """``n`` long paragraphs of the seed corpus (its own text, so its names and numbers)."""
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    found = []
    for path in sorted(corpus.glob("*.txt")):
        body = path.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        found += [p for p in body.split("\n\n") if 500 < len(p) < 1400]
    return found[:n]


def measure(pages: int) -> list[tuple[str, float, float]]:
    """(condition, word accuracy, seconds per page) for each kind of scan."""
    texts = _paragraphs(pages)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for dpi, noise in ((300, 0.0), (150, 0.01), (150, 0.02)):
            name = f"{dpi} dpi, {noise:.0%} noise"
            pdf = scan_pdf(Path(folder) / f"{dpi}-{noise}.pdf", texts, dpi, noise)
            started = time.perf_counter()
            read = Ocr(Path(folder) / f"cache-{dpi}-{noise}").pages(pdf.read_bytes())
            seconds = (time.perf_counter() - started) / len(texts)
            scores = [word_accuracy(r, t) for r, t in zip(read, texts, strict=True)]
            accuracy = float(np.mean(scores))
            rows.append((name, accuracy, seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=3)
    parser.add_argument("--samples", type=Path, default=Path("../shared/pdf-samples"))
    args = parser.parse_args()
    if Ocr.missing():
        raise SystemExit(f"OCR is not installed: {Ocr.missing()}")
    for name, accuracy, seconds in measure(args.pages):
        print(f"{name}: word accuracy {accuracy:.3f}, {seconds:.2f} s a page")
    with tempfile.TemporaryDirectory() as folder:
        ocr = Ocr(Path(folder))
        for path in sorted(args.samples.glob("*.pdf")):
            try:
                document = load_document(path, args.samples, ocr=ocr)
            except DocumentError as exc:
                if "OCR" in str(exc):
                    print(f"{path.name}: {exc}")
                continue
            if document.ocr_pages:
                print(f"{path.name}: OCR read pages {document.ocr_pages}: {document.text[:80]!r}")


if __name__ == "__main__":
    main()
