"""The Gradio web chat, its Documents tab and its HTTP API (``/ask``, ``/retrieve``,
``/upload``), all on top of ``Service``.

Every handler is a module-level function that takes the service (and any setting it needs)
first, so it can be read and tested on its own; ``build_app`` only lays out the components
and binds the handlers to its service.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gradio as gr

from c5qa.answer.render import chat_markdown, escape_markdown, passage_json, source_card, to_json
from c5qa.answer.themes import DEFAULT_THEMES, ThemeMap, parse_themes, short_label
from c5qa.answer.themes import figure as map_figure
from c5qa.answer.themes import table as map_table
from c5qa.app.auth import authenticator, load_users
from c5qa.app.logs import configure, event
from c5qa.app.service import IndexProblem, Service
from c5qa.query.request import Filters, parse_periods
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
DOCUMENT_HEADERS = ["title", "publisher", "date", "kind", "partial", "chunks", "file"]

log = logging.getLogger(__name__)


# --- policy -----------------------------------------------------------------------------------


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


def filter_note(filters: Filters | None) -> str:
    """Say when an answer comes from part of the corpus only ("" when it comes from all)."""
    if not filters:
        return ""
    parts = []
    if filters.sources:
        count = len(filters.sources)
        parts.append(f"{count} chosen document{'s' if count > 1 else ''}")
    if filters.date_from or filters.date_to:
        parts.append(f"dated {filters.date_from or '…'} to {filters.date_to or '…'}")
    return f"*Searched only {' and '.join(parts)}.*"


# --- the Documents tab ------------------------------------------------------------------------


def document_rows(service: Service) -> list[list[Any]]:
    """The corpus table, one row per document, in ``DOCUMENT_HEADERS`` order."""
    return [
        [d.title, d.publisher, d.date, d.kind, "yes" if d.partial else "", d.chunks, d.source]
        for d in service.documents()
    ]


def status_line(service: Service) -> str:
    try:
        status = service.status()
    except IndexProblem as exc:
        return f"**Index:** {escape_markdown(str(exc))}"
    failed = f" · {len(status.failed)} files skipped" if status.failed else ""
    return (
        f"**Index:** {status.documents} documents · {status.chunks} chunks{failed} · "
        f"model `{status.model}` · built {status.created} (`{status.generation}`)"
    )


def failed_rows(service: Service) -> list[list[str]]:
    try:
        return [[f["source"], f["error"]] for f in service.status().failed]
    except IndexProblem:
        return []


def source_choices(service: Service) -> list[tuple[str, str]]:
    """(label, corpus file) for the source picker; none while there is no index."""
    try:
        return [(f"{d.date} · {d.title}", d.source) for d in service.documents()]
    except IndexProblem:
        return []


def refresh(service: Service) -> tuple[Any, ...]:
    """Status, corpus table, skipped files and source picker as the index now stands."""
    return (
        status_line(service),
        document_rows(service),
        failed_rows(service),
        gr.Dropdown(choices=source_choices(service)),
    )


def add_files(
    service: Service,
    allowed: bool,
    files: list[str] | None,
    progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008
) -> tuple[Any, ...]:
    """Save uploaded files into the corpus and index them; the upload results, then what
    ``refresh`` returns."""
    if not allowed:
        raise gr.Error("Uploading is switched off for this server.")
    if not files:
        raise gr.Error("Choose one or more PDF, .txt, .md or .html files first.")
    progress(0, desc="Saving and indexing")
    results, _ = service.add_documents([(Path(f), Path(f).name) for f in files], progress=True)
    return ([list(row) for row in results], *refresh(service))


# --- the chat ---------------------------------------------------------------------------------


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


def _chat_answer(
    service: Service, question: str, history: list[dict], filters: Filters | None, periods: str
) -> tuple[Any, Filters | None]:
    """The answer and the filters it honoured: with periods, an explicit side-by-side
    comparison of a theme over the whole corpus ("all": one period per year)."""
    periods = (periods or "").strip()
    if not periods:
        return service.ask(question, history=history, filters=filters), filters
    chosen = None if periods == "all" else parse_periods(periods)
    return service.compare(question, chosen), None


def _source_messages(answer: Any) -> list[gr.ChatMessage]:
    """One folded message per passage, titled "[n] …", with the quoted sentences in bold."""
    messages = []
    for n in range(1, len(answer.passages) + 1):
        title, body = source_card(answer, n)
        metadata = {"title": title, "status": "done"}
        messages.append(gr.ChatMessage(role="assistant", content=body, metadata=metadata))
    return messages


def respond(
    service: Service,
    message: str,
    history: list[dict],
    sources: list[str] | None,
    date_from: str,
    date_to: str,
    periods: str = "",
) -> Iterator[list[gr.ChatMessage]]:
    """The chat's reply: the answer streamed a few words at a time, then the answer with
    its sources. A refused request gets its reason; a failure, ``FAILED`` (and a log entry)."""
    question = (message or "").strip()  # the service cuts it to length, and says so
    if not question:
        yield [gr.ChatMessage(role="assistant", content="Please type a question.")]
        return
    started = time.perf_counter()
    try:
        filters = Filters.chosen(sources, date_from, date_to)
        answer, filters = _chat_answer(service, question, history, filters, periods)
    except (IndexProblem, ValueError) as exc:
        event(log, logging.WARNING, "chat.refused", error=str(exc))
        yield [gr.ChatMessage(role="assistant", content=escape_markdown(str(exc)))]
        return
    except Exception:
        log.exception("chat.failed", extra={"fields": {"chars": len(question)}})
        yield [gr.ChatMessage(role="assistant", content=FAILED)]
        return
    _log_answer("chat", answer, started)
    text = chat_markdown(answer, before=filter_note(filters))
    words = text.split(" ")
    step = max(1, len(words) // 12)
    for i in range(step, len(words) + step, step):  # stream the answer as it is "spoken"
        yield [gr.ChatMessage(role="assistant", content=" ".join(words[:i]))]
    yield [gr.ChatMessage(role="assistant", content=text), *_source_messages(answer)]


# --- the HTTP API -----------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


@contextmanager
def _api_errors(name: str) -> Iterator[None]:
    """An API caller gets one clear line, never a traceback; the maintainer gets the trace."""
    try:
        yield
    except gr.Error:
        raise
    except (IndexProblem, ValueError) as exc:  # BadRequest is a ValueError
        event(log, logging.WARNING, f"{name}.refused", error=str(exc))
        raise gr.Error(_one_line(exc)) from None
    except Exception:
        log.exception(f"{name}.failed")
        raise gr.Error(FAILED) from None


def ask_api(
    service: Service,
    question: Any,
    history: Any = None,
    k: Any = None,
    filters: Any = None,
) -> dict[str, Any]:
    """``/ask``: the same JSON object as ``c5qa ask --json``. The service checks the request
    (text question, list of messages, ``k`` a whole number in 1..``max_k``) and the caller
    gets its refusal as one line."""
    started = time.perf_counter()
    with _api_errors("api.ask"):
        chosen = Filters.from_json(filters)
        answer = service.ask(question, history=history or (), k=k, filters=chosen)
    _log_answer("api", answer, started)
    return to_json(answer)


def retrieve_api(
    service: Service, question: Any, k: Any = None, filters: Any = None
) -> list[dict[str, Any]]:
    """``/retrieve``: ranked passages with full citation data, checked as ``ask_api``'s."""
    with _api_errors("api.retrieve"):
        passages = service.retrieve(question, k=k, filters=Filters.from_json(filters))
    return [passage_json(p, n) for n, p in enumerate(passages, start=1)]


