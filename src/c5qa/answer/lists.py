"""A question that asks for several things ("Which deals…", "List the commitments…", "What
are the section headings of…") is answered with the items of the list in the document, one
bullet each, rather than the few sentences most like the question.

The list is found from the document's structure (``ingest/blocks.py``), not from the words of
the items: the sentence that answers best anchors it, and its items are the run of blocks that
follows the lead-in the anchor belongs to ("celebrated deals with U.S. companies…" and the
seven paragraphs after it), within its section (up to the next heading or run-in heading such
as "INVESTING IN THE NEXT GENERATION:"), across chunk boundaries. A primary document answers
before commentary about it, unless the question names the commentary. Headings are a
document's own list of its sections.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from c5qa.answer.types import Answer, Quote, Section, label
from c5qa.index.store import IndexStore
from c5qa.ingest.blocks import (
    BULLETS,
    HEADING,
    LIST_ITEM,
    NOT_CONTENT,
    PARAGRAPH,
    Block,
    introduces,
)
from c5qa.query.analysis import Question
from c5qa.query.request import COMMENTARY
from c5qa.retrieve.search import Passage, make_passage
from c5qa.settings import Settings

# A paragraph that opens with its own heading in capitals. For: the fact sheets' "WINS FOR U.S.
# BUSINESSES AND WORKERS: President Trump and President Tokayev celebrated deals…".
RUN_IN_HEADING = re.compile(r"[A-Z][A-Z0-9 ,.’'&+–-]{3,}:\s")


# The bullet a list line opens with in the document. For: the 2020 Tashkent statement's
# "• Strengthening mutual trust…", bulleted again by the answer.
BULLET = re.compile(rf"[{re.escape(BULLETS)}]\s+")


def _starts_section(block: Block, text: str) -> bool:
    return block.kind == HEADING or bool(RUN_IN_HEADING.match(text, block.start))


def _lead_in(block: Block, text: str) -> bool:
    """A block that introduces a list: one ending in ":" ("…the foreign ministers declare
    their commitment to:"), or a paragraph opening with a run-in heading (the fact sheets'
    "WINS FOR U.S. BUSINESSES AND WORKERS: … celebrated deals"). A heading standing alone
    opens a section of prose (the New York Declaration's), not a list."""
    if block.kind == HEADING:
        return False
    return bool(RUN_IN_HEADING.match(text, block.start)) or introduces(
        text[block.start : block.end]
    )


def item_run(
    blocks: Sequence[Block], anchor: int, text: str, longest: int
) -> tuple[int, list[Block]]:
    """The lead-in before (or at) block ``anchor`` and the items after it, up to the end of
    its section, the next lead-in or a block longer than ``longest`` (prose, not an item):
    (index of the lead-in, the items); no items when no lead-in comes first (a run of
    paragraphs is a text, not a list)."""
    start = anchor
    while start > 0 and not _lead_in(blocks[start], text):
        start -= 1
    if not _lead_in(blocks[start], text):
        return start, []
    items = []
    for block in blocks[start + 1 :]:
        if _lead_in(block, text) or block.kind == HEADING or block.end - block.start > longest:
            break
        items.append(block)
    return start, items


def _content(blocks: Sequence[Block]) -> list[Block]:
    return [b for b in blocks if b.kind not in NOT_CONTENT]


def _block_of(blocks: Sequence[Block], start: int) -> int:
    return next((i for i, b in enumerate(blocks) if b.start <= start < b.end), -1)


class Listing:
    """The passages an answer shows, grown by the chunks that hold items retrieval did not
    return, so that every bullet cites a passage that contains it."""

    def __init__(self, store: IndexStore, passages: Sequence[Passage]) -> None:
        self.store = store
        self.passages = list(passages)

    def quote(self, source: str, start: int, end: int) -> Quote:
        """The text from ``start`` to ``end``, without the bullet it may open with (the
        answer sets its own)."""
        marker = BULLET.match(self.store.documents[source].text, start, end)
        start = marker.end() if marker else start
        text = self.store.documents[source].text[start:end]
        for n, p in enumerate(self.passages, start=1):
            if p.source == source and p.start <= start and end <= p.end:
                return Quote(n, source, start, end, text, 0.0)
        first, last = self.store.ranges[source]
        for chunk_id in range(first, last):
            chunk = self.store.chunks[chunk_id]
            if chunk.start <= start and end <= chunk.end:
                self.passages.append(make_passage(self.store, chunk_id, 0.0))
                return Quote(len(self.passages), source, start, end, text, 0.0)
        raise LookupError(f"no chunk of {source} holds {start}-{end}")

    def sentence(self, source: str, block: Block, whole: int) -> Quote:
        """The whole block when it is at most ``whole`` characters and one chunk holds it (an
        item of two sentences), else its first sentence as its chunk splits it."""
        spans = [
            (start, end)
            for chunk_id in range(*self.store.ranges[source])
            for start, end in self.store.chunks[chunk_id].sentences
            if block.start <= start < block.end
        ]
        if not spans:
            return self.quote(source, block.start, block.end)
        end = max(e for _, e in spans)
        if end - spans[0][0] <= whole:
            try:
                return self.quote(source, spans[0][0], end)
            except LookupError:  # the block spans two chunks: its first sentence will do
                pass
        return self.quote(source, *spans[0])


def _anchor_order(question: Question, passages: Sequence[Passage], store: IndexStore) -> list[str]:
    """Sources in the order they may anchor a list: only the documents named, when the
    question names any; else primary documents, then commentary (which lists what it
    discusses, not what was agreed)."""
    sources = list(dict.fromkeys(p.source for p in passages))
    if question.documents:
        return [s for s in sources if s in question.documents]
    primary = [s for s in sources if store.documents[s].kind not in COMMENTARY]
    return list(dict.fromkeys([*primary, *sources]))


def _best_run(
    blocks: Sequence[Block],
    ranked: Sequence[tuple[str, int, float]],
    source: str,
    text: str,
    floor: float,
    longest: int,
) -> tuple[int, list[Block]]:
    """Of the runs the source's candidate sentences fall in, the one whose lead-in answers
    the question best: a lead-in says what its list is ("…by taking the following actions:"),
    and a preamble that names the same parties is no list of actions. A run whose lead-in was
    not among the candidates counts by its best item. A run none of whose sentences reaches
    ``floor`` (what the plain answer would quote) is not what the question is about."""
    best: tuple[float, int, list[Block]] = (float("-inf"), -1, [])
    mine = [(start, r) for s, start, r in ranked if s == source]
    for anchor, _ in mine:
        index = _block_of(blocks, anchor)
        if index < 0:
            continue
        at, items = item_run(blocks, index, text, longest)
        if not items:
            continue
        head = [r for start, r in mine if blocks[at].start <= start < blocks[at].end]
        body = [r for start, r in mine if items[0].start <= start < items[-1].end]
        weight = max(head) if head else max(body, default=float("-inf"))
        if max([*head, *body]) >= floor and weight > best[0]:
            best = (weight, at, items)
    return best[1], best[2]


def list_answer(
    question: Question,
    ranked: Sequence[tuple[str, int, float]],
    passages: Sequence[Passage],
    store: IndexStore,
    settings: Settings,
    floor: float,
) -> Answer | None:
    """The items of the list the question is about, or None when the sentences that answer
    belong to none (fewer than ``min_list_items`` or more than ``max_list_items``: the plain
    answer serves better). ``ranked`` holds the candidate sentences as (source, start,
    relevance)."""
    listing = Listing(store, passages)
    for source in _anchor_order(question, passages, store):
        document = store.documents[source]
        blocks = _content(document.blocks)
        if question.structure:  # a document's own list: its headings, its signatories
            items, lead_in = [b for b in blocks if b.kind == question.structure], None
        else:
            # The documents a question names are what it asks about: their list needs no
            # comparison with the plain answer's sentences.
            bar = float("-inf") if source in question.documents else floor
            at, items = _best_run(
                blocks, ranked, source, document.text, bar, settings.max_item_chars
            )
            lead_in = blocks[at] if items else None
            items = [b for b in items if b.kind in (PARAGRAPH, LIST_ITEM)]
        if not settings.min_list_items <= len(items) <= settings.max_list_items:
            continue
        whole = settings.max_item_chars
        quotes = [listing.sentence(source, b, whole) for b in items]
        opening = (listing.sentence(source, lead_in, whole),) if lead_in is not None else ()
        heading = label(document.date, document.title, width=None)
        sections = (
            Section(heading, opening, parts=(Section(quotes=tuple(quotes), bulleted=True),)),
        )
        return Answer(question.text, "answered", "", sections, tuple(listing.passages))
    return None
