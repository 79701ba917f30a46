"""The Gradio web chat, its Documents tab and its HTTP API (``/ask``, ``/retrieve``,
``/upload``), all on top of ``Service``.

Every handler is a module-level function that takes the service (and any setting it needs)
first, so it can be read and tested on its own; ``build_app`` only lays out the components
and binds the handlers to its service.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import ipaddress
import json
import logging
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from c5qa.answer.render import (
    chat_markdown,
    diff_columns,
    escape_markdown,
    page_html,
    passage_json,
    reader_head,
    reader_text,
    references,
    safe_link,
    sources_markdown,
    to_json,
)
from c5qa.answer.themes import DEFAULT_THEMES, ThemeMap, column_labels, parse_themes
from c5qa.answer.themes import interactive_figure as map_figure
from c5qa.answer.themes import table as map_table
from c5qa.app.auth import authenticator, load_users, login_middleware
from c5qa.app.logs import configure, event
from c5qa.app.service import Cited, IndexProblem, Reading, Service, cited_from
from c5qa.faces import fair_queue
from c5qa.query.request import Filters, message_text, parse_periods
from c5qa.settings import Settings

QUOTES, WRITTEN = "quotes", "written answer"
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
INTRO_WRITTEN = (
    " A *written answer* (answer as, beside the chat) is the language model's: only its "
    "sentences that the passage they cite supports are shown."
)

UPLOAD_TYPES = [".pdf", ".txt", ".md", ".html", ".htm", ".docx"]
FAILED = "Something went wrong while answering; it has been logged. Please try again."
UPLOADS_OFF = "Uploading is switched off for this server."
UPLOAD_ROUTE = "/gradio_api/upload"
# Gradio's temp copies of uploads (and files it made for outputs): swept every 10 minutes once
# an hour old; an upload is saved into the corpus long before that.
CACHE_SWEEP = (600, 3600)
DOCUMENT_HEADERS = ["title", "publisher", "date", "kind", "partial", "chunks", "file"]
DOCUMENT_WIDTHS = ["27%", "24%", "9%", "8%", "7%", "6%", "19%"]
# The page's own style, passed at launch: tables in the page's font (Gradio sets their cells
# in a monospace one, which reads as code); on a phone the chat comes first, its search limits
# under it (above it, they filled the first screen).
CSS = (
    "#documents *, #theme-scores * { font-family: var(--font) !important; }\n"
    "@media (max-width: 640px) { #ask { flex-direction: column-reverse; } }\n"
    # The reader: its text scrolls on its own beside the chat, the quotes marked, the passage
    # shaded; a PDF page with the quotes' boxes laid over it.
    "#reader-text { max-height: 62vh; overflow-y: auto !important; }\n"
    "#reader-page { max-height: 46vh; overflow-y: auto !important; }\n"
    "#reader-page ~ #reader-text { max-height: 40vh; }\n"
    "#reader-text .reader-body { white-space: pre-wrap; line-height: 1.55; }\n"
    "#reader-text mark { background: #ffe066; color: inherit; padding: 0; }\n"
    ".reader-title { font-size: 1.15em; margin-bottom: 0.5em; }\n"
    "#reader-text .reader-passage { background: rgba(120, 170, 255, 0.16); }\n"
    ".reader-sheet { position: relative; }\n"
    ".reader-sheet img { width: 100%; height: auto; display: block; }\n"
    ".reader-box { position: absolute; background: rgba(255, 204, 0, 0.38);"
    " outline: 1px solid rgba(200, 140, 0, 0.9); }\n"
    ".reader-warning { color: #a15c00; }\n"
    # On a phone the reader comes first, the page's width, the chat under it (a fixed sheet
    # over the chat left its text unpainted once scrolled, in Chromium).
    "@media (max-width: 640px) { #reader { order: -1; } #reader-text { max-height: 60vh; } }"
)

log = logging.getLogger(__name__)

# A question, once asked, is scrolled to the top of the chat, so its answer reads from its
# first line down as it streams in; following the chat's end (Gradio's autoscroll, off) showed
# the last source instead (#17). It watches the chat for a new question, from the page's load.
QUESTION_AT_TOP_JS = """
() => {
  let asked = 0;
  let target = null;  // the new question, until it reaches the top (its answer fills below)
  const follow = () => {
    const log = document.querySelector('[role="log"]');
    if (!log) return;
    if (!log.dataset.c5qaFollows) {  // a reader who scrolls takes over
      log.dataset.c5qaFollows = 'yes';
      for (const kind of ['wheel', 'touchmove', 'keydown']) {
        log.addEventListener(kind, () => { target = null; }, { passive: true });
      }
    }
    const questions = log.querySelectorAll('[data-testid="user"]');
    if (questions.length > asked) target = questions[questions.length - 1];
    asked = questions.length;
    if (!target) return;
    const gap = target.getBoundingClientRect().top - log.getBoundingClientRect().top - 44;
    if (gap > 1) log.scrollTop += gap;
    else target = null;
  };
  new MutationObserver(follow).observe(document.body, { childList: true, subtree: true });
}
"""

# A marker [n] of an answer opens its source: the n-th fold under the answer opens and comes
# into view (the sources are folds of one message: render.sources_markdown), and the reader
# opens at it, as it does for a click on a source's line. The script writes "k,n,time" (the
# k-th sources message of the chat, its n-th source; the time makes a second click on one
# source a change too) into a hidden box, whose change opens the reader.
MARKERS_JS = """
() => {
  const sourcesMessages = () => Array.from(document.querySelectorAll('[data-testid="bot"]'))
    .filter((message) => message.querySelector('details'));
  const read = (sources, n) => {
    const box = document.querySelector('#reader-open textarea, #reader-open input');
    const k = sourcesMessages().indexOf(sources);
    if (!box || k < 0 || n < 1) return;
    box.value = `${k},${n},${Date.now()}`;
    box.dispatchEvent(new Event('input', { bubbles: true }));
  };
  document.addEventListener('click', (event) => {
    const line = event.target.closest('[data-testid="bot"] details > summary');
    if (line) {
      const sources = line.closest('[data-testid="bot"]');
      const folds = Array.from(sources.querySelectorAll('details'));
      read(sources, folds.indexOf(line.parentElement) + 1);
      return;
    }
    const marker = event.target.closest('[data-testid="bot"] strong');
    const n = marker && marker.textContent.match(/^\\[(\\d+)\\]$/);
    if (!n) return;
    const bots = Array.from(document.querySelectorAll('[data-testid="bot"]'));
    const after = bots.slice(bots.indexOf(marker.closest('[data-testid="bot"]')));
    const sources = after.find((bot) => bot.querySelector('details'));
    const fold = sources && sources.querySelectorAll('details')[Number(n[1]) - 1];
    if (!fold) return;
    fold.open = true;
    fold.scrollIntoView({ block: 'nearest' });
    read(sources, Number(n[1]));
  });
}
"""

# Once the reader shows a document, its text scrolls to the first quote (else the passage).
SCROLL_JS = """
() => {
  // A third of the way down ``pane``, if it scrolls.
  const show = (pane, first) => {
    if (!pane || pane.scrollHeight <= pane.clientHeight) return;
    if (!first) { pane.scrollTop = 0; return; }
    const box = pane.getBoundingClientRect();
    pane.scrollTop += first.getBoundingClientRect().top - box.top - box.height / 3;
  };
  const reader = document.querySelector('#reader');
  const text = document.querySelector('#reader-text');
  const page = document.querySelector('#reader-page');
  const mark = text && (text.querySelector('mark') || text.querySelector('.reader-passage'));
  show(text, mark);
  show(page, page && page.querySelector('.reader-box'));
  const phone = window.matchMedia('(max-width: 640px)').matches;
  if (reader) reader.scrollIntoView({ block: phone ? 'start' : 'nearest' });
}
"""

# The map's cells open their evidence on a click. gr.Plot has no click event, so when a map is
# drawn this script hands Plotly's clicks to a hidden box ("row,column"), whose change shows
# the evidence. It waits for the figure to be rendered (up to 10 s) and binds it once.
CLICK_JS = """
() => {
  const bind = (tries) => {
    const plot = document.querySelector('#theme-plot .js-plotly-plot');
    const box = document.querySelector('#theme-cell textarea, #theme-cell input');
    if (!plot || !box || !plot.on) {
      if (tries > 0) setTimeout(() => bind(tries - 1), 200);
      return;
    }
    if (plot.dataset.c5qaClicks) return;
    plot.dataset.c5qaClicks = 'bound';
    plot.on('plotly_click', (event) => {
      const [row, col] = event.points[0].pointIndex;
      box.value = `${row},${col}`;
      box.dispatchEvent(new Event('input', { bubbles: true }));
    });
  };
  bind(50);
}
"""


# --- policy -----------------------------------------------------------------------------------


def refusal(message: str) -> gr.Error:
    """The error a caller gets back, as one line. Gradio would also print its traceback to
    the console, as for a crash: a refusal is not one, and a fault is already logged with its
    trace (``_api_errors``), so neither is printed."""
    return gr.Error(message, print_exception=False)


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
    """The corpus table, one row per document, in ``DOCUMENT_HEADERS`` order; empty while
    the index cannot be read (``status_line`` says why), so the page still loads."""
    try:
        documents = service.documents()
    except IndexProblem:
        return []
    return [
        [d.title, d.publisher, d.date, d.kind, "yes" if d.partial else "", d.chunks, d.source]
        for d in documents
    ]


def status_line(service: Service) -> str:
    """The index in one line, or why it cannot be read (missing, corrupt, being rebuilt):
    the page must work, and say so, whatever state the index is in."""
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
    """Files the index skipped; none while it cannot be read (``status_line`` says why)."""
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
    if not allowed:  # the upload route is closed too; this guards the event itself
        raise refusal(UPLOADS_OFF)
    if not files:
        raise refusal("Choose one or more PDF, .docx, .txt, .md or .html files first.")
    progress(0, desc="Saving and indexing")
    with _api_errors("upload"):
        pairs = [(Path(f), Path(f).name) for f in files]
        results, _ = service.add_documents(pairs, progress=True)
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
    limits = service.settings
    chosen = (
        None
        if periods == "all"
        else parse_periods(periods, limits.max_periods, limits.max_periods_chars)
    )
    return service.compare(question, chosen), None


def _source_messages(answer: Any) -> list[gr.ChatMessage]:
    """The sources as one message under the answer, a line per passage that opens onto it
    (``render.sources_markdown``), carrying its references as data for the export in a
    comment (base64: no document text can end the comment); none without passages."""
    if not answer.passages:
        return []
    data = base64.b64encode(json.dumps(references(answer)).encode()).decode()
    content = f"{sources_markdown(answer)}\n\n<!-- {REFERENCES} {data} -->"
    return [gr.ChatMessage(role="assistant", content=content)]


# --- the export -------------------------------------------------------------------------------

REFERENCES = "c5qa-references"
REFERENCE_DATA = re.compile(rf"<!-- {REFERENCES} (?P<data>[A-Za-z0-9+/=]*) -->")


def conversation_markdown(history: list[dict], exported: str) -> str:
    """The conversation as a Markdown file: each question a heading, its answer as the chat
    showed it, then its numbered references (title, publisher, date, location, URL, file and
    the quoted sentences), read from the data its sources message carries."""
    lines = [f"# C5+1 assistant: a conversation exported {exported}", ""]
    for message in history:
        text = message_text(message.get("content"))
        found = REFERENCE_DATA.search(text)
        if message.get("role") == "user":
            lines += [f"## {' '.join(text.split())}", ""]
        elif found:
            cited = json.loads(base64.b64decode(found["data"]))
            lines += ["**References**", "", *(_reference(r) for r in cited), ""]
        elif text:
            lines += [text, ""]
    return "\n".join(lines)


def _reference(cited: dict) -> str:
    """One numbered reference, its document text escaped as in the chat (a file opened in a
    Markdown viewer must not load or link anything either)."""
    where = ", ".join(x for x in (cited["publisher"], cited["date"], cited["location"]) if x)
    link = f" — {safe_link(cited['url'])}" if cited["url"] else ""
    title, source = escape_markdown(cited["title"]), escape_markdown(cited["source"])
    line = f"{cited['n']}. {title} — {escape_markdown(where)}{link} ({source})"
    return line + "".join(f"\n   > {escape_markdown(q)}" for q in cited["quoted"])


EXPORTS = Path(tempfile.gettempdir()) / "c5qa-exports"


def export_conversation(history: list[dict] | None) -> str | None:
    """The conversation written to a Markdown file for download, or None when there is
    nothing to export. Gradio serves a copy from its own (swept) cache; the exports older
    than that sweep's age are removed here, so a long-running server does not pile them up."""
    if not history:
        return None
    _prune(EXPORTS)
    exported = time.strftime("%Y-%m-%d %H:%M", time.localtime())
    path = Path(tempfile.mkdtemp(dir=EXPORTS)) / "c5qa-conversation.md"
    path.write_text(conversation_markdown(history, exported), encoding="utf-8")
    return str(path)


