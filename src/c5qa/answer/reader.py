"""A document opened at a passage of an answer: its full text with the quoted sentences marked,
and for a PDF the page they stand on (#17). The reader is where a user checks a quote, so what
it marks must be exactly the quoted text.

A request to read comes back from the browser (the answer's references), so nothing in it is
trusted: the document must be in the index, and a quote is marked only where the document's
text still equals it, at its offsets or, when the document changed since the answer, where the
text is found again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from c5qa.index.store import IndexStore
from c5qa.ingest.chunking import Span, page_span
from c5qa.ingest.documents import Document
from c5qa.query.request import BadRequest


@dataclass(frozen=True)
class Cited:
    """A quoted sentence as an answer's references carry it: where it was, and its text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Reading:
    """``document`` to show, with the ``marks`` (spans of its text) of the quoted sentences, the
    ``passage`` they were quoted from ((0, 0) for none) and ``lost``: quotes no longer in it."""

    document: Document
    marks: tuple[Span, ...]
    passage: Span
    lost: int

    @property
    def source(self) -> str:
        return self.document.source

    @property
    def text(self) -> str:
        return self.document.text

    @property
    def pages(self) -> tuple[int, ...]:
        """Each PDF page's start offset; () for other formats."""
        return self.document.pages

    @property
    def is_pdf(self) -> bool:
        return bool(self.pages)

    def page_of(self, offset: int) -> int:
        """The 1-based page holding ``offset`` (1 for a document without pages)."""
        return max(1, page_span(self.pages, offset, offset + 1)[0])

    @property
    def first_page(self) -> int:
        """The page to show first: the first mark's, else the passage's, else the first."""
        anchor = self.marks[0][0] if self.marks else self.passage[0]
        return self.page_of(anchor)

    def on_page(self, number: int) -> list[str]:
        """The marked text on page ``number``: a mark that crosses the page break gives each
        page its own part."""
        if not self.pages:
            return []
        start = self.pages[number - 1] if 0 < number <= len(self.pages) else len(self.text)
        end = self.pages[number] if number < len(self.pages) else len(self.text)
        parts = (self.text[max(a, start) : min(b, end)].strip() for a, b in self.marks)
        return [part for part in parts if part]


def _found(text: str, cited: Cited) -> Span | None:
    """Where ``cited`` stands in ``text``: at its offsets if the text there is still the
    quote, else its first occurrence, else nowhere."""
    if not cited.text:
        return None
    if 0 <= cited.start < cited.end <= len(text) and text[cited.start : cited.end] == cited.text:
        return (cited.start, cited.end)
    at = text.find(cited.text)
    return (at, at + len(cited.text)) if at >= 0 else None


def read(
    store: IndexStore, source: str, cited: Sequence[Cited] = (), passage: Span = (0, 0)
) -> Reading:
    """``source`` opened at ``cited`` (and the ``passage`` they came from, clipped to the
    text). Raises ``BadRequest`` for a document the index does not hold."""
    document = store.documents.get(source)
    if document is None:
        raise BadRequest(f"no document {source!r} in the index (it may have been removed)")
    text = document.text
    spans = [_found(text, c) for c in cited]
    marks = tuple(sorted({s for s in spans if s is not None}))
    start, end = (min(max(p, 0), len(text)) for p in passage)
    clipped = (start, end) if start < end else (0, 0)
    return Reading(document, marks, clipped, spans.count(None))


def cited_from(reference: object) -> tuple[str, list[Cited], Span]:
    """The document, quotes and passage of one of an answer's references (``render.references``)
    as the browser sends it back: checked, since a client may send anything."""
    if not isinstance(reference, dict) or not isinstance(reference.get("source"), str):
        raise BadRequest("a reference names its document")
    spans, quoted = reference.get("spans", []), reference.get("quoted", [])
    passage = (reference.get("start", 0), reference.get("end", 0))
    if not (isinstance(spans, list) and isinstance(quoted, list) and len(spans) == len(quoted)):
        raise BadRequest("a reference's quotes and their places do not match")
    numbers = [p for span in spans if isinstance(span, list) for p in span]
    if not all(isinstance(x, int) for x in (*numbers, *passage)) or len(numbers) != 2 * len(spans):
        raise BadRequest("a reference's places are pairs of whole numbers")
    if not all(isinstance(q, str) for q in quoted):
        raise BadRequest("a reference's quotes are text")
    cited = [Cited(s, e, text) for (s, e), text in zip(spans, quoted, strict=True)]
    return reference["source"], cited, passage
