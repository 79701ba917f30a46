"""A document's statements: the sentences that say something in its own voice, with their
stored vectors, once each and in order. What a summary picks its key sentences from and what a
diff aligns between two sets of documents; not captions, bill headers, datelines, signature
lines, headings, lead-ins that end in ":", or how a text was released.
"""

from __future__ import annotations

import re

import numpy as np

from c5qa.index.store import IndexStore
from c5qa.ingest.blocks import HEADING, NOT_CONTENT, QUOTED_WHEN_ASKED, introduces, kind_at

# A release's or a bill's procedure, which says how the text came out, not what it says. For:
# "What did the July 2023 special session on Afghanistan say?" (opened with "The text of the
# following statement was released by…") and the Senate resolution's "…submitted the following
# resolution; which was referred to the Committee…".
PROCEDURE = re.compile(
    r"\bthe following (?:joint )?(?:statement|resolution|text)\b|\bsubmitted the following\b",
    re.IGNORECASE,
)


def statements(store: IndexStore, source: str) -> list[tuple[int, int, np.ndarray]]:
    """The document's statements with their vectors, in order, once each: no caption,
    boilerplate, dateline, signature or heading, no lead-in that ends in ":" or "—", no
    procedure."""
    document = store.documents[source]
    seen: set[tuple[int, int]] = set()
    out = []
    for chunk_id in range(*store.ranges[source]):
        spans = store.chunks[chunk_id].sentences
        for (start, end), vector in zip(spans, store.chunk_sentence_vectors(chunk_id), strict=True):
            kind = kind_at(document.blocks, start, end)
            text = document.text[start:end].rstrip()
            if (start, end) in seen or kind in NOT_CONTENT | QUOTED_WHEN_ASKED or kind == HEADING:
                continue
            seen.add((start, end))
            statement = not introduces(text) and len(text.split()) >= 4
            if statement and not PROCEDURE.search(text):
                out.append((start, end, vector))
    return out