def respond(
    service: Service,
    message: str,
    history: list[dict],
    sources: list[str] | None,
    date_from: str,
    date_to: str,
    periods: str = "",
    style: str = QUOTES,
) -> Iterator[list[gr.ChatMessage]]:
    """The chat's reply: the answer streamed a few words at a time (a written answer as the
    model writes it), then the answer with its sources. A refused request gets its reason; a
    failure, ``FAILED`` (and a log entry)."""
    question = (message or "").strip()  # the service cuts it to length, and says so
    if not question:
        yield [gr.ChatMessage(role="assistant", content="Please type a question.")]
        return
    started = time.perf_counter()
    try:
        filters = Filters.chosen(
            sources, date_from, date_to, limit=service.settings.max_filter_sources
        )
        if style == WRITTEN and service.settings.llm_url and not (periods or "").strip():
            answer = yield from _drafts(service, question, history, filters)
        else:
            answer, filters = _chat_answer(service, question, history, filters, periods)
    except (IndexProblem, ValueError) as exc:  # BadRequest is a ValueError
        event(log, logging.INFO, "chat.refused", error=_one_line(exc))
        yield [gr.ChatMessage(role="assistant", content=escape_markdown(_one_line(exc)))]
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


def _drafts(
    service: Service, question: str, history: list[dict], filters: Filters | None
) -> Generator[list[gr.ChatMessage], None, Any]:
    """Show a written answer as it is written: the sentences verified so far, then the one
    under way in italics, not yet judged; returns the final answer."""
    for draft in service.write(question, history, filters=filters):
        if draft.done:
            return draft.answer
        writing = escape_markdown(draft.writing.strip())
        text = chat_markdown(draft.answer) + (f"\n\n*{writing}*" if writing else "")
        yield [gr.ChatMessage(role="assistant", content=text)]
    raise RuntimeError("the written answer ended without a final draft")


