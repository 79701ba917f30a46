"""The index as the running app holds it: the current generation (reloaded when a writer
commits a new one), updates and uploads, and what the faces show of it (status, documents).

A request in flight keeps the generation it started with; the next one sees the new one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from c5qa.app.logs import event
from c5qa.app.upload import save_upload
from c5qa.index.embedding import Embedder
from c5qa.index.store import (
    IndexCorrupt,
    IndexProblem,
    IndexReport,
    IndexStore,
    current_generation,
    open_index,
    update_index,
)
from c5qa.query.analysis import Corpus
from c5qa.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Status:
    generation: str
    documents: int
    chunks: int
    model: str
    created: str
    failed: tuple[dict, ...]


@dataclass(frozen=True)
class DocumentRow:
    """A document as the Documents tab and the source picker list it."""

    title: str
    publisher: str
    date: str
    kind: str
    partial: bool
    chunks: int
    source: str


def _open(index_dir: Path) -> IndexStore:
    """Load the current generation. Writers keep only the current generation and the one
    before it, so a load that two quick commits overtake finds its files gone: that is not
    corruption, and loading the generation now current is the answer."""
    for _ in range(5):
        attempted = current_generation(index_dir)
        try:
            return open_index(index_dir)
        except IndexCorrupt:
            if current_generation(index_dir) == attempted:
                raise
    return open_index(index_dir)


class Library:
    def __init__(self, settings: Settings, encoder: Callable[[], Embedder]) -> None:
        self.settings = settings
        self._encoder = encoder
        self._lock = threading.Lock()
        self._store: IndexStore | None = None
        self._corpus: Corpus | None = None

    def has_index(self) -> bool:
        return current_generation(self.settings.index_dir) is not None

    def store(self) -> IndexStore:
        """The current generation, reloaded when a writer has switched ``CURRENT``."""
        return self.current()[0]

    def current(self) -> tuple[IndexStore, Corpus]:
        """The current generation and what question analysis needs to know of it."""
        generation = current_generation(self.settings.index_dir)
        with self._lock:
            if self._store is None or self._store.generation != generation:
                self._store = _open(self.settings.index_dir)
                self._corpus = Corpus.of(self._store)
                event(log, logging.INFO, "index.loaded", generation=self._store.generation)
            assert self._corpus is not None  # set with the store
            return self._store, self._corpus

    def update(
        self,
        progress: bool = False,
        wait: float = 0,
        on_notice: Callable[[str], None] | None = None,
    ) -> IndexReport:
        """Update the index, logging the run for maintainers. A notice (a rebuild and its
        reason) goes to ``on_notice`` for a person to read; with nobody to read it, it is
        logged as a warning instead."""
        settings = self.settings

        def notice(message: str) -> None:
            level = logging.WARNING if on_notice is None else logging.INFO
            event(log, level, "index.notice", message=message)
            if on_notice is not None:
                on_notice(message)

        event(
            log,
            logging.INFO,
            "index.start",
            corpus=str(settings.corpus_dir),
            index=str(settings.index_dir),
            model=settings.model or "bundled all-MiniLM-L6-v2",
        )
        try:
            report = update_index(settings, self._encoder, progress, wait, notice)
        except IndexProblem as exc:
            event(log, logging.INFO, "index.refused", error=str(exc))
            raise
        except Exception:
            log.exception("index.crashed", extra={"fields": {"corpus": str(settings.corpus_dir)}})
            raise
        for failure in report.failed:
            event(log, logging.INFO, "index.skipped", source=failure.source, reason=failure.error)
        summary = report.to_json()
        del summary["failed"]
        event(log, logging.INFO, "index.done", **summary, failed=len(report.failed))
        return report

    def add(
        self, files: Sequence[tuple[Path, str]], progress: bool = False
    ) -> tuple[list[tuple[str, str, str]], IndexReport]:
        """Save uploaded (path, client file name) pairs into the corpus and index them.

        Returns (client name, saved name, outcome) per file, outcome being "indexed",
        "unchanged: …", "failed: <reason>" or "refused: <reason>", and the index report."""
        corpus = self.settings.corpus_dir
        corpus.mkdir(parents=True, exist_ok=True)
        saved = [save_upload(path, name, corpus) for path, name in files]
        report = self.update(progress=progress, wait=120, on_notice=lambda message: None)
        failures = {f.source: f.error for f in report.failed}
        fresh = set(report.added) | set(report.updated)
        results = []
        for item in saved:
            if not item.name:
                outcome = item.note
            elif item.name in failures:
                outcome = f"failed: {failures[item.name]}"
            elif item.name in fresh or not item.note.startswith("already"):
                outcome = "indexed" + (f" ({item.note})" if item.note else "")
            else:
                outcome = f"unchanged: {item.note}"
            results.append((item.original, item.name, outcome))
            fine = outcome.startswith(("indexed", "unchanged"))
            level = logging.INFO if fine else logging.WARNING
            event(log, level, "upload", file=item.original[:200], saved=item.name, outcome=outcome)
        return results, report

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

    def documents(self) -> list[DocumentRow]:
        """The corpus, oldest first (undated last)."""
        store = self.store()
        counts = store.manifest.get("documents", {})
        docs = sorted(store.documents.values(), key=lambda d: (d.date or "9999", d.source))
        return [
            DocumentRow(
                d.title,
                d.publisher,
                d.date,
                d.kind,
                d.partial,
                counts[d.source]["chunks"],
                d.source,
            )
            for d in docs
        ]
