"""The one facade the UI and CLI use: index, ask, retrieve, status. They never touch FAISS or the
model directly, so every front end answers the same way.

A long-lived ``Service`` notices when a writer has committed a new index generation and switches
to it between requests; a request in flight keeps the generation it started with.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from c5qa.answer.compare import (
    COMMENTARY,
    PRESENCE_COVERAGE,
    Finding,
    Period,
    compose_comparison,
    default_periods,
    find,
    period_free,
    side_by_side,
    spread,
    unused_names,
)
from c5qa.answer.expected import absence_theme
from c5qa.answer.plain import Answer, Policy, compose
from c5qa.answer.render import Message, previous_question
from c5qa.answer.themes import DEFAULT_THEMES, ThemeMap, build_map
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
from c5qa.retrieve.search import Filters, Passage, Query, Retrieval, make_passage, search
from c5qa.settings import Settings

NOTHING_TO_SEARCH = "Please type a question: this one has no words to search for."

NOT_ENGLISH = (
    "The documents are in English: asking in English (names as they are spelled there, such "
    "as Kazakhstan or Samarkand) finds much more."
)

log = logging.getLogger(__name__)


def _mostly_non_latin(text: str) -> bool:
    """Cyrillic, Chinese, Arabic…: scripts whose words cannot match English documents."""
    letters = [ch for ch in text if ch.isalpha()]
    return sum(ord(ch) > 0x24F for ch in letters) > len(letters) / 2


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
        self._theme_maps: dict[tuple, ThemeMap] = {}

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = Embedder(
                    self.settings.model, self.settings.batch_size, self.settings.threads
                )
            return self._embedder

    def warm(self) -> None:
        """Load the model and the index now, so the first question does not wait for them."""
        self.embedder.encode_query("warm")
        self.store()

    @property
    def policy(self) -> Policy:
        return Policy(
            max_sentences=self.settings.answer_sentences,
            min_support=self.settings.abstain_below,
            min_coverage=self.settings.min_coverage,
        )

    def store(self) -> IndexStore:
        """The current generation, reloaded when a writer has switched ``CURRENT``."""
        index_dir = self.settings.index_dir
        generation = current_generation(index_dir)
        with self._lock:
            if self._store is None or self._store.generation != generation:
                self._store = self._open(index_dir)
                event(log, logging.INFO, "index.loaded", generation=self._store.generation)
            return self._store

    @staticmethod
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

    def index(
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
            if on_notice is None:
                event(log, logging.WARNING, "index.notice", message=message)
            else:
                event(log, logging.INFO, "index.notice", message=message)
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
            report = update_index(settings, lambda: self.embedder, progress, wait, notice)
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

    def add_documents(
        self, files: Sequence[tuple[Path, str]], progress: bool = False
    ) -> tuple[list[tuple[str, str, str]], IndexReport]:
        """Save uploaded (path, client file name) pairs into the corpus and index them.

        Returns (client name, saved name, outcome) per file, outcome being "indexed",
        "unchanged: …", "failed: <reason>" or "refused: <reason>", and the index report."""
        corpus = self.settings.corpus_dir
        corpus.mkdir(parents=True, exist_ok=True)
        saved = [save_upload(path, name, corpus) for path, name in files]
        report = self.index(progress=progress, wait=120, on_notice=lambda message: None)
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

    def _query(self, question: str, history: Sequence[Message]) -> Query:
        """For a follow-up, search with the question blended with the previous question, so
        "What about Turkmenistan?" keeps the topic and "Who proposed it?" keeps its referent."""
        before = previous_question(history)
        if not before:
            return Query(question, self.embedder.encode_query(question))
        weight = self.settings.followup_weight
        alone, with_context = self.embedder.encode([question, f"{before} {question}"])
        vector = weight * alone + (1 - weight) * with_context
        vector = (vector / np.linalg.norm(vector)).astype(np.float32)
        return Query(question, vector, context=before, weight=weight)

    def _passages(
        self,
        store: IndexStore,
        query: Query,
        k: int,
        filters: Filters | None,
        mode: str | None = None,
    ) -> list[Passage]:
        how = Retrieval(
            mode=mode or self.settings.retrieval,
            fusion=self.settings.fusion,
            alpha=self.settings.fusion_alpha,
            year_boost=self.settings.year_boost,
        )
        return [make_passage(store, i, s) for i, s in search(store, query, k, filters, how)]

    def retrieve(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        history: Sequence[Message] = (),
        mode: str | None = None,
    ) -> list[Passage]:
        store = self.store()
        query = self._query(question, history)
        return self._passages(store, query, k or self.settings.k, filters, mode)

    def ask(
        self,
        question: str,
        history: Sequence[Message] = (),
        k: int | None = None,
        filters: Filters | None = None,
        mode: str | None = None,
    ) -> Answer:
        """The answer, plus what the person should know about their question itself: that
        only its beginning was used, or that a question in another script finds little in
        English documents."""
        answer = self._ask(question, history, k, filters, mode)
        notes = []
        if len(" ".join((question or "").split())) > self.settings.max_question_chars:
            notes.append(
                f"Only the first {self.settings.max_question_chars:,} characters of the "
                "question were used."
            )
        if answer.abstained and answer.passages and _mostly_non_latin(answer.question):
            notes.append(NOT_ENGLISH)
        if not notes:
            return answer
        return dataclasses.replace(answer, text=f"{answer.text}\n\n*{' '.join(notes)}*")

    def _ask(
        self,
        question: str,
        history: Sequence[Message],
        k: int | None,
        filters: Filters | None,
        mode: str | None,
    ) -> Answer:
        question = self.clean(question)
        if not any(ch.isalnum() for ch in question):
            return Answer(question, NOTHING_TO_SEARCH, True, ())
        store = self.store()
        periods = side_by_side(question, store) if filters is None else []
        theme = absence_theme(question)
        if periods and theme:  # "Does the 2025 statement mention climate change?"
            return self._compare(question, self._query(theme, ()), periods, k, mode, theme=theme)
        if periods:
            within = self._query(period_free(question), history)
            whole = self._query(question, history)
            return self._compare(question, within, periods, k, mode, across=whole)
        query = self._query(question, history)
        passages = self._passages(store, query, k or self.settings.k, filters, mode)
        return compose(question, query.vector, passages, store, self.policy)

    def clean(self, question: str) -> str:
        """Questions are untrusted input: no control characters, bounded length."""
        question = "".join(ch if ch.isprintable() else " " for ch in question or "")
        return " ".join(question.split())[: self.settings.max_question_chars]

    def compare(
        self, theme: str, periods: Sequence[Period] | None = None, k: int | None = None
    ) -> Answer:
        """Evidence for a theme per period, side by side (default: one period per year)."""
        theme = self.clean(theme)
        if not any(ch.isalnum() for ch in theme):
            return Answer(theme, NOTHING_TO_SEARCH, True, ())
        store = self.store()
        query = self._query(theme, ())
        return self._compare(theme, query, list(periods or default_periods(store)), k, None)

    def _compare(
        self,
        question: str,
        query: Query,
        periods: list[Period],
        k: int | None,
        mode: str | None,
        theme: str = "",
        across: Query | None = None,
    ) -> Answer:
        """``query`` searches each period; ``across``, when given, the commentary, which weighs
        periods against each other and so is found by the whole question, years included."""
        store = self.store()
        about = theme or question
        quoting = dataclasses.replace(
            self.policy, min_support=0.0, min_coverage=0.0, answer_types=False
        )
        findings = self._findings(store, query, periods, k, mode)
        # Presence is decided by find(); the quotes are the period's best sentences.
        answers = [compose(about, query.vector, list(f.passages), store, quoting) for f in findings]
        judging = self._judging()
        across = across or query
        commentary_passages = self._passages(store, across, 2, Filters(kinds=COMMENTARY), mode)
        commentary = compose(about, across.vector, commentary_passages, store, judging)
        return compose_comparison(
            question, findings, answers, commentary, bool(theme), unused_names(about, store)
        )

    def _judging(self) -> Policy:
        return dataclasses.replace(
            self.policy, min_coverage=min(self.policy.min_coverage, PRESENCE_COVERAGE)
        )

    def _findings(
        self,
        store: IndexStore,
        query: Query,
        periods: list[Period],
        k: int | None,
        mode: str | None,
    ) -> list[Finding]:
        """Each period's passages and whether they address ``query``, judged on what was
        searched: the question without its years and words of change, which no single
        period holds."""
        per_period = max(3, -(-(k or self.settings.k) // len(periods)))
        judging = self._judging()
        findings = []
        for period in periods:
            candidates = self._passages(store, query, 3 * per_period, period.filters, mode)
            passages = spread(candidates, per_period)
            findings.append(find(query.text, query.vector, passages, store, period, judging))
        return findings

    def themes(self, themes: tuple[tuple[str, str], ...] = DEFAULT_THEMES) -> ThemeMap:
        """The theme map of the current generation, computed once per generation and themes."""
        store = self.store()
        key = (store.generation, themes)
        with self._lock:
            cached = self._theme_maps.get(key)
        if cached is None:
            cached = build_map(store, self.embedder, themes, self.settings.abstain_below)
            with self._lock:
                self._theme_maps = {key: cached}  # older generations are not needed again
        return cached

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
