"""Stage 2: documents become sentence-aligned chunks with exact offsets and a human location.

Offsets are the contract every later stage relies on: ``document.text[chunk.start:chunk.end]``
is the chunk's text, and every sentence span lies inside it, so an answer can quote a sentence
verbatim and point at exactly where it stands. PDF chunks cross a page only where a sentence
does (its pages joined by a line break, ``documents.page_separator``): ``p. N`` or ``pp. N–M``
is always true of the whole chunk.
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


# Where sentencex ends a sentence that has not ended; see ``_continues``.
_DOTTED_TAIL = re.compile(r"[A-Za-z]\.$")
_DOTTED_HEAD = re.compile(r"[A-Za-z]\.")
_INTRODUCES = re.compile(r"\b(?:e\.g|i\.e)\.$", re.IGNORECASE)
_CLOCK = re.compile(r"\b[ap]\.m\.$", re.IGNORECASE)
_TIME_ZONE = re.compile(r"(?:[A-Z]{1,3}T|UTC)\b")


def _continues(text: str, before: Span, after: Span) -> bool:
    """Whether sentencex cut one sentence in two at ``before``/``after``. Answers quote sentences
    verbatim, and users saw "hosted by then-U." / "S. President Joe Biden": sentencex knows
    "U.S." but not when a hyphen joins it to the word before ("then-U.S.", "Asia-U.S.",
    "non-U.N."). The same rule keeps the other abbreviations it ends sentences at although no
    sentence ends there: "e.g."/"i.e." before a capital ("e.g. The C5+1") and "a.m."/"p.m."
    before a time zone ("2:57 p.m. EDT"). Everything else is left to sentencex."""
    first = text[before[0] : before[1]]
    if before[1] == after[0] and _DOTTED_TAIL.search(first):  # "U.|S.": no space between
        return _DOTTED_HEAD.match(text, after[0]) is not None
    if _INTRODUCES.search(first):
        return True
    return _CLOCK.search(first) is not None and _TIME_ZONE.match(text, after[0]) is not None


def _segment(text: str, start: int, end: int) -> list[Span]:
    """sentencex's sentences of ``text[start:end]`` as trimmed spans, rejoined where
    ``_continues`` says sentencex cut a sentence."""
    spans: list[Span] = []
    cursor = start
    for segment in sentencex.segment("en", text[start:end]):
        piece = segment.strip()
        if not piece:
            continue
        found = text.find(piece, cursor, end)
        if found < 0:  # the segmenter altered the text: keep what is left as one sentence
            break
        # Text skipped between sentences (rare) joins the sentence that follows it.
        span = _trim(text, cursor, found + len(piece))
        if span:
            spans.append(span)
        cursor = found + len(piece)
    rest = _trim(text, cursor, end)
    if rest:
        spans.append(rest)
    joined: list[Span] = []
    for span in spans:
        if joined and _continues(text, joined[-1], span):
            joined[-1] = (joined[-1][0], span[1])
        else:
            joined.append(span)
    return joined


def split_sentences(
    text: str, start: int = 0, end: int | None = None, max_chars: int = 1000
) -> list[Span]:
    """Sentence spans of ``text[start:end]``: ordered, disjoint, trimmed, never longer than
    ``max_chars``, and together covering every non-space character. Paragraph breaks and list
    lines always end a sentence; within them sentencex decides (it knows "U.S." and
    "J. Trump"), save where ``_continues`` finds it cut a sentence at an abbreviation."""
    return [
        capped
        for para in paragraph_spans(text, start, end)
        for group in _line_groups(text, *para)
        for sentence in _segment(text, *group)
        for capped in _cap(text, sentence, max_chars)
    ]


def at_blocks(text: str, sentences: list[Span], starts: list[int]) -> list[Span]:
    """Sentences cut where a block starts (``starts``, sorted): the lines of a bill header
    ("III / 119th CONGRESS / … / S. RES. 459") end no sentence, and without the cut they would
    run into the sponsor line below and be quoted with it; cut, each keeps its block's kind."""
    out: list[Span] = []
    for start, end in sentences:
        cuts = starts[bisect.bisect_right(starts, start) : bisect.bisect_left(starts, end)]
        for a, b in zip([start, *cuts], [*cuts, end], strict=True):
            piece = _trim(text, a, b)
            if piece:
                out.append(piece)
    return out


def _segments(document: Document) -> list[Span]:
    """Regions chunks may not cross: the whole text, or for a PDF its pages, save that pages
    a sentence runs across (joined by one line break, not a blank line) form one region."""
    text, pages = document.text, document.pages
    if not pages:
        return [(0, len(text))]
    starts = [0, *(s for s in pages[1:] if text[s - 2 : s] == "\n\n")]
    return list(zip(starts, [*starts[1:], len(text)], strict=True))


def page_span(pages: tuple[int, ...], start: int, end: int) -> tuple[int, int]:
    """The first and last 1-based pages that ``text[start:end]`` covers, given each page's
    start offset (0, 0 for a text without pages)."""
    return bisect.bisect_right(pages, start), bisect.bisect_right(pages, end - 1)


def _location(document: Document, start: int, end: int, paragraph_starts: list[int]) -> str:
    """Where a chunk stands: its page or pages in a PDF, its paragraph otherwise."""
    if not document.pages:
        return f"¶ {bisect.bisect_right(paragraph_starts, start)}"
    first, last = page_span(document.pages, start, end)
    return f"p. {first}" if first == last else f"pp. {first}–{last}"


def chunk_document(document: Document, size: int, overlap: int) -> list[Chunk]:
    """Pack whole sentences greedily up to ``size`` characters; consecutive chunks share
    ``overlap`` sentences so a statement split across a boundary is still found whole."""
    if size < 1 or overlap < 0:
        raise ValueError("chunk size must be positive and overlap not negative")
    text = document.text
    paragraph_starts = [s for s, _ in paragraph_spans(text)]
    block_starts = sorted(b.start for b in document.blocks)
    chunks: list[Chunk] = []
    for seg_start, seg_end in _segments(document):
        sentences = split_sentences(text, seg_start, seg_end, max_chars=size)
        sentences = at_blocks(text, sentences, block_starts)
        i = 0
        while i < len(sentences):
            j = i + 1
            while j < len(sentences) and sentences[j][1] - sentences[i][0] <= size:
                j += 1
            start, end = sentences[i][0], sentences[j - 1][1]
            location = _location(document, start, end, paragraph_starts)
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
