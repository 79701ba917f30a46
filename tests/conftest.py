"""Shared fixtures: the real model (loaded once per session), small real corpora, real indexes."""

from __future__ import annotations

import datetime
import importlib.util
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from c5qa.app.service import Service
from c5qa.index.embedding import Embedder
from c5qa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
EVAL = ROOT / "eval" / "questions.jsonl"
# Question sets besides EVAL, each written from the corpus alone without sight of the code:
# heldout (not tuned on), heldout2 (after the last tuning), heldout3 and heldout4 (development
# sets after one run), heldout5 (run once after the last rule) hold fact and off-corpus
# questions; heldout6, heldout7 and heldout8 hold questions of change over time, answerable
# (6, 7) or not (8); each became a development set after its first run.
MIXED_SETS = {
    name: ROOT / "eval" / f"{name}.jsonl"
    for name in ("heldout", *(f"heldout{n}" for n in range(2, 6)))
}
COMPARE_SETS = {
    name: ROOT / "eval" / f"{name}.jsonl" for name in ("heldout6", "heldout7", "heldout8")
}
SHARED = ROOT.parent / "shared"

KAZAKHSTAN = "2025-11-07_fact-sheet-a-new-era-in-us-kazakhstan-relations.txt"
NEW_YORK = "2023-09-21_c5plus1-new-york-declaration.txt"
SAMARKAND = "2015-11-01_c5plus1-samarkand-joint-declaration.txt"
TURKMENISTAN = "2025-11-07_fact-sheet-president-trump-deepens-ties-with-turkmenistan.txt"
# The New York Declaration's section headings, as printed.
NEW_YORK_HEADINGS = [
    "Resilience through Partnership",
    "Expanded Security Cooperation",
    "C5+1 Economic and Energy Corridor",
    "Enhancing Energy Security and Combating the Effects of Climate Change",
    "Partnership through People",
    "Towards A New Atmosphere of Partnership",
]

# Questions no front end may fail on: each gets a reply (an answer, an abstention or a request
# for a question), never an error.
BAD_QUESTIONS = (
    "",
    "   \t\n ",
    "\x00\x07\x1b[31m",
    "?!… ¿¡ —",
    "Leidos " + "x" * 100_000,
    "Which firm\x00 will upgrade\x1b Kazakhstan's air\u202e traffic system?",
    "Какие сделки заключил Казахстан?",
    "中亚五国峰会讨论了什么？",
    "Qozog'iston qanday kelishuvlar imzoladi?",
    "Қозоғистон қандай битимлар имзолади?",
)


# A two-page PDF whose second sentence runs across the page break (the reader's test, #17).
CHARDARA_PAGES = (
    "The basin water committee inspected the Chardara reservoir in June. The committee agreed "
    "that the Chardara reservoir spillway gates",
    "need new hoists before the spring floods arrive. Repairs of the Shardara dam crest start "
    "in August.",
)
CHARDARA_CROSSING = (
    "The committee agreed that the Chardara reservoir spillway gates need new hoists before the "
    "spring floods arrive."
)


def chardara_pdf(path: Path) -> Path:
    """Write the two-page PDF of ``CHARDARA_PAGES`` (fpdf2, Helvetica) to ``path``."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.set_title("Chardara reservoir inspection report")
    pdf.set_creation_date(datetime.datetime(2024, 3, 5, tzinfo=datetime.UTC))
    for text in CHARDARA_PAGES:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def bench_script(name: str) -> ModuleType:
    """A script of bench/ loaded as the command runs it (bench/ is no package of c5qa)."""
    path = Path(__file__).resolve().parents[1] / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def shared_path(*parts: str) -> Path:
    """A path in ../shared: a failure under CI (it must be there), a stated skip elsewhere."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f"{path} is missing (../shared is laid beside the project on dev machines and CI)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="session")
def corpus_service(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Service:
    """The whole seed corpus, indexed once for the session (read-only for tests)."""
    index_dir = tmp_path_factory.mktemp("index-full")
    service = Service(Settings(corpus_dir=CORPUS, index_dir=index_dir), embedder)
    service.index(on_notice=lambda message: None)
    return service


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """A writable corpus of four real documents."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (KAZAKHSTAN, NEW_YORK, SAMARKAND, TURKMENISTAN):
        shutil.copy(CORPUS / name, corpus / name)
    return corpus


@pytest.fixture
def small_service(small_corpus: Path, tmp_path: Path, embedder: Embedder) -> Service:
    settings = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "index")
    return Service(settings, embedder)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """For tests that call ``logs.configure``: the root logger as it was, afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    ours = logging.getLogger("c5qa").level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.getLogger("c5qa").setLevel(ours)


@pytest.fixture(scope="session")
def llm_url() -> Iterator[str]:
    """A real OpenAI-compatible server on loopback (llama.cpp's, Gemma 3 270M), for the
    written answers' tests; its base URL."""
    from c5qa.measure import llm_server
    from c5qa.measure.loadtest import free_port

    port = free_port()
    server = llm_server.start(port)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.terminate()
        server.wait(20)
