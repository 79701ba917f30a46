"""Stage 2: documents become sentence-aligned chunks with exact offsets and a human location.

Offsets are the contract every later stage relies on: ``document.text[chunk.start:chunk.end]``
is the chunk's text, and every sentence span lies inside it, so an answer can quote a sentence
verbatim and point at exactly where it stands. PDF chunks never cross a page, so ``p. N`` is
always true of the whole chunk.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import sentencex

from c5qa.ingest.documents import Document

Span = tuple[int, int]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\f\v\r]*\n\s*")


@dataclass(frozen=True)
class Chunk:
    source: str
    ordinal: int  # position of the chunk within its document
    start: int
    end: int
    text: str
    location: str  # "p. 3" for PDF pages, "¶ 7" otherwise
    sentences: tuple[Span, ...]  # absolute spans into the document text


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _cap(text: str, span: Span, max_chars: int) -> list[Span]:
    """Split a run-on "sentence" longer than ``max_chars`` at whitespace (hard cut if none)."""
    start, end = span
    pieces = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + 1, start + max_chars)
        cut = cut if cut > start else start + max_chars
        piece = _trim(text, start, cut)
        if piece:
            pieces.append(piece)
        start = cut
        rest = _trim(text, start, end)
        if rest is None:
            return pieces
        start = rest[0]
    pieces.append((start, end))
    return pieces


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    end = len(text) if end is None else end
    spans = []
    cursor = start
    for match in _PARAGRAPH_BREAK.finditer(text, start, end):
        span = _trim(text, cursor, match.start())
        if span:
            spans.append(span)
        cursor = match.end()
    span = _trim(text, cursor, end)
    if span:
        spans.append(span)
    return spans


_LINE_BREAK = re.compile(r"(?<=[.;:!?])[ \t]*\n|\n(?=[ \t]*(?:[-•*–]|\d+[.)])\s)")
_BULLET = re.compile(r"(?:[-•*–]|\d+[.)])\s")


def _line_groups(text: str, start: int, end: int) -> list[Span]:
    """Lines that end a statement (";", ":", ".") or start a list item are boundaries too;
    other single line breaks are wrapping (PDF lines, hard-wrapped text) and are not."""
    cuts = [m.end() for m in _LINE_BREAK.finditer(text, start, end)]
    spans, cursor = [], start
    for cut in [*cuts, end]:
        span = _trim(text, cursor, cut)
        cursor = cut
        if span is None:
            continue
        newline = text.find("\n", *span)
        if _BULLET.match(text, span[0]) and newline > 0:  # a list item ends with its line
            spans.extend(
                s for s in (_trim(text, span[0], newline), _trim(text, newline, span[1])) if s
            )
        else:
            spans.append(span)
    return spans


def split_sentences(
    text: str, start: int = 0, end: int | None = None, max_chars: int = 1000
) -> list[Span]:
    """Sentence spans of ``text[start:end]``: ordered, disjoint, trimmed, never longer than
    ``max_chars``, and together covering every non-space character. Paragraph breaks and list
    lines always end a sentence; within them sentencex decides (it knows "U.S." and
    "J. Trump")."""
    spans: list[Span] = []
    for p_start, p_end in (
        group for para in paragraph_spans(text, start, end) for group in _line_groups(text, *para)
    ):
        cursor = p_start
        for segment in sentencex.segment("en", text[p_start:p_end]):
            piece = segment.strip()
            if not piece:
                continue
            found = text.find(piece, cursor, p_end)
            if found < 0:  # the segmenter altered the text: keep what is left as one sentence
                break
            # Text skipped between sentences (rare) joins the sentence that follows it.
            span = _trim(text, cursor, found + len(piece))
            if span:
                spans.extend(_cap(text, span, max_chars))
            cursor = found + len(piece)
        rest = _trim(text, cursor, p_end)
        if rest:
            spans.extend(_cap(text, rest, max_chars))
    return spans


def _segments(document: Document) -> list[tuple[Span, int]]:
    """Regions chunks may not cross, with the page number for PDFs (0 for none)."""
    if not document.pages:
        return [((0, len(document.text)), 0)]
    bounds = [*document.pages, len(document.text)]
    return [((bounds[i], bounds[i + 1]), i + 1) for i in range(len(document.pages))]


def chunk_document(document: Document, size: int, overlap: int) -> list[Chunk]:
    """Pack whole sentences greedily up to ``size`` characters; consecutive chunks share
    ``overlap`` sentences so a statement split across a boundary is still found whole."""
    if size < 1 or overlap < 0:
        raise ValueError("chunk size must be positive and overlap not negative")
    text = document.text
    paragraph_starts = [s for s, _ in paragraph_spans(text)]
    chunks: list[Chunk] = []
    for (seg_start, seg_end), page in _segments(document):
        sentences = split_sentences(text, seg_start, seg_end, max_chars=size)
        i = 0
        while i < len(sentences):
            j = i + 1
            while j < len(sentences) and sentences[j][1] - sentences[i][0] <= size:
                j += 1
            start, end = sentences[i][0], sentences[j - 1][1]
            location = f"p. {page}" if page else f"¶ {bisect.bisect_right(paragraph_starts, start)}"
            chunks.append(
                Chunk(
                    source=document.source,
                    ordinal=len(chunks),
                    start=start,
                    end=end,
                    text=text[start:end],
                    location=location,
                    sentences=tuple(sentences[i:j]),
                )
            )
            if j >= len(sentences):
                break
            i = max(i + 1, j - overlap)
    return chunks
