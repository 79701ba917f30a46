"""A document's statements: the sentences that say something in its own voice, with their
stored vectors, once each and in order. What a summary picks its key sentences from, what a
diff aligns between two sets of documents and what the theme map finds a theme in; not
captions, bill headers, datelines, signature lines, headings, lead-ins that end in ":", or how
a text was released. How surely one statement restates another (``match_scores``) is the one
calibrated matching both use.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from c5qa.index.store import IndexStore
from c5qa.ingest.blocks import HEADING, NOT_CONTENT, QUOTED_WHEN_ASKED, introduces, kind_at
from c5qa.ingest.tokens import tokenize

# A release's or a bill's procedure, which says how the text came out, not what it says. For:
# "What did the July 2023 special session on Afghanistan say?" (opened with "The text of the
# following statement was released by…") and the Senate resolution's "…submitted the following
# resolution; which was referred to the Committee…".
PROCEDURE = re.compile(
    r"\bthe following (?:joint )?(?:statement|resolution|text)\b|\bsubmitted the following\b",
    re.IGNORECASE,
)


# A courtesy, which says nothing of the matter: thanks, "it's an honor", a greeting, "I look
# forward to working with you". For: the diff of 2015 against 2023, whose new statements on no
# theme were led by Biden's "And I want to thank you all for your fruitful conversation today"
# (boilerplate is not a statement); not "Thanks to the platform, trade grew".
COURTESY = re.compile(
    r"^\W*(?:[\w.’' -]{1,40}:\s+)?(?:(?:and|so|well|again),?\s+)?"  # a speaker's label
    r"(?:(?:I|we)\s+(?:(?:really|just)\s+)?"
    r"(?:want|would like|wish)\s+to\s+thank|thank\s+you|thanks\b(?!\s+to\b)|"
    r"it(?:'|’)s\s+(?:an?\s+)?(?:honou?r|pleasure|privilege)|"
    r"good\s+(?:morning|afternoon|evening)|"
    r"(?:I|we)\s+(?:\w+\s+)?look\s+forward\s+to\s+(?:working\s+with|seeing|meeting)\s+"
    r"(?:all\s+of\s+)?you)",
    re.IGNORECASE,
)


def statements(store: IndexStore, source: str) -> list[tuple[int, int, np.ndarray]]:
    """The document's statements with their vectors, in order, once each: no caption,
    boilerplate, dateline, signature or heading, no lead-in that ends in ":" or "—", no
    procedure, no courtesy."""
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
            if statement and not PROCEDURE.search(text) and not COURTESY.match(text):
                out.append((start, end, vector))
    return out


@dataclass(frozen=True)
class Statement:
    """A statement with its vector and terms, as matching reads it."""

    source: str
    start: int
    end: int
    vector: np.ndarray
    terms: frozenset[str]


def side_statements(sources: Sequence[str], store: IndexStore) -> list[Statement]:
    """The statements of ``sources``, in order."""
    out = []
    for source in sources:
        text = store.documents[source].text
        for start, end, vector in statements(store, source):
            terms = frozenset(tokenize(text[start:end]))
            out.append(Statement(source, start, end, vector, terms))
    return out


def match_scores(a: list[Statement], b: list[Statement], lexical: float) -> np.ndarray:
    """[i, j]: how surely b[j] restates a[i]: their cosine plus ``lexical`` x the Jaccard
    overlap of their terms."""
    if not a or not b:
        return np.zeros((len(a), len(b)), dtype=np.float32)
    cosine = np.stack([s.vector for s in a]) @ np.stack([s.vector for s in b]).T
    overlap = np.array(
        [[len(x.terms & y.terms) / (len(x.terms | y.terms) or 1) for y in b] for x in a],
        dtype=np.float32,
    )
    return cosine + lexical * overlap


def containment(statement: Statement, others: Sequence[Statement]) -> float:
    """The largest share of ``statement``'s terms that one of ``others`` holds: 1.0 for a
    verbatim quotation of it."""
    terms = statement.terms
    return max((len(terms & o.terms) / (len(terms) or 1) for o in others), default=0.0)