# --- the HTTP API -----------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    """The refusal as the caller reads it: one line, whatever the message held."""
    return " ".join(str(exc).split()) or type(exc).__name__


@contextmanager
def _api_errors(name: str) -> Iterator[None]:
    """An API caller gets one clear line, never a traceback. A refused request (``BadRequest``
    is a ``ValueError``) or an unusable index is the caller's or the moment's, not a fault: it
    is logged at INFO without a trace; anything else is a fault, logged with its trace."""
    try:
        yield
    except gr.Error:
        raise
    except (IndexProblem, ValueError) as exc:
        event(log, logging.INFO, f"{name}.refused", error=_one_line(exc))
        raise refusal(_one_line(exc)) from None
    except Exception:
        log.exception(f"{name}.failed")
        raise refusal(FAILED) from None


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
        chosen = Filters.from_json(filters, service.settings.max_filter_sources)
        answer = service.ask(question, history=history or (), k=k, filters=chosen)
    _log_answer("api", answer, started)
    return to_json(answer)


def retrieve_api(
    service: Service, question: Any, k: Any = None, filters: Any = None
) -> list[dict[str, Any]]:
    """``/retrieve``: ranked passages with full citation data, checked as ``ask_api``'s."""
    with _api_errors("api.retrieve"):
        chosen = Filters.from_json(filters, service.settings.max_filter_sources)
        passages = service.retrieve(question, k=k, filters=chosen)
    return [passage_json(p, n) for n, p in enumerate(passages, start=1)]


