"""A follow-up that picks among what the previous answer listed ("Which of those is about
critical minerals?" after the Kazakhstan deals): answered with the items of that list that fit
it best, not with whatever in the corpus is most about critical minerals.
"""

from __future__ import annotations

import numpy as np

from c5qa.answer.plain import evidence
from c5qa.answer.types import Answer, Quote, Section
from c5qa.index.store import IndexStore
from c5qa.query.analysis import Question
from c5qa.settings import Settings


def _items(answer: Answer) -> tuple[str, list[Quote]]:
    """The label and the bulleted items of a list answer (none for any other answer)."""
    for section in answer.sections:
        for part in section.parts:
            if part.bulleted:
                return section.label, list(part.quotes)
    return "", []


def among_items(
    question: Question, query: np.ndarray, listed: Answer, store: IndexStore, settings: Settings
) -> Answer | None:
    """The items of ``listed`` that stand out from the list for the question: scored as any
    sentence is (similarity and the question's terms), those at least one standard deviation
    above the items' mean (the tungsten plant, 0.16, among deals at -0.09 to 0.02 for
    "about critical minerals"), best first; None when ``listed`` is no list."""
    label, items = _items(listed)
    if not items:
        return None
    found = evidence(question.asks.terms, query, listed.passages, store, settings)
    score: dict[Quote, float] = {}
    for c in found.candidates:
        for item in items:
            if item.source == c.passage.source and item.start <= c.start < item.end:
                score[item] = max(score.get(item, -np.inf), c.relevance)
    if len(score) < 2:
        return None
    values = np.array(list(score.values()))
    bar = min(values.mean() + values.std(), values.max())
    chosen = tuple(sorted((i for i in score if score[i] >= bar), key=lambda i: -score[i]))
    sections = (Section(label, parts=(Section(quotes=chosen, bulleted=True),)),)
    return Answer(question.text, "answered", "", sections, listed.passages)