# --- the Themes tab ---------------------------------------------------------------------------


def theme_map(service: Service, text: str) -> ThemeMap:
    return service.themes(parse_themes(text) or DEFAULT_THEMES)


def draw_map(service: Service, text: str) -> tuple[Any, Any]:
    """The theme map as a picture and as a coloured table of scores."""
    import pandas as pd

    themes = theme_map(service, text)
    columns = ["theme", *(short_label(d, t, 24) for _, d, t in themes.documents)]
    frame = pd.DataFrame(map_table(themes), columns=columns)
    styled = frame.style.background_gradient(
        cmap="YlGnBu", vmin=0.1, vmax=0.8, subset=columns[1:]
    ).format(precision=2)
    return map_figure(themes), styled


def show_cell(service: Service, text: str, event: gr.SelectData) -> str:
    """The evidence behind the selected cell of the score table."""
    row, col = event.index
    if col == 0:
        return ""
    themes = theme_map(service, text)
    cell = themes.cells[row][col - 1]
    _, date, title = themes.documents[col - 1]
    verdict = "present" if cell.score >= themes.threshold else "not addressed"
    quote = escape_markdown(cell.sentence) if cell.sentence else "(no text)"
    return (
        f"**{escape_markdown(themes.themes[row])}** in *{escape_markdown(title)}* "
        f"({date}) — {verdict}, score {cell.score:.2f}\n\n> {quote}\n\n"
        f"`{cell.source}`"
    )