# --- the Themes tab ---------------------------------------------------------------------------


def theme_map(service: Service, text: str) -> ThemeMap:
    """The map of the themes typed (the default themes when none), at most ``max_themes``:
    each one is an encode and a pass over every sentence."""
    return service.themes(parse_themes(text, service.settings.max_themes) or DEFAULT_THEMES)


def draw_map(service: Service, text: str) -> tuple[Any, Any, str]:
    """The theme map as a picture and as a coloured table of scores, and the evidence pane
    cleared (its cell belonged to the old map). Themes refused or an index that cannot be read
    leave the map empty and say why in that pane: the map loads with the page, which must
    work whatever state the index is in."""
    import pandas as pd

    try:
        themes = theme_map(service, text)
    except (IndexProblem, ValueError) as exc:  # BadRequest is a ValueError
        event(log, logging.INFO, "themes.refused", error=_one_line(exc))
        return None, None, escape_markdown(_one_line(exc))
    columns = ["theme", *column_labels(themes, 24)]  # unique: the Styler refuses repeats
    frame = pd.DataFrame(map_table(themes), columns=columns)
    styled = frame.style.background_gradient(
        cmap="YlGnBu", vmin=0.1, vmax=0.8, subset=columns[1:]
    ).format(precision=2)
    return map_figure(themes), styled, ""


def show_cell(service: Service, text: str, event: gr.SelectData) -> str:
    """The evidence behind the selected cell of the score table (its first column names
    the theme)."""
    row, col = event.index
    return evidence(service, text, row, col - 1) if col else ""


def show_point(service: Service, text: str, point: str) -> str:
    """The evidence behind the clicked cell of the map ("row,column", which the page's
    script writes: gr.Plot has no click event of its own)."""
    row, _, col = point.partition(",")
    if not (row.isdigit() and col.isdigit()):
        return ""
    return evidence(service, text, int(row), int(col))


def evidence(service: Service, text: str, row: int, col: int) -> str:
    """Theme ``row``'s evidence in document ``col`` of the map. The map is computed again
    (cached), so a cell of a map drawn before the index changed may no longer exist."""
    try:
        themes = theme_map(service, text)
    except (IndexProblem, ValueError) as exc:
        return escape_markdown(_one_line(exc))
    if row >= len(themes.cells) or col >= len(themes.documents):
        return ""
    cell = themes.cells[row][col]
    _, date, title = themes.documents[col]
    verdict = "present" if cell.score >= themes.threshold else "not addressed"
    quote = escape_markdown(cell.sentence) if cell.sentence else "(no text)"
    return (
        f"**{escape_markdown(themes.themes[row])}** in *{escape_markdown(title)}* "
        f"({date}) — {verdict}, score {cell.score:.2f}\n\n> {quote}\n\n"
        f"`{cell.source}`"
    )


