"""The Gradio web chat, its Documents tab and its HTTP API (``/ask``, ``/retrieve``,
``/upload``), all on top of ``Service``."""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gradio as gr

from c5qa.answer.compare import parse_periods
from c5qa.answer.render import escape_markdown, format_answer, format_source
from c5qa.answer.themes import DEFAULT_THEMES, ThemeMap, parse_themes, short_label
from c5qa.answer.themes import figure as map_figure
from c5qa.answer.themes import table as map_table
from c5qa.app.auth import authenticator, load_users
from c5qa.app.logs import configure, event
from c5qa.app.service import Service
from c5qa.index.store import IndexProblem, current_generation
from c5qa.retrieve.search import Filters
from c5qa.settings import Settings

EXAMPLES = [
    "What changed between the 2023 New York Declaration and the 2025 summit?",
    "Which firm will upgrade Kazakhstan's air traffic management system?",
    "What is the C5+1 Critical Minerals Dialogue?",
    "What did the 2015 Samarkand declaration say about Afghanistan?",
]

INTRO = (
    "## C5+1 assistant\n"
    "Questions about the C5+1 — the United States with Kazakhstan, Kyrgyzstan, Tajikistan, "
    "Turkmenistan and Uzbekistan. Every sentence of an answer is quoted from a document of the "
    "corpus and marked **[n]**; open source *[n]* below the answer to read the passage, with the "
    "quoted sentences in bold."
)

UPLOAD_TYPES = [".pdf", ".txt", ".md", ".html", ".htm"]
FAILED = "Something went wrong while answering; it has been logged. Please try again."

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def upload_allowed(settings: Settings) -> bool:
    """Uploads write into the corpus: only when enabled, and never for an exposed app
    without auth."""
    return settings.upload and (is_loopback(settings.host) or bool(load_users(settings)))


def make_filters(
    sources: list[str] | str | None = None, date_from: str = "", date_to: str = ""
) -> Filters | None:
    sources = [sources] if isinstance(sources, str) else list(sources or [])
    filters = Filters(tuple(sources), (date_from or "").strip(), (date_to or "").strip())
    return filters or None


def _filters_from_json(value: dict | None) -> Filters | None:
    if not value:
        return None
    if not isinstance(value, dict):
        raise ValueError("filters must be an object with sources, date_from and date_to")
    return make_filters(value.get("sources"), value.get("date_from", ""), value.get("date_to", ""))


def filter_note(filters: Filters | None) -> str:
    """Say when an answer comes from part of the corpus only."""
    if not filters:
        return ""
    parts = []
    if filters.sources:
        count = len(filters.sources)
        parts.append(f"{count} chosen document{'s' if count > 1 else ''}")
    if filters.date_from or filters.date_to:
        parts.append(f"dated {filters.date_from or '…'} to {filters.date_to or '…'}")
    return f"*Searched only {' and '.join(parts)}.*\n\n"


def _document_rows(service: Service) -> list[list[Any]]:
    store = service.store()
    counts = store.manifest.get("documents", {})
    docs = sorted(store.documents.values(), key=lambda d: (d.date or "9999", d.source))
    return [
        [
            d.title,
            d.publisher,
            d.date,
            d.kind,
            "yes" if d.partial else "",
            counts[d.source]["chunks"],
            d.source,
        ]
        for d in docs
    ]


def _status(service: Service) -> str:
    try:
        status = service.status()
    except IndexProblem as exc:
        return f"**Index:** {escape_markdown(str(exc))}"
    failed = f" · {len(status.failed)} files skipped" if status.failed else ""
    return (
        f"**Index:** {status.documents} documents · {status.chunks} chunks{failed} · "
        f"model `{status.model}` · built {status.created} (`{status.generation}`)"
    )


def _failed_rows(service: Service) -> list[list[str]]:
    try:
        return [[f["source"], f["error"]] for f in service.status().failed]
    except IndexProblem:
        return []


MAX_K = 50


