"""The one facade the UI and CLI use: index, ask, retrieve, status. They never touch FAISS or the
model directly, so every front end answers the same way.

A long-lived ``Service`` notices when a writer has committed a new index generation and switches
to it between requests; a request in flight keeps the generation it started with.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from c5qa.answer import Answer, compose
from c5qa.chat import Message, previous_question
from c5qa.embedding import Embedder
from c5qa.index import IndexReport, IndexStore, current_generation, open_index, update_index
from c5qa.retrieval import Filters, Passage, dense_search, make_passage
from c5qa.settings import Settings

# Weight of the question itself against "previous question + this question" for follow-ups.
FOLLOWUP_WEIGHT = 0.6


@dataclass(frozen=True)
class Status:
    generation: str
    documents: int
    chunks: int
    model: str
    created: str
    failed: tuple[dict, ...]


class Service:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._store: IndexStore | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = Embedder(self.settings.model, self.settings.batch_size)
            return self._embedder

    def store(self) -> IndexStore:
        """The current generation, reloaded when a writer has switched ``CURRENT``."""
        generation = current_generation(self.settings.index_dir)
        with self._lock:
            if self._store is None or self._store.generation != generation:
                self._store = open_index(self.settings.index_dir)
            return self._store

    def index(
        self, progress: bool = False, wait: float = 0, on_notice: Callable[[str], None] = print
    ) -> IndexReport:
        report = update_index(self.settings, self.embedder, progress, wait, on_notice)
        self.store()
        return report

    def _query(self, question: str, history: Sequence[Message]) -> np.ndarray:
        before = previous_question(history)
        if not before:
            return self.embedder.encode_query(question)
        alone, with_context = self.embedder.encode([question, f"{before} {question}"])
        vector = FOLLOWUP_WEIGHT * alone + (1 - FOLLOWUP_WEIGHT) * with_context
        return (vector / np.linalg.norm(vector)).astype(np.float32)

    def _passages(
        self, store: IndexStore, query: np.ndarray, k: int, filters: Filters | None
    ) -> list[Passage]:
        return [make_passage(store, i, s) for i, s in dense_search(store, query, k, filters)]

    def retrieve(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        history: Sequence[Message] = (),
    ) -> list[Passage]:
        store = self.store()
        query = self._query(question, history)
        return self._passages(store, query, k or self.settings.k, filters)

    def ask(
        self,
        question: str,
        history: Sequence[Message] = (),
        k: int | None = None,
        filters: Filters | None = None,
    ) -> Answer:
        store = self.store()
        query = self._query(question, history)
        passages = self._passages(store, query, k or self.settings.k, filters)
        return compose(
            question,
            query,
            passages,
            store,
            max_sentences=self.settings.answer_sentences,
            abstain_below=self.settings.abstain_below,
        )

    def status(self) -> Status:
        store = self.store()
        manifest = store.manifest
        return Status(
            generation=store.generation,
            documents=len(store.documents),
            chunks=len(store.chunks),
            model=manifest.get("model", ""),
            created=manifest.get("created", ""),
            failed=tuple(manifest.get("failed", ())),
        )