# --- the Compare tab --------------------------------------------------------------------------


def compare_sides(service: Service, a: str, b: str, theme: str) -> tuple[str, ...]:
    """What changed from A to B: the lead, then the continued, dropped and new columns and
    the commentary (``render.diff_columns``). A side or theme refused, or an index that
    cannot be read, is said in the lead's place with the columns empty."""
    started = time.perf_counter()
    try:
        compared = service.diff(a, b, theme, service.settings.compare_quotes)
    except (IndexProblem, ValueError) as exc:  # BadRequest is a ValueError
        event(log, logging.INFO, "compare.refused", error=_one_line(exc))
        return (escape_markdown(_one_line(exc)), "", "", "", "")
    _log_answer("compare", compared.answer, started)
    return (f"**{escape_markdown(compared.answer.lead)}**", *diff_columns(compared))


# --- the reader -------------------------------------------------------------------------------

ORIGINALS = Path(tempfile.gettempdir()) / "c5qa-originals"


def _prune(folder: Path) -> None:
    """Remove what this server wrote under ``folder`` longer ago than Gradio's cache sweep
    (Gradio serves its own copy from then on)."""
    folder.mkdir(exist_ok=True)
    stale = time.time() - CACHE_SWEEP[1]
    for old in folder.iterdir():
        if old.stat().st_mtime < stale:
            shutil.rmtree(old, ignore_errors=True)


def _original(path: Path) -> str:
    """A copy of a corpus file for the reader's download button, made once per version of the
    file. Gradio serves only files under the working or temp folder, and serves those under
    ``allowed_paths`` inline: a corpus HTML file would run as a page of this app, so the corpus
    is never an allowed path and a copy is offered instead (as a download)."""
    _prune(ORIGINALS)
    stat = path.stat()
    key = hashlib.sha256(f"{path}:{stat.st_mtime_ns}:{stat.st_size}".encode()).hexdigest()[:16]
    copy = ORIGINALS / key / path.name
    if not copy.exists():
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, copy)
    return str(copy)


def _shown(service: Service, reading: Reading, page: int, turned: bool = False) -> tuple[Any, ...]:
    """The reader showing ``reading`` (at PDF page ``page``; 0: the quotes' page): the column
    shown, heading, page picture, page buttons, download, text, and the state to turn pages.
    A page ``turned`` changes the picture alone: the heading, download and text stay."""
    number = page or reading.first_page
    kept = {
        "source": reading.source,
        "cited": [[s, e, reading.text[s:e]] for s, e in reading.marks],
        "passage": list(reading.passage),
        "page": number,
    }
    picture = gr.HTML(_picture(service, reading, number), visible=reading.is_pdf)
    if turned:
        return (gr.skip(), gr.skip(), picture, gr.skip(), gr.skip(), gr.skip(), kept)
    return (
        gr.Column(visible=True),
        reader_head(reading),
        picture,
        gr.Row(visible=reading.is_pdf),
        gr.DownloadButton(value=_download(service, reading)),
        reader_text(reading),
        kept,
    )


def _picture(service: Service, reading: Reading, number: int) -> str:
    """Page ``number`` of a PDF with its quotes boxed, or why it cannot be drawn (a file
    PDFium cannot open, though pypdf read its text; a file gone since it was indexed): the
    text is shown either way."""
    if not reading.is_pdf:
        return ""
    try:
        return page_html(service.page(reading, number))
    except ValueError as exc:  # BadRequest is a ValueError
        event(log, logging.INFO, "reader.page.refused", error=_one_line(exc))
        return f'<p class="reader-warning">No picture of the page: {html.escape(str(exc))}</p>'


def _download(service: Service, reading: Reading) -> str | None:
    """The original file to download, or none when it has left the corpus since indexing."""
    try:
        return _original(service.original(reading.source))
    except ValueError:  # BadRequest: the text is still shown from the index
        return None


def _unread(message: str) -> tuple[Any, ...]:
    """The reader saying why it cannot show a document (removed, corrupt index, bad request)."""
    warning = f'<p class="reader-warning">{html.escape(message)}</p>'
    return (
        gr.Column(visible=True),
        warning,
        gr.HTML("", visible=False),
        gr.Row(visible=False),
        gr.DownloadButton(value=None),
        "",
        None,
    )


def _reader_view(show: Callable[[], tuple[Any, ...]]) -> tuple[Any, ...]:
    """What ``show`` returns for the reader; a request it cannot serve says why in the reader
    (logged at INFO), a fault is logged with its trace and said as ``FAILED``."""
    try:
        return show()
    except (IndexProblem, ValueError) as exc:  # BadRequest is a ValueError
        event(log, logging.INFO, "reader.refused", error=_one_line(exc))
        return _unread(_one_line(exc))
    except Exception:
        log.exception("reader.failed")
        return _unread(FAILED)