def _bounded_k(k: Any) -> int:
    """API callers choose how many passages they want, within reason."""
    try:
        return min(max(int(k), 1), MAX_K)
    except (TypeError, ValueError):
        raise gr.Error(f"k must be a whole number from 1 to {MAX_K}") from None


def _text(question: Any) -> None:
    if question is not None and not isinstance(question, str):
        raise ValueError("the question must be text")


@contextmanager
def _api_errors(name: str) -> Iterator[None]:
    """An API caller gets one clear line, never a traceback; the maintainer gets the trace."""
    try:
        yield
    except gr.Error:
        raise
    except (IndexProblem, ValueError) as exc:
        event(log, logging.WARNING, f"{name}.refused", error=str(exc))
        raise gr.Error(str(exc)) from None
    except Exception:
        log.exception(f"{name}.failed")
        raise gr.Error(FAILED) from None


def _log_answer(via: str, answer: Any, started: float) -> None:
    event(
        log,
        logging.DEBUG,
        "answer",
        via=via,
        chars=len(answer.question),
        abstained=answer.abstained,
        passages=len(answer.passages),
        ms=round((time.perf_counter() - started) * 1000, 1),
    )


def build_app(service: Service) -> gr.Blocks:
    settings = service.settings
    can_upload = upload_allowed(settings)

    def choices() -> list[tuple[str, str]]:
        try:
            return [(f"{row[2]} · {row[0]}", row[6]) for row in _document_rows(service)]
        except IndexProblem:
            return []

    def respond(
        message: str,
        history: list[dict],
        sources: list[str] | None,
        date_from: str,
        date_to: str,
        periods: str = "",
    ) -> Iterator[list[gr.ChatMessage]]:
        question = (message or "").strip()  # the service cuts it to length, and says so
        if not question:
            yield [gr.ChatMessage(role="assistant", content="Please type a question.")]
            return
        filters = make_filters(sources, date_from, date_to)
        started = time.perf_counter()
        try:
            if (periods or "").strip():  # an explicit side-by-side comparison of a theme
                chosen = None if periods.strip() == "all" else parse_periods(periods)
                filters = None
                answer = service.compare(question, chosen)
            else:
                answer = service.ask(question, history=history, filters=filters)
        except (IndexProblem, ValueError) as exc:
            event(log, logging.WARNING, "chat.refused", error=str(exc))
            yield [gr.ChatMessage(role="assistant", content=escape_markdown(str(exc)))]
            return
        except Exception:
            log.exception("chat.failed", extra={"fields": {"chars": len(question)}})
            yield [gr.ChatMessage(role="assistant", content=FAILED)]
            return
        _log_answer("chat", answer, started)
        text = filter_note(filters) + format_answer(answer)
        words = text.split(" ")
        step = max(1, len(words) // 12)
        for i in range(step, len(words) + step, step):  # stream the answer as it is "spoken"
            yield [gr.ChatMessage(role="assistant", content=" ".join(words[:i]))]
        sources_messages = []
        for n in range(1, len(answer.passages) + 1):
            title, body = format_source(answer, n)
            sources_messages.append(
                gr.ChatMessage(
                    role="assistant", content=body, metadata={"title": title, "status": "done"}
                )
            )
        yield [gr.ChatMessage(role="assistant", content=text), *sources_messages]

    def ask(
        question: str, history: list[dict] | None = None, k: int = 5, filters: dict | None = None
    ) -> dict[str, Any]:
        """The same JSON object as `c5qa ask --json`."""
        started = time.perf_counter()
        with _api_errors("api.ask"):
            _text(question)
            answer = service.ask(
                question or "",
                history=history or (),
                k=_bounded_k(k),
                filters=_filters_from_json(filters),
            )
        _log_answer("api", answer, started)
        return answer.to_json()

    def retrieve(question: str, k: int = 5, filters: dict | None = None) -> list[dict[str, Any]]:
        """Ranked passages with full citation data."""
        with _api_errors("api.retrieve"):
            _text(question)
            passages = service.retrieve(
                service.clean(question or ""), k=_bounded_k(k), filters=_filters_from_json(filters)
            )
        return [p.to_json(n) for n, p in enumerate(passages, start=1)]

    def add_files(files: list[str] | None, progress=gr.Progress(track_tqdm=True)):  # noqa: B008
        if not can_upload:
            raise gr.Error("Uploading is switched off for this server.")
        if not files:
            raise gr.Error("Choose one or more PDF, .txt, .md or .html files first.")
        progress(0, desc="Saving and indexing")
        results, _ = service.add_documents([(Path(f), Path(f).name) for f in files], progress=True)
        return (
            [list(row) for row in results],
            _status(service),
            _document_rows(service),
            _failed_rows(service),
            gr.Dropdown(choices=choices()),
        )

    def current_map(text: str) -> ThemeMap:
        return service.themes(parse_themes(text) or DEFAULT_THEMES)

    def draw_map(text: str):
        import pandas as pd

        theme_map = current_map(text)
        columns = ["theme", *(short_label(d, t, 24) for _, d, t in theme_map.documents)]
        frame = pd.DataFrame(map_table(theme_map), columns=columns)
        styled = frame.style.background_gradient(
            cmap="YlGnBu", vmin=0.1, vmax=0.8, subset=columns[1:]
        ).format(precision=2)
        return map_figure(theme_map), styled

    def show_cell(text: str, event: gr.SelectData) -> str:
        row, col = event.index
        theme_map = current_map(text)
        if col == 0:
            return ""
        cell = theme_map.cells[row][col - 1]
        _, date, title = theme_map.documents[col - 1]
        verdict = "present" if cell.score >= theme_map.threshold else "not addressed"
        quote = escape_markdown(cell.sentence) if cell.sentence else "(no text)"
        return (
            f"**{escape_markdown(theme_map.themes[row])}** in *{escape_markdown(title)}* "
            f"({date}) — {verdict}, score {cell.score:.2f}\n\n> {quote}\n\n"
            f"`{cell.source}`"
        )

    def refresh():
        return (
            _status(service),
            _document_rows(service),
            _failed_rows(service),
            gr.Dropdown(choices=choices()),
        )

    with gr.Blocks(title="C5+1 assistant", fill_height=True) as app:
        gr.Markdown(INTRO)
        with gr.Tab("Ask"), gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=240):
                gr.Markdown("**Search only in…**")
                sources = gr.Dropdown(
                    choices=choices(),
                    multiselect=True,
                    label="documents",
                    info="all documents when empty",
                )
                date_from = gr.Textbox(label="from date", placeholder="e.g. 2023 or 2023-09")
                date_to = gr.Textbox(label="to date", placeholder="e.g. 2025-11")
                gr.Markdown("**Compare across time**")
                periods = gr.Textbox(
                    label="periods",
                    placeholder="e.g. 2015-2022, 2023, 2025",
                    info="when set, the question is taken as a theme and answered per "
                    "period, side by side (all: one period per year)",
                )
            with gr.Column(scale=4):
                gr.ChatInterface(
                    respond,
                    chatbot=gr.Chatbot(
                        label="Conversation",
                        height=600,
                        sanitize_html=True,
                        placeholder="Ask a question about the C5+1.",
                    ),
                    additional_inputs=[sources, date_from, date_to, periods],
                    examples=[[q, [], "", "", ""] for q in EXAMPLES],
                    api_name="chat",
                    fill_height=True,
                )
        with gr.Tab("Documents"):
            status = gr.Markdown(_status(service))
            table = gr.Dataframe(
                value=_document_rows(service),
                headers=["title", "publisher", "date", "kind", "partial", "chunks", "file"],
                interactive=False,
                wrap=True,
                label="Corpus",
            )
            failed = gr.Dataframe(
                value=_failed_rows(service),
                headers=["file", "skipped because"],
                interactive=False,
                label="Files that could not be indexed",
            )
            gr.Markdown(
                "**Add documents** (PDF, .txt, .md, .html)"
                + (
                    ""
                    if can_upload
                    else " — uploading is switched off for this server "
                    "(set `C5QA_UPLOAD=true` on a local or password-protected server)."
                )
            )
            files = gr.File(
                file_count="multiple",
                file_types=UPLOAD_TYPES,
                interactive=can_upload,
                label="files",
            )
            add = gr.Button("Add to the corpus and index", interactive=can_upload)
            results = gr.Dataframe(
                headers=["uploaded", "saved as", "result"],
                interactive=False,
                label="Upload results",
            )
            add.click(
                add_files,
                inputs=files,
                outputs=[results, status, table, failed, sources],
                api_name="upload",
                concurrency_limit=1,
            )
        with gr.Tab("Themes"):
            gr.Markdown(
                "How strongly each document, oldest first, speaks to each theme: the best "
                "matching sentence's similarity (bold in the picture: at or above the answer "
                "threshold, i.e. present). Select a cell of the table to read its evidence."
            )
            theme_text = gr.Textbox(
                label="themes (comma-separated; `label=search words` allowed)",
                value=", ".join(label for label, _ in DEFAULT_THEMES),
            )
            plot = gr.Plot(label="theme map")
            heat = gr.Dataframe(interactive=False, label="scores (select a cell)", wrap=True)
            cell_evidence = gr.Markdown()
            theme_text.submit(draw_map, theme_text, [plot, heat])
            heat.select(show_cell, theme_text, cell_evidence)
        app.load(refresh, outputs=[status, table, failed, sources], api_visibility="private")
        app.load(draw_map, theme_text, [plot, heat], api_visibility="private")
        gr.api(ask, api_name="ask")
        gr.api(retrieve, api_name="retrieve")
    return app


