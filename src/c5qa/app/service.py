"""The one facade the faces use: index, ask, retrieve, compare, themes, status. It hands each
request to the stage objects (the library of index generations, the searcher, question
analysis, the answerers) and never touches FAISS or the model itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from c5qa.answer.answerer import NOT_ENGLISH, NOTHING_TO_SEARCH, Answerer
from c5qa.answer.diff import Compared, compared, diff
from c5qa.answer.reader import Cited, Reading, cited_from, read
from c5qa.answer.themes import DEFAULT_THEMES, ThemeMap, ThemeMaps, parse_themes
from c5qa.answer.types import Answer
from c5qa.answer.verify import Verifier
from c5qa.answer.written import Draft, messages, write
from c5qa.app.library import DocumentRow, Library, Status
from c5qa.app.llm import LanguageModel, LlmUnavailable
from c5qa.index.embedding import Embedder, Encoder
from c5qa.index.onnx_encoder import OnnxEncoder, current, export_path, write_stamp
from c5qa.index.store import IndexProblem, IndexReport, IndexStore
from c5qa.ingest.chunking import Span
from c5qa.ingest.pages import PageImage, render_page
from c5qa.query.analysis import Corpus, Question, analyze
from c5qa.query.request import BadRequest, Filters, Message, Period, Request
from c5qa.query.sides import side
from c5qa.retrieve.search import Passage
from c5qa.retrieve.searcher import Searcher
from c5qa.settings import Settings

# What the faces need of the layers below, so that they import the service alone.
__all__ = [
    "NOTHING_TO_SEARCH",
    "NOT_ENGLISH",
    "Cited",
    "DocumentRow",
    "Draft",
    "IndexProblem",
    "IndexReport",
    "PageImage",
    "Reading",
    "Service",
    "Status",
    "cited_from",
]


class Service:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._encoder: Encoder | None = None
        self._lock = threading.Lock()
        self._encoder_lock = threading.Lock()  # apart: making the encoder loads the embedder
        self._theme_maps = ThemeMaps()
        self.library = Library(settings, lambda: self.embedder)
        self.searcher = Searcher(settings, lambda: self.encoder)
        self.answerer = Answerer(self.searcher)

    @property
    def embedder(self) -> Embedder:
        """The model in torch, for indexing, loaded on first use: an update with nothing to
        encode never loads it."""
        with self._lock:
            if self._embedder is None:
                s = self.settings
                self._embedder = Embedder(s.model, s.batch_size, s.threads, s.encode_precision)
            return self._embedder

    @property
    def encoder(self) -> Encoder:
        """The model for questions, without torch: its ONNX export (``onnx_encoder``), made
        once from the model (the only time a question loads torch) and reused while the
        model's files are unchanged."""
        with self._encoder_lock:
            if self._encoder is None:
                s = self.settings
                path = export_path(s.encoder_dir, s.model)
                if not current(path, s.model):
                    self.embedder.export_onnx(path)
                    write_stamp(path, s.model)
                self._encoder = OnnxEncoder(path, s.model, s.threads, s.batch_size)
            return self._encoder

    def warm(self) -> None:
        """Load the question encoder and the index now, so the first question waits for
        neither."""
        self.encoder.encode_query("warm")
        self.store()

    @property
    def warmed(self) -> bool:
        """Whether the encoder and an index generation are loaded (``warm`` has nothing to
        do)."""
        return self._encoder is not None and self.library.loaded

    def store(self) -> IndexStore:
        return self.library.store()

    def has_index(self) -> bool:
        return self.library.has_index()

    def index(
        self,
        progress: bool = False,
        wait: float = 0,
        on_notice: Callable[[str], None] | None = None,
    ) -> IndexReport:
        return self.library.update(progress, wait, on_notice)

    def add_documents(
        self, files: Sequence[tuple[Path, str]], progress: bool = False
    ) -> tuple[list[tuple[str, str, str]], IndexReport]:
        return self.library.add(files, progress)

    def status(self) -> Status:
        return self.library.status()

    def documents(self) -> list[DocumentRow]:
        return self.library.documents()

    def analyze(self, question: str, history: Sequence[Message] = ()) -> Question:
        return self._read(question, history, self.library.current()[1])

    def _read(self, question: str, history: Sequence[Message], corpus: Corpus) -> Question:
        limits = self.settings
        return analyze(
            question, history, corpus, limits.max_question_chars, limits.max_named_documents
        )

    def retrieve(
        self,
        question: object,
        k: object = None,
        filters: Filters | None = None,
        history: object = (),
        mode: str | None = None,
    ) -> list[Passage]:
        request = Request.of(self.settings, question, history, k, filters, mode)
        store, corpus = self.library.current()  # one generation for the whole request
        asked = self._read(request.question, request.history, corpus)
        query = self.searcher.query(asked.asks, asked.previous)
        return self.searcher.passages(store, query, request.k, request.filters, request.mode)

    def ask(
        self,
        question: object,
        history: object = (),
        k: object = None,
        filters: Filters | None = None,
        mode: str | None = None,
    ) -> Answer:
        return self._answer(Request.of(self.settings, question, history, k, filters, mode))

    def _answer(self, request: Request) -> Answer:
        store, corpus = self.library.current()
        asked = self._read(request.question, request.history, corpus)
        return self.answerer.answer(asked, request, store, corpus)

    def write(
        self,
        question: object,
        history: object = (),
        k: object = None,
        filters: Filters | None = None,
        mode: str | None = None,
    ) -> Iterator[Draft]:
        """A written answer as the language model writes it (``llm_url``), each sentence
        verified as it ends; the last draft is final. The extractive answer comes instead,
        with a one-line note, when it abstains (nothing to write from), when the model cannot
        be reached, or when nothing it wrote is supported."""
        request = Request.of(self.settings, question, history, k, filters, mode)
        extractive = self._answer(request)
        if extractive.abstained:
            yield Draft(extractive, done=True)
            return
        verifier = Verifier(self.encoder, self.settings)
        try:
            model = LanguageModel(self.settings)
            chat = messages(request.question, request.history, extractive)
            yield from write(extractive, model.stream(chat), verifier, model.name)
        except LlmUnavailable as exc:
            note = f"The written answer is unavailable: {exc}; these are the quotes."
            yield Draft(replace(extractive, notes=(*extractive.notes, note)), done=True)

    def compare(
        self, theme: str, periods: Sequence[Period] | None = None, k: object = None
    ) -> Answer:
        """Evidence for a theme per period, side by side (default: one period per year)."""
        request = Request.of(self.settings, theme, (), k)
        store, corpus = self.library.current()
        asked = self._read(request.question, (), corpus)
        return self.answerer.themed(asked, list(periods or corpus.periods()), store, request.k)

    def diff(self, a: str, b: str, theme: str = "", per_topic: int = 1) -> Compared:
        """What changed from side ``a`` to side ``b`` (periods or documents: query/sides.py),
        on one ``theme`` ("water", "ports=port infrastructure") when one is given, with
        ``per_topic`` quotes of each side per topic."""
        store, corpus = self.library.current()
        limit = self.settings.max_named_documents
        first, second = side(a, corpus, limit), side(b, corpus, limit)
        themes = parse_themes(theme, self.settings.max_themes)
        if len(themes) > 1:
            raise BadRequest(f"a diff takes one theme, not {len(themes)}")
        narrowed = themes[0] if themes else None
        result = diff(first, second, store, self.encoder.encode, self.settings, narrowed)
        return compared(result, store, self.settings.diff_topics, per_topic=per_topic)

    def themes(self, themes: tuple[tuple[str, str], ...] = DEFAULT_THEMES) -> ThemeMap:
        """How strongly each document speaks to each theme (present at ``theme_presence``)."""
        s = self.settings
        return self._theme_maps.get(
            self.store(), self.encoder, themes, s.theme_presence, s.counterpart_lexical_weight
        )

    def read(self, source: str, cited: Sequence[Cited] = (), passage: Span = (0, 0)) -> Reading:
        """Document ``source`` opened at the quotes ``cited`` from ``passage`` (the reader)."""
        return read(self.store(), source, cited, passage)

    def page(self, reading: Reading, number: int) -> PageImage:
        """Page ``number`` of a PDF being read, as a picture with its marked text boxed."""
        path = self.original(reading.source)
        return render_page(path, number, reading.on_page(number), self.settings.reader_scale)

    def original(self, source: str) -> Path:
        """The corpus file of an indexed document; refused for anything else (a name that
        leaves the corpus, a document no longer indexed or no longer on disk)."""
        corpus = self.settings.corpus_dir.resolve()
        path = (corpus / source).resolve()
        if source not in self.store().documents or not path.is_relative_to(corpus):
            raise BadRequest(f"no document {source!r} in the index")
        if not path.is_file():
            raise BadRequest(f"{source} is no longer in the corpus")
        return path