def _chat_reference(history: list[dict] | None, request: str) -> dict:
    """Source ``n`` of the chat's ``k``-th sources message, as its references carry it
    (``request`` is "k,n,time", written by ``MARKERS_JS``)."""
    k, n = (int(x) for x in (request or "").split(",")[:2])
    carried = [
        found
        for message in history or []
        if (found := REFERENCE_DATA.search(message_text(message.get("content"))))
    ]
    if not (0 <= k < len(carried)):
        raise ValueError("that answer is no longer in the conversation")
    cited = json.loads(base64.b64decode(carried[k]["data"]))
    if not (0 < n <= len(cited)):
        raise ValueError(f"the answer has no source [{n}]")
    return cited[n - 1]


def open_cited(service: Service, history: list[dict] | None, request: str) -> tuple[Any, ...]:
    """The reader at a source of the chat (``_chat_reference``), its quoted sentences marked."""

    def show() -> tuple[Any, ...]:
        return _shown(service, service.read(*cited_from(_chat_reference(history, request))), 0)

    return _reader_view(show)


def open_document(service: Service, source: str) -> tuple[Any, ...]:
    """The reader at the start of a document of the corpus (a row of the Documents table)."""
    return _reader_view(lambda: _shown(service, service.read(source), 1))


def turn_page(service: Service, kept: dict | None, step: int) -> tuple[Any, ...]:
    """The reader's PDF ``step`` pages on (back when negative), its marks kept."""

    def show() -> tuple[Any, ...]:
        if not kept:
            raise ValueError("open a source first")
        cited = [Cited(s, e, text) for s, e, text in kept["cited"]]
        reading = service.read(kept["source"], cited, tuple(kept["passage"]))
        number = min(max(kept["page"] + step, 1), len(reading.pages) or 1)
        return _shown(service, reading, number, turned=True)

    return _reader_view(show)


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


def _limits(service: Service) -> list[gr.components.Component]:
    """The search limits beside the chat, and the answer's style where a model is set."""
    with gr.Column(scale=1, min_width=240):
        gr.Markdown("**Search only in…**")
        # No choices in the layout, which is served before sign-in: the page's load
        # fills them. An API caller never loads the page, so any file name is taken
        # (one that is not in the corpus matches nothing).
        sources = gr.Dropdown(
            choices=[],
            allow_custom_value=True,
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
        # Shown only where a language model is configured (#19).
        written = bool(service.settings.llm_url)
        style = gr.Radio(
            [QUOTES, WRITTEN],
            value=WRITTEN if written and service.settings.llm else QUOTES,
            label="answer as",
            info="a written answer keeps only the sentences its sources support",
            visible=written,
            elem_id="answer-style",
        )
    return [sources, date_from, date_to, periods, style]


def _ask_tab(service: Service) -> tuple[gr.Dropdown, gr.Chatbot]:
    """The chat and its search limits; returns the source picker (uploads and the page's
    load fill it: the layout is served before sign-in, so it holds nothing of the corpus) and
    the conversation (the reader opens its sources)."""
    with gr.Tab("Ask"), gr.Row(equal_height=False, elem_id="ask"):
        limits = _limits(service)
        with gr.Column(scale=4):
            chat = gr.ChatInterface(
                _bind(respond, service),
                chatbot=gr.Chatbot(
                    label="Conversation",
                    height=600,
                    sanitize_html=True,
                    autoscroll=False,  # QUESTION_AT_TOP_JS keeps the answer in view
                    placeholder="Ask a question about the C5+1.",
                ),
                # ChatInterface's own box, given an id: the page's tests and scripts find it.
                textbox=gr.Textbox(
                    show_label=False,
                    label="",
                    placeholder="Type a message...",
                    scale=7,
                    submit_btn=True,
                    stop_btn=True,
                    elem_id="question",
                ),
                additional_inputs=limits,
                # The question alone: the chat shows them as questions to click, not as a
                # table with a column per search limit, empty (#17).
                examples=[[q] for q in EXAMPLES],
                api_name="chat",
                fill_height=True,
                # Conversations kept in the browser (its local storage), listed beside the
                # chat, reopened after a reload, deletable (#17).
                save_history=True,
            )
            _export(chat.chatbot)
    return limits[0], chat.chatbot


def _export(chatbot: gr.Chatbot) -> None:
    """A button that writes the conversation as Markdown, and the file to download, shown
    once there is one (empty, it stood under the chat as a large drop zone)."""
    with gr.Row():
        button = gr.Button("Export the conversation (Markdown)", size="sm", scale=0)
        file = gr.File(
            label="exported conversation", interactive=False, visible=False, elem_id="export"
        )

    def exported(history: list[dict] | None) -> gr.File:
        path = export_conversation(history)
        return gr.File(value=path, visible=path is not None)

    button.click(exported, chatbot, file, api_visibility="private")


def _documents_tab(service: Service, sources: gr.Dropdown) -> list[Any]:
    """The corpus, skipped files and uploads; returns what ``refresh`` fills. They start
    empty: the layout is served before sign-in and must hold nothing of the corpus (and must
    not read the index, which may be missing or being rebuilt); the page's load fills them."""
    can_upload = upload_allowed(service.settings)
    with gr.Tab("Documents"):
        status = gr.Markdown()
        table = gr.Dataframe(
            headers=DOCUMENT_HEADERS,
            interactive=False,
            wrap=True,
            label="Corpus",
            # Every column on screen at 1400 px: the title wraps, a long publisher is cut
            # (selecting its cell shows it whole).
            column_widths=DOCUMENT_WIDTHS,
            max_chars=90,
            show_search="search",
            elem_id="documents",
        )
        failed = gr.Dataframe(
            headers=["file", "skipped because"],
            interactive=False,
            label="Files that could not be indexed",
        )
        switched_off = (
            " — uploading is switched off for this server "
            "(set `C5QA_UPLOAD=true` on a local or password-protected server)."
        )
        heading = "**Add documents** (PDF, Word .docx, .txt, .md, .html)"
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
            "matching statement's score (●: present). Hover over a cell of the map for "
            "its evidence; click it, or select a cell of the table, to read it below."
        )
        theme_text = gr.Textbox(
            label="themes (comma-separated; `label=search words` allowed)",
            value=", ".join(label for label, _ in DEFAULT_THEMES),
        )
        plot = gr.Plot(label="theme map (click a cell for its evidence)", elem_id="theme-plot")
        clicked = gr.Textbox(visible="hidden", elem_id="theme-cell")
        # Headings on one line (wrapped into narrow columns they stood as towers of letters),
        # the theme pinned while the documents scroll sideways.
        heat = gr.Dataframe(
            interactive=False,
            label="scores (select a cell)",
            wrap=False,
            pinned_columns=1,
            elem_id="theme-scores",
        )
        cell_evidence = gr.Markdown()

        # Only forwards: Gradio finds ``gr.SelectData`` by type hints, which a partial hides.
        def select_cell(text: str, event: gr.SelectData) -> str:
            return show_cell(service, text, event)

        theme_text.submit(_bind(draw_map, service), theme_text, [plot, heat, cell_evidence])
        heat.select(select_cell, theme_text, cell_evidence, api_name="show_cell")
        plot.change(None, js=CLICK_JS)
        clicked.change(
            _bind(show_point, service), [theme_text, clicked], cell_evidence, api_name="show_point"
        )
    return theme_text, [plot, heat, cell_evidence]


