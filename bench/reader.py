"""The reader's PDF pages on real files: how many indexed sentences PDFium finds on their page
(so the reader can box them), and how long a page takes to render with its boxes.

Every sentence of every chunk of each PDF in ``../shared/pdf-samples`` that loads (the samples
are real producers' files: LibreOffice, pdflatex, Google Docs, ReportLab, ...), each part of it
on its own page, is looked for on that page; a page is rendered once per sentence, as the
reader does, at the reader's scale.

    python bench/reader.py [--samples ../shared/pdf-samples]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from c5qa.answer.reader import Reading
from c5qa.ingest.chunking import chunk_document
from c5qa.ingest.documents import Document, DocumentError, load_document
from c5qa.ingest.pages import fold, render_page
from c5qa.settings import Settings


def _reading(document: Document, span: tuple[int, int]) -> Reading:
    return Reading(document, (span,), span, lost=0)


def measure(samples: Path, scale: float) -> dict:
    """Sentence parts looked for and boxed, files PDFium cannot open, render times (s)."""
    found = looked = 0
    times: list[float] = []
    missed_by_file: dict[str, int] = {}
    unopened: set[str] = set()
    settings = Settings()
    for path in sorted(samples.glob("*.pdf")):
        try:
            document = load_document(path, samples)
        except DocumentError:
            continue
        for chunk in chunk_document(document, settings.chunk_size, 0):
            for span in chunk.sentences:
                reading = _reading(document, span)
                for number in range(reading.page_of(span[0]), reading.page_of(span[1] - 1) + 1):
                    parts = reading.on_page(number)
                    parts = [part for part in parts if fold(part)[0]]  # none: nothing to box
                    started = time.perf_counter()
                    try:
                        image = render_page(path, number, parts, scale)
                    except ValueError:  # PDFium cannot open it (the reader says so)
                        unopened.add(path.name)
                        break
                    times.append(time.perf_counter() - started)
                    looked += len(parts)
                    found += len(parts) - image.missed
                    if image.missed:
                        missed_by_file[path.name] = missed_by_file.get(path.name, 0) + image.missed
    return {
        "looked": looked,
        "found": found,
        "times": times,
        "missed": missed_by_file,
        "unopened": sorted(unopened),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=Path("../shared/pdf-samples"))
    args = parser.parse_args()
    scale = Settings().reader_scale
    result = measure(args.samples, scale)
    times = sorted(result["times"])
    looked = max(result["looked"], 1)
    print(
        f"sentence parts boxed on their page: {result['found']} of {result['looked']} "
        f"({result['found'] / looked:.1%})"
    )
    print(
        f"page render with boxes at scale {scale}: median {statistics.median(times) * 1000:.0f} "
        f"ms, 90th percentile {times[int(len(times) * 0.9)] * 1000:.0f} ms over {len(times)}"
    )
    print(f"files PDFium cannot open (text shown, no picture): {result['unopened']}")
    for name, missed in sorted(result["missed"].items()):
        print(f"  not found in {name}: {missed}")


if __name__ == "__main__":
    main()