def launch(app: gr.Blocks, settings: Settings, **kwargs: Any) -> None:
    """Serve with deliberate limits: ``concurrency`` requests of each event run at once (the
    rest wait in order), at most ``queue_size`` wait (more are refused at once), uploads are
    capped at ``max_file_mb`` and, off loopback, everyone signs in."""
    app.queue(default_concurrency_limit=settings.concurrency, max_size=settings.queue_size)
    app.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=authenticator(settings),
        max_file_size=int(settings.max_file_mb * 1e6),
        footer_links=["api"],
        **kwargs,
    )


def check_exposure(settings: Settings, insecure: bool = False) -> None:
    """Refuse to listen beyond this machine without a password, unless told so explicitly."""
    try:
        users = load_users(settings)
    except ValueError as exc:
        raise SystemExit(f"c5qa serve: {exc}") from None
    if not is_loopback(settings.host) and not users and not insecure:
        raise SystemExit(
            f"c5qa serve: refusing to serve on {settings.host} without auth; set "
            "C5QA_AUTH=user:password or C5QA_AUTH_FILE (lines made by `c5qa passwd USER`), "
            "or pass --insecure if this is really meant"
        )


def serve(settings: Settings, insecure: bool = False) -> None:
    """Serve the chat with the index up to date. With an index already there, the update (and
    the model load it needs) runs beside the server's start-up, so the first answer comes
    sooner; a new generation is picked up by the running chat when it is committed."""
    configure(settings)
    check_exposure(settings, insecure)
    settings = settings.replace(threads=settings.threads or 1)
    event(
        log,
        logging.INFO,
        "serve.start",
        host=settings.host,
        port=settings.port,
        auth=bool(load_users(settings)),
        upload=upload_allowed(settings),
        concurrency=settings.concurrency,
        queue_size=settings.queue_size,
        threads=settings.threads,
    )
    service = Service(settings)

    def update() -> None:
        try:
            service.index(progress=True, wait=60)
            service.warm()  # an update with nothing to encode does not load the model
        except IndexProblem as exc:  # the chat still serves the generation it has
            event(log, logging.ERROR, "index.failed", error=str(exc))

    if current_generation(settings.index_dir) is None:
        update()
    else:
        threading.Thread(target=update, name="index-update", daemon=True).start()
    launch(build_app(service), settings)