def _compare_tab(service: Service) -> None:
    """Two sides (periods or documents) and a theme; three columns (continued, dropped,
    new) of topics whose quotes open their passages, and the commentary apart."""
    with gr.Tab("Compare"):
        gr.Markdown(
            "What continued, was dropped or is new from **A** to **B**: each a period "
            "(`2023`, `2015-2022`, `2025-11-07`) or documents (words of a title, a file "
            "name). Open a quote to read its passage."
        )
        with gr.Row():
            a = gr.Textbox(label="A (earlier)", value="2023")
            b = gr.Textbox(label="B (later)", value="2025")
            theme = gr.Textbox(label="theme (optional)", placeholder="e.g. water")
        run = gr.Button("Compare", variant="primary")
        lead = gr.Markdown()
        columns = []
        with gr.Row(equal_height=False):
            for name in ("Continued", "Dropped", "New"):
                with gr.Column(min_width=260):
                    gr.Markdown(f"### {name}")
                    columns.append(gr.Markdown(elem_id=f"compare-{name.lower()}"))
        gr.Markdown("### Commentary (analysis, not evidence)")
        commentary = gr.Markdown(elem_id="compare-commentary")
        outputs = [lead, *columns, commentary]
        handler = _bind(compare_sides, service)
        run.click(handler, [a, b, theme], outputs, api_name="compare")
        for box in (a, b, theme):
            box.submit(handler, [a, b, theme], outputs, api_visibility="private")


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


