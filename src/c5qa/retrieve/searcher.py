"""Questions become queries (one encode, or two for a follow-up) and queries become passages,
with the retrieval settings applied in one place."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from c5qa.index.embedding import Encoder
from c5qa.index.store import IndexStore
from c5qa.query.request import Filters
from c5qa.query.terms import Terms, read
from c5qa.retrieve.search import Passage, Query, Retrieval, make_passage, search
from c5qa.settings import Settings


class Searcher:
    """Encodes with the embedder ``encoder()`` gives (loaded on first use) and searches a
    store with the settings' retrieval."""

    def __init__(self, settings: Settings, encoder: Callable[[], Encoder]) -> None:
        self.settings = settings
        self._encoder = encoder

    def query(self, terms: Terms, previous: str = "", topic: Terms | None = None) -> Query:
        """For a follow-up, search with the question blended with the previous question, so
        "What about Turkmenistan?" keeps the topic and "Who proposed it?" keeps its referent.
        ``topic``, for a question that names documents, is what it asks of them, encoded in
        the same batch: their sentences are ranked by it."""
        texts = [terms.text, *([f"{previous} {terms.text}"] if previous else [])]
        named = topic is not None and topic.text != terms.text
        vectors = self._encoder().encode([*texts, topic.text] if named else texts)
        about = vectors[-1] if named else None
        if not previous:
            return Query(terms, vectors[0], about=about)
        weight = self.settings.followup_weight
        alone, with_context = vectors[0], vectors[1]
        vector = weight * alone + (1 - weight) * with_context
        vector = (vector / np.linalg.norm(vector)).astype(np.float32)
        return Query(terms, vector, context=read(previous), weight=weight, own=alone, about=about)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Texts as the model encodes them (a diff's theme labels)."""
        return self._encoder().encode(texts)

    def passages(
        self,
        store: IndexStore,
        query: Query,
        k: int,
        filters: Filters | None,
        mode: str | None = None,
    ) -> list[Passage]:
        how = Retrieval.of(self.settings, mode)
        return [make_passage(store, i, s) for i, s in search(store, query, k, filters, how)]
