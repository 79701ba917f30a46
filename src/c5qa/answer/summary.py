""" "What does the Senate resolution say?", "What does the Diplomat article argue?",
"Summarize the 2023 New York Declaration": the named document's own thesis and key claims,
in its order, rather than the sentences of any document most like the question's words.

Centroid summarisation (Radev et al., 2004): a document's key sentences are those closest to
the mean of its sentence vectors, what it keeps saying; maximal marginal relevance keeps them
from repeating each other. The document's first statement (a subtitle, a resolution's
"Honoring…", a declaration's opening) leads, since that is where a text says what it is about.
"""

from __future__ import annotations

import numpy as np

from c5qa.answer.lists import Listing
from c5qa.answer.statements import statements
from c5qa.answer.types import Answer, Section, label
from c5qa.index.store import IndexStore
from c5qa.query.analysis import Question
from c5qa.retrieve.search import Passage
from c5qa.settings import Settings


def key_sentences(
    sentences: list[tuple[int, int, np.ndarray]], limit: int, diversity: float
) -> list[tuple[int, int]]:
    """The first statement, then the sentences nearest the document's centroid that do not
    repeat the chosen ones (MMR), in document order. (Choosing the lead among the first three
    statements by centrality instead scored lower on eval/answers.jsonl's summaries: phrase
    recall 0.650 against 0.700.)"""
    if not sentences:
        return []
    vectors = np.stack([v for _, _, v in sentences])
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    central = vectors @ centroid
    chosen = [0]
    while len(chosen) < min(limit, len(sentences)):
        redundancy = (vectors @ vectors[chosen].T).max(axis=1)
        gain = (1 - diversity) * central - diversity * redundancy
        gain[chosen] = -np.inf
        chosen.append(int(gain.argmax()))
    return [(sentences[i][0], sentences[i][1]) for i in sorted(chosen)]


def summary_answer(
    question: Question, passages: tuple[Passage, ...], store: IndexStore, settings: Settings
) -> Answer | None:
    """The key sentences of the document the question names, or None when it names none."""
    if not question.documents:
        return None
    listing = Listing(store, passages)
    sections = []
    for source in question.documents:
        spans = key_sentences(
            statements(store, source), settings.summary_sentences, settings.answer_diversity
        )
        document = store.documents[source]
        quotes = tuple(listing.quote(source, start, end) for start, end in spans)
        heading = label(document.date, document.title, width=None)
        sections.append(Section(heading, quotes))
    return Answer(question.text, "answered", "", tuple(sections), tuple(listing.passages))