def _reader(service: Service, chatbot: gr.Chatbot, documents: gr.Dataframe) -> None:
    """The reader beside the tabs (above them on a phone), hidden until a source is opened: from
    a marker or a source line of the chat (``MARKERS_JS``) or a row of the Documents table."""
    # The box MARKERS_JS writes into, outside the reader: a hidden column is not on the page.
    opened = gr.Textbox(visible="hidden", elem_id="reader-open")
    with gr.Column(scale=3, min_width=320, visible=False, elem_id="reader") as column:
        with gr.Row():
            gr.Markdown("**Reader**")
            close = gr.Button("Close", size="sm", scale=0, elem_id="reader-close")
        head = gr.HTML(elem_id="reader-head")
        with gr.Row():
            with gr.Row(visible=False, scale=2) as pager:
                back = gr.Button("◀ page", size="sm", min_width=60, elem_id="reader-previous")
                on = gr.Button("page ▶", size="sm", min_width=60, elem_id="reader-next")
            original = gr.DownloadButton(
                "Original file", size="sm", min_width=60, scale=1, elem_id="reader-original"
            )
        picture = gr.HTML(visible=False, elem_id="reader-page")
        text = gr.HTML(elem_id="reader-text")
    kept = gr.State(None)
    shown = [column, head, picture, pager, original, text, kept]
    private: dict[str, Any] = {"api_visibility": "private"}
    bound = _bind(open_cited, service)
    opened.change(bound, [chatbot, opened], shown, **private).then(None, js=SCROLL_JS)

    def from_table(event: gr.SelectData) -> tuple[Any, ...]:  # forwards: see select_cell
        row = event.row_value or []
        return open_document(service, str(row[-1]) if row else "")

    documents.select(from_table, None, shown, **private).then(None, js=SCROLL_JS)
    for button, step in ((back, -1), (on, 1)):
        turned = button.click(_bind(turn_page, service), [kept, gr.State(step)], shown, **private)
        turned.then(None, js=SCROLL_JS)
    close.click(lambda: gr.Column(visible=False), None, column, **private)


def build_app(service: Service) -> gr.Blocks:
    """The page, bound to ``service``. It reads nothing of the index: the corpus arrives with
    the page's load, after sign-in, and the page builds whatever state the index is in."""
    with gr.Blocks(title="C5+1 assistant", fill_height=True, delete_cache=CACHE_SWEEP) as app:
        gr.Markdown(INTRO + (INTRO_WRITTEN if service.settings.llm_url else ""))
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=320):  # the reader beside it takes 3/8
                sources, chatbot = _ask_tab(service)
                shown = _documents_tab(service, sources)
                _compare_tab(service)
                theme_text, theme_outputs = _themes_tab(service)
            _reader(service, chatbot, shown[1])
        app.load(_bind(refresh, service), outputs=shown, api_visibility="private")
        app.load(None, js=QUESTION_AT_TOP_JS)
        app.load(None, js=MARKERS_JS)
        app.load(_bind(draw_map, service), theme_text, theme_outputs, api_visibility="private")
        _api(service)
    return app


# --- serving ----------------------------------------------------------------------------------


class UploadsOff:
    """ASGI middleware for a server whose uploads are off: it refuses Gradio's upload route
    (403, one line) before anything is read. That route stores up to 1,000 files a request in
    Gradio's temp folder before any handler could refuse them, and a size limit of 0 bytes
    still lets empty files through."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Answer the upload route at once; pass everything else on."""
        if scope["type"] == "http" and scope["path"].rstrip("/").endswith(UPLOAD_ROUTE):
            headers = [(b"content-type", b"text/plain; charset=utf-8")]
            await send({"type": "http.response.start", "status": 403, "headers": headers})
            await send({"type": "http.response.body", "body": UPLOADS_OFF.encode()})
            return
        await self.app(scope, receive, send)


def launch(app: gr.Blocks, settings: Settings, **kwargs: Any) -> None:
    """Serve with deliberate limits: ``concurrency`` requests of each event run at once (the
    rest wait in order), at most ``queue_size`` wait (more are refused at once, as are those
    over their session's or client's share: ``fair_queue``), uploads are
    capped at ``max_file_mb`` and, off loopback, everyone signs in. With uploads off, the
    upload route is closed (``UploadsOff``) and every other route that takes files (Gradio's
    component server, its screen recorder) takes none larger than 0 bytes."""
    app.queue(default_concurrency_limit=settings.concurrency, max_size=settings.queue_size)
    fair_queue.install(app, settings)  # no session or client takes the whole queue
    # The client's address reaches the login check, which throttles per address too.
    middleware = login_middleware()
    if upload_allowed(settings):
        max_file_size = int(settings.max_file_mb * 1e6)
    else:
        max_file_size = 0
        middleware.append(Middleware(UploadsOff))
    app.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=authenticator(settings),
        max_file_size=max_file_size,
        app_kwargs={"middleware": middleware},
        state_session_capacity=settings.sessions,
        footer_links=["api"],
        css=CSS,
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
    """Serve the chat with the index up to date. The update (and the model load it needs)
    runs beside the server, whatever state the index is in (missing, corrupt, being rebuilt):
    until a generation is committed the page serves and says why it cannot answer, and the
    running chat picks the new generation up when it is committed."""
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
        except IndexProblem as exc:  # the chat still serves the generation it has, if any
            event(log, logging.ERROR, "index.failed", error=_one_line(exc))
        except Exception:  # a thread dies silently: say so, and the chat still serves
            log.exception("index.update.crashed")

    threading.Thread(target=update, name="index-update", daemon=True).start()
    launch(build_app(service), settings)
