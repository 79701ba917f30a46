"""The index as the running app holds it: the current generation (reloaded when a writer
commits a new one), updates and uploads, and what the faces show of it (status, documents).

A request in flight keeps the generation it started with; the next one sees the new one.

When the current generation is damaged, the last good one is served if one is intact: writers
keep the generation before the current one, and it is loaded with the same checksum pass, so
what is served is a complete, verified earlier run over the corpus (``index.fallback`` is
logged, and ``status()`` names the generation). Segments shared by hard link are damaged in
both at once; then both checksum passes fail and nothing is served. With no usable index,
``current()``, ``store()``, ``status()`` and ``documents()`` raise ``IndexProblem`` and
nothing else, so the faces can start regardless and show the problem.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from c5qa.app.logs import event
from c5qa.app.upload import Saved, save_upload
from c5qa.index.embedding import Embedder
from c5qa.index.store import (
    CURRENT,
    IndexCorrupt,
    IndexProblem,
    IndexReport,
    IndexStore,
    current_generation,
    open_index,
    update_index,
)
from c5qa.ingest.chunking import chunk_document
from c5qa.ingest.documents import DocumentError, load_document
from c5qa.ingest.ocr import configured
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


def _pointer(index_dir: Path) -> str | None:
    """The current generation's name; a ``CURRENT`` that cannot be read is an IndexProblem
    like any other damage, not an OSError the faces would not expect."""
    try:
        return current_generation(index_dir)
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"the index pointer {index_dir}/{CURRENT} is unreadable: {exc}") from exc


def _generation_key(index_dir: Path, generation: str) -> tuple[str, int, int] | None:
    """A generation's identity: its name and its directory's inode and ctime. Names come back
    when the index folder is deleted and built again, so a name alone cannot say that a
    generation is the one found damaged before."""
    try:
        found = os.stat(index_dir / generation)
    except OSError:
        return None
    return generation, found.st_ino, found.st_ctime_ns


def _earlier(index_dir: Path, generation: str) -> list[str]:
    """The committed generations older than ``generation``, newest first: never a newer one,
    which a killed writer may have left uncommitted."""
    names = [p.name for p in index_dir.glob("gen-*") if p.name[4:].isdigit() and p.is_dir()]
    return sorted((n for n in names if n < generation), reverse=True)


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
        self._loaded_for: str | None = None  # the CURRENT the store was loaded for
        # Generations found damaged, with why: they are immutable, so checked once, not at
        # every request (the checksum pass reads the whole generation).
        self._refused: dict[tuple[str, int, int], IndexProblem] = {}

    @property
    def loaded(self) -> bool:
        """Whether a generation is in memory (the next request need not load one)."""
        return self._store is not None

    def has_index(self) -> bool:
        return current_generation(self.settings.index_dir) is not None

    def store(self) -> IndexStore:
        """The current generation, reloaded when a writer has switched ``CURRENT``."""
        return self.current()[0]

    def current(self) -> tuple[IndexStore, Corpus]:
        """The current generation (or the last good one, when it is damaged) and what question
        analysis needs to know of it. A store that found its files damaged while serving
        (``spoiled``) is dropped and the generation loaded again, so its checksum pass
        reports the damage. Raises ``IndexProblem`` and no other exception."""
        index_dir = self.settings.index_dir
        with self._lock:
            generation = _pointer(index_dir)
            store = self._store
            if store is None or store.spoiled or self._loaded_for != generation:
                if store is not None and store.spoiled:
                    event(log, logging.WARNING, "index.spoiled", reason=store.spoiled)
                self._store = self._corpus = None  # never served again, whatever comes next
                self._store, self._corpus = self._load(generation)
            assert self._store is not None and self._corpus is not None  # set together
            return self._store, self._corpus

    def _load(self, generation: str | None) -> tuple[IndexStore, Corpus]:
        """Load the current generation (``generation``, as last read), or the newest intact
        earlier one when it is damaged. Anything unexpected is reported as ``IndexCorrupt``."""
        index_dir = self.settings.index_dir
        try:
            self._raise_if_refused(generation)
            store = _open(index_dir)
            corpus = Corpus.of(store)
            self._loaded_for = store.generation
        except IndexCorrupt as exc:
            if _pointer(index_dir) != generation:
                raise  # a writer switched CURRENT meanwhile: the next request loads its work
            store, corpus = self._fallback(generation, exc)
        except IndexProblem:
            raise
        except Exception as exc:
            log.exception("index.load_crashed", extra={"fields": {"index": str(index_dir)}})
            raise IndexCorrupt(f"the index in {index_dir} cannot be loaded: {exc}") from exc
        event(log, logging.INFO, "index.loaded", generation=store.generation)
        return store, corpus

    def _raise_if_refused(self, generation: str | None) -> None:
        """Refuse again, without reading it, a generation found damaged before (a new
        exception each time: raising one object again and again grows its traceback)."""
        key = _generation_key(self.settings.index_dir, generation) if generation else None
        if key in self._refused:
            problem = self._refused[key]
            raise type(problem)(str(problem))

    def _fallback(self, generation: str | None, problem: IndexCorrupt) -> tuple[IndexStore, Corpus]:
        """Serve the newest earlier generation that loads, since ``generation`` (CURRENT)
        could not be; raise ``problem`` when none does."""
        index_dir = self.settings.index_dir
        key = _generation_key(index_dir, generation) if generation else None
        if generation is None or key is None:
            raise problem
        self._refused[key] = problem
        for earlier in _earlier(index_dir, generation):
            earlier_key = _generation_key(index_dir, earlier)
            if earlier_key is None or earlier_key in self._refused:
                continue
            try:
                store = open_index(index_dir, earlier)
                corpus = Corpus.of(store)
            except Exception as exc:  # open_index raises IndexProblem; Corpus.of, who knows
                self._refused[earlier_key] = IndexCorrupt(str(exc))
                continue
            self._loaded_for = generation
            event(
                log,
                logging.WARNING,
                "index.fallback",
                generation=earlier,
                refused=generation,
                reason=str(problem),
            )
            return store, corpus
        raise problem

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
        saved = [
            self._within_budget(path, name) or save_upload(path, name, corpus)
            for path, name in files
        ]
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

    def encode_rate(self) -> float:
        """Chunks this machine encodes per second: as the last update measured it, or the
        setting's fallback before any update encoded enough to tell."""
        try:
            measured = float(self.store().manifest.get("encode_rate", 0.0))
        except IndexProblem:
            measured = 0.0
        return measured or self.settings.encode_rate_fallback

    def _within_budget(self, path: Path, name: str) -> Saved | None:
        """A refusal when encoding the upload would take longer than ``upload_budget_s``, by
        its chunk count and the measured speed; None when it fits (or cannot be read: the
        index run says why)."""
        s = self.settings
        try:
            ocr = configured(s.ocr, s.ocr_cache)
            document = load_document(path, path.parent, int(s.max_file_mb * 1e6), ocr)
        except DocumentError:
            return None
        chunks = len(chunk_document(document, s.chunk_size, s.chunk_overlap))
        seconds = chunks / self.encode_rate()
        if seconds <= s.upload_budget_s:
            return None
        return Saved(
            name,
            "",
            f"refused: {chunks:,} passages would take about {seconds / 60:.0f} min to encode "
            f"here, over the {s.upload_budget_s / 60:.0f} min an upload may take; split it, "
            "or put it in corpus/ and run `c5qa index`",
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