# --- layout -----------------------------------------------------------------------------------


def _bind(handler: Callable[..., Any], *first: Any) -> functools.partial:
    """``handler`` with its first arguments given, for an event listener. Gradio reads the
    rest of the signature (defaults such as ``gr.Progress`` included) to map inputs and names
    the endpoint after ``__name__``, which a bare partial lacks. It would also show the
    partial's ``__doc__`` (the ``functools.partial`` class's) as the endpoint's description
    on the API page: the handlers' docstrings are for readers, so there is none."""
    bound = functools.partial(handler, *first)
    bound.__name__ = handler.__name__  # type: ignore[attr-defined]
    bound.__doc__ = None
    return bound


def _ask_tab(service: Service) -> gr.Dropdown:
    """The chat and its search limits; returns the source picker (uploads refresh it)."""
    with gr.Tab("Ask"), gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=240):
            gr.Markdown("**Search only in…**")
            sources = gr.Dropdown(
                choices=source_choices(service),
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
                _bind(respond, service),
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
    return sources


def _documents_tab(service: Service, sources: gr.Dropdown) -> list[Any]:
    """The corpus, skipped files and uploads; returns what ``refresh`` fills."""
    can_upload = upload_allowed(service.settings)
    with gr.Tab("Documents"):
        status = gr.Markdown(status_line(service))
        table = gr.Dataframe(
            value=document_rows(service),
            headers=DOCUMENT_HEADERS,
            interactive=False,
            wrap=True,
            label="Corpus",
        )
        failed = gr.Dataframe(
            value=failed_rows(service),
            headers=["file", "skipped because"],
            interactive=False,
            label="Files that could not be indexed",
        )
        switched_off = (
            " — uploading is switched off for this server "
            "(set `C5QA_UPLOAD=true` on a local or password-protected server)."
        )
        heading = "**Add documents** (PDF, .txt, .md, .html)"
        gr.Markdown(heading + ("" if can_upload else switched_off))
        files = gr.File(
            file_count="multiple", file_types=UPLOAD_TYPES, interactive=can_upload, label="files"
        )
        add = gr.Button("Add to the corpus and index", interactive=can_upload)
        results = gr.Dataframe(
            headers=["uploaded", "saved as", "result"], interactive=False, label="Upload results"
        )
        shown = [status, table, failed, sources]
        add.click(
            _bind(add_files, service, can_upload),
            inputs=files,
            outputs=[results, *shown],
            api_name="upload",
            concurrency_limit=1,
        )
    return shown


def _themes_tab(service: Service) -> tuple[gr.Textbox, list[Any]]:
    """The theme map; returns its themes box and what ``draw_map`` fills."""
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

        # Only forwards: Gradio finds ``gr.SelectData`` by type hints, which a partial hides.
        def select_cell(text: str, event: gr.SelectData) -> str:
            return show_cell(service, text, event)

        theme_text.submit(_bind(draw_map, service), theme_text, [plot, heat])
        heat.select(select_cell, theme_text, cell_evidence, api_name="show_cell")
    return theme_text, [plot, heat]


def _api(service: Service) -> None:
    """``/ask`` and ``/retrieve``. ``gr.api`` takes its schema from type hints, which a
    partial hides, so these forward to the handlers and do nothing else."""

    def ask(
        question: str,
        history: list[dict] | None = None,
        k: int | None = None,
        filters: dict | None = None,
    ) -> dict[str, Any]:
        """The same JSON object as `c5qa ask --json` (k: the setting's k when None)."""
        return ask_api(service, question, history, k, filters)

    def retrieve(
        question: str, k: int | None = None, filters: dict | None = None
    ) -> list[dict[str, Any]]:
        """Ranked passages with full citation data (k: the setting's k when None)."""
        return retrieve_api(service, question, k, filters)

    gr.api(ask, api_name="ask")
    gr.api(retrieve, api_name="retrieve")


def build_app(service: Service) -> gr.Blocks:
    with gr.Blocks(title="C5+1 assistant", fill_height=True) as app:
        gr.Markdown(INTRO)
        sources = _ask_tab(service)
        shown = _documents_tab(service, sources)
        theme_text, theme_outputs = _themes_tab(service)
        app.load(_bind(refresh, service), outputs=shown, api_visibility="private")
        app.load(_bind(draw_map, service), theme_text, theme_outputs, api_visibility="private")
        _api(service)
    return app


# --- serving ----------------------------------------------------------------------------------


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

    if service.has_index():
        threading.Thread(target=update, name="index-update", daemon=True).start()
    else:
        update()
    launch(build_app(service), settings)
