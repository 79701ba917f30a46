import base64
import dataclasses
import html
import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError, AuthenticationError

from c5qa.app.logs import configure
from c5qa.app.service import Service
from c5qa.faces import ui
from c5qa.faces.ui import (
    FAILED,
    UPLOADS_OFF,
    ask_api,
    build_app,
    compare_sides,
    conversation_markdown,
    document_rows,
    draw_map,
    failed_rows,
    filter_note,
    launch,
    open_cited,
    open_document,
    refresh,
    respond,
    retrieve_api,
    show_cell,
    show_point,
    source_choices,
    status_line,
    turn_page,
    upload_allowed,
)
from c5qa.index.embedding import Embedder
from c5qa.measure.loadtest import free_port
from c5qa.query.request import Filters
from c5qa.settings import Settings
from tests.conftest import BAD_QUESTIONS, CORPUS, KAZAKHSTAN, NEW_YORK, chardara_pdf

TEXT_FILE = {"files": ("note.txt", b"A short note.\n", "text/plain")}
BROKEN = "index generation gen-broken"  # how the library names the index ``break_index`` makes


@pytest.fixture(scope="module")
def app_service(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Service:
    """The seed corpus in a writable copy, so uploads never touch the project's corpus."""
    root = tmp_path_factory.mktemp("ui")
    shutil.copytree(CORPUS, root / "corpus")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index", upload=True)
    service = Service(settings, embedder)
    service.index(on_notice=lambda message: None)
    return service


def serve_plainly(app: gr.Blocks) -> str:
    """Serve ``app`` on loopback with Gradio's defaults, not ``launch``'s (its upload route
    open whatever the settings say); returns its URL."""
    app.queue(default_concurrency_limit=4)
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    return f"http://127.0.0.1:{port}/"


def break_index(index_dir: Path) -> None:
    """An index whose current generation is gone: every read of it is an ``IndexProblem``."""
    index_dir.mkdir(parents=True, exist_ok=True)
    (index_dir / "CURRENT").write_text("gen-broken\n")


@pytest.fixture(scope="module")
def client(app_service: Service) -> Iterator[Client]:
    app = build_app(app_service)
    url = serve_plainly(app)
    try:
        yield Client(url, verbose=False)
    finally:
        app.close()


@pytest.fixture(scope="module")
def broken(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[tuple[Client, Service]]:
    """A server with uploads off on a corrupt index, its upload route left open (served
    plainly), so that only the handlers stand between a caller and the corpus."""
    root = tmp_path_factory.mktemp("broken")
    (root / "corpus").mkdir()
    break_index(root / "index")
    service = Service(Settings(corpus_dir=root / "corpus", index_dir=root / "index"), embedder)
    app = build_app(service)  # must not read the index
    url = serve_plainly(app)
    try:
        yield Client(url, verbose=False), service
    finally:
        app.close()


def test_ask_endpoint_returns_the_cli_json(client: Client) -> None:
    result = client.predict(
        "Which firm will upgrade Kazakhstan's air traffic management system?",
        [],
        3,
        None,
        api_name="/ask",
    )
    assert {"question", "answer", "abstained", "passages"} <= set(result)  # the contract
    assert {"verdict", "lead", "sections"} <= set(result)
    assert "Leidos" in result["answer"] and len(result["passages"]) == 3
    assert result["passages"][0]["source"] == KAZAKHSTAN


def test_retrieve_endpoint_honours_a_document_filter(client: Client) -> None:
    passages = client.predict("critical minerals", 4, {"sources": [NEW_YORK]}, api_name="/retrieve")
    assert len(passages) == 4 and {p["source"] for p in passages} == {NEW_YORK}
    dated = client.predict(
        "critical minerals", 5, {"date_from": "2025", "date_to": "2025"}, api_name="/retrieve"
    )
    assert dated and all(p["date"].startswith("2025") for p in dated)


def test_chat_answers_with_markers_sources_and_filter_note(client: Client) -> None:
    messages = client.predict(
        "What is the C5+1 Critical Minerals Dialogue?", [], "", "", "", api_name="/chat"
    )
    assert "**[1]**" in messages[0]["content"]
    # One message of sources under the answer, a fold per passage (#17).
    (sources,) = messages[1:]
    assert sources["content"].count("<details>") == 5
    assert html.unescape(sources["content"]).startswith("<details><summary>[1] ")
    filtered = client.predict("critical minerals", [NEW_YORK], "", "", "", api_name="/chat")
    assert filtered[0]["content"].startswith("*Searched only 1 chosen document.*")
    compared = client.predict("critical minerals", [], "", "", "2023, 2025", api_name="/chat")
    assert compared[0]["content"].startswith("**2023:**") and "**2025:**" in compared[0]["content"]


def test_upload_indexes_a_new_document(
    client: Client, app_service: Service, tmp_path: Path
) -> None:
    upload = tmp_path / "2026-01-15_aral-restoration-note.txt"
    upload.write_text(
        "---\ntitle: Aral restoration note\ndate: 2026-01-15\n---\n"
        "The Aral Sea restoration fund received a pledge of $12 million.\n"
    )
    rows = client.predict([handle_file(str(upload))], api_name="/upload")[0]
    assert rows["data"][0][1] == upload.name and rows["data"][0][2].startswith("indexed")
    found = client.predict("Aral Sea restoration pledge", 1, None, api_name="/retrieve")
    assert found[0]["source"] == upload.name and "$12 million" in found[0]["text"]
    assert (app_service.settings.corpus_dir / upload.name).is_file()
    again = client.predict([handle_file(str(upload))], api_name="/upload")[0]
    assert "identical content" in again["data"][0][2]


def test_filters_and_upload_policy() -> None:
    assert Filters.chosen(None, " ", "") is None and filter_note(None) == ""
    filters = Filters.chosen([NEW_YORK], "2023", "")
    assert filter_note(filters) == "*Searched only 1 chosen document and dated 2023 to ….*"
    assert not upload_allowed(Settings())  # off unless enabled
    assert upload_allowed(Settings(upload=True))
    assert not upload_allowed(Settings(upload=True, host="0.0.0.0"))  # exposed, no auth
    assert upload_allowed(Settings(upload=True, host="0.0.0.0", auth="ann:secret"))


def test_exposed_server_needs_auth() -> None:
    from c5qa.faces.ui import check_exposure

    check_exposure(Settings())  # loopback: fine
    with pytest.raises(SystemExit, match="without auth"):
        check_exposure(Settings(host="0.0.0.0"))
    check_exposure(Settings(host="0.0.0.0", auth="ann:secret"))
    check_exposure(Settings(host="0.0.0.0"), insecure=True)


def test_served_app_asks_for_login_shows_no_corpus_before_it_and_logs_no_password(
    app_service: Service, tmp_path: Path, restore_logging: None
) -> None:
    log_file = tmp_path / "serve.log"
    settings = app_service.settings.replace(
        port=free_port(), auth="ann:right-password-1", log_level="DEBUG", log_file=str(log_file)
    )
    configure(settings)
    served = Service(settings, app_service.embedder)
    app = build_app(served)
    launch(app, settings, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{settings.port}/"
    # The reader's original file (#17): a copy in Gradio's cache, behind the login; the corpus
    # itself is never served (an HTML document would run as a page of the app).
    original = "gradio_api/file=" + open_document(served, KAZAKHSTAN)[4].value["path"]
    corpus_file = "gradio_api/file=" + str(settings.corpus_dir.resolve() / KAZAKHSTAN)
    try:
        assert httpx.get(url + original).status_code == 401
        page = httpx.get(url).text  # the page's config and API description, before login
        assert "gradio_api_info" in page and '"/retrieve"' in page  # what the check reads
        for document in app_service.documents():
            assert document.source not in page and document.title not in page
        with pytest.raises(AuthenticationError, match="credentials were not provided"):
            Client(url, verbose=False).predict("Leidos", 1, None, api_name="/retrieve")
        assert httpx.post(url + "gradio_api/upload", files=TEXT_FILE).status_code == 401
        refused = httpx.post(url + "login", data={"username": "ann", "password": "wrong-guess-2"})
        assert refused.status_code >= 400
        client = Client(url, auth=("ann", "right-password-1"), verbose=False)
        found = client.predict("Leidos air traffic", 1, None, api_name="/retrieve")
        assert found[0]["source"] == KAZAKHSTAN
        with httpx.Client(base_url=url) as signed_in:  # uploads on: the route takes files
            signed_in.post("login", data={"username": "ann", "password": "right-password-1"})
            taken = signed_in.post("gradio_api/upload", files=TEXT_FILE)
            assert taken.status_code == 200 and taken.json()[0].endswith("note.txt")
            fetched = signed_in.get(original)
            assert fetched.content == (settings.corpus_dir / KAZAKHSTAN).read_bytes()
            assert signed_in.get(corpus_file).status_code == 403
    finally:
        app.close()
    text = log_file.read_text()
    assert "auth.refused" in text and 'user="ann"' in text
    assert "right-password-1" not in text and "wrong-guess-2" not in text


def test_bad_questions_through_the_api_and_the_chat(client: Client, app_service: Service) -> None:
    for question in BAD_QUESTIONS:
        answer = client.predict(question, [], 5, None, api_name="/ask")
        assert answer["answer"].strip() and answer["question"].isprintable()
        assert len(answer["question"]) <= app_service.settings.max_question_chars
        messages = client.predict(question, [], "", "", "", api_name="/chat")
        assert messages and messages[0]["content"].strip()
    answer = client.predict(BAD_QUESTIONS[5], [], 5, None, api_name="/ask")
    assert "Leidos" in answer["answer"]


def test_malformed_api_calls_get_one_clear_line(client: Client) -> None:
    for k in (-3, 0, 1000, "x"):  # out of 1..50 is refused, not capped
        with pytest.raises(AppError, match="k must be a whole number from 1 to 50") as refused:
            client.predict("Leidos", k, None, api_name="/retrieve")
        assert "\n" not in str(refused.value)
        with pytest.raises(AppError, match="k must be a whole number from 1 to 50") as refused:
            client.predict("Leidos", [], k, None, api_name="/ask")
        assert "\n" not in str(refused.value)
    with pytest.raises(AppError, match="filters must be an object"):
        client.predict("Leidos", [], 3, ["not", "an", "object"], api_name="/ask")
    with pytest.raises(AppError, match="the question must be text"):
        client.predict(42, 3, None, api_name="/retrieve")
    with pytest.raises(AppError, match="history must be a list"):
        client.predict("Leidos", "not a history", 3, None, api_name="/ask")
    messages = client.predict("security", [], "", "", "20x5, banana", api_name="/chat")
    assert messages[0]["content"].startswith("period '20x5' is not DATE")
    assert len(client.predict("Leidos", 50, None, api_name="/retrieve")) == 50


def test_handlers_run_without_a_server(app_service: Service) -> None:
    """The handlers are plain functions of the service: no app, no HTTP."""
    passages = retrieve_api(app_service, "Leidos air traffic", 2, {"sources": [KAZAKHSTAN]})
    assert [p["n"] for p in passages] == [1, 2] and {p["source"] for p in passages} == {KAZAKHSTAN}
    with pytest.raises(gr.Error, match="k must be a whole number"):
        retrieve_api(app_service, "Leidos", 0)
    replies = list(respond(app_service, "critical minerals", [], [NEW_YORK], "", ""))
    *streamed, final = replies
    assert streamed and all(len(reply) == 1 for reply in streamed)
    answer, *sources = final
    assert answer.content.startswith("*Searched only 1 chosen document.*\n\n")
    assert streamed[-1][0].content == answer.content and "**[1]**" in answer.content
    assert len(sources) == 1 and "<summary>&#91;1&#93; " in sources[0].content
    (empty,) = respond(app_service, "  ", [], None, "", "")
    assert empty[0].content == "Please type a question."
    (refused,) = respond(app_service, "security", [], None, "", "", "2025-2015")
    assert "ends before it starts" in refused[0].content and FAILED not in refused[0].content
    _, styled, note = draw_map(app_service, "energy, water")
    assert note == "" and styled.data.columns.is_unique and len(styled.data) == 2
    too_many = ", ".join(f"theme {n}" for n in range(app_service.settings.max_themes + 1))
    plot, table, note = draw_map(app_service, too_many)  # refused before anything is encoded
    assert plot is None and table is None and note.startswith("themes must be at most 40")
    # A click on the map (#16) names its cell "row,column"; anything else shows nothing.
    assert show_point(app_service, "water", "0,0").startswith("**water** in *")
    assert show_point(app_service, "water", "0,99") == show_point(app_service, "", "x,1") == ""
    # The Compare tab (#16): the lead, three columns of folds, the commentary.
    lead, continued, dropped, new, notes = compare_sides(app_service, "2023", "2025", "water")
    assert lead.startswith("**On water, compared with 2023, 2025 continues 0")
    assert continued == new == "*none*" and "#### water" in dropped and "<details>" in dropped
    assert "<details>" in notes
    refused = compare_sides(app_service, "2016", "2023", "")
    assert "no document of the corpus is dated 2016" in refused[0]
    assert refused[1:] == ("", "", "", "")


def test_malformed_api_calls_are_refused_at_info_without_a_trace(
    client: Client, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed request is the caller's mistake, not a fault: one line back, and one INFO
    record for the maintainer, with no traceback (in the log or on the console) and nothing
    at WARNING or above."""
    caplog.set_level(logging.INFO, logger="c5qa")
    malformed = [
        (("Leidos", "not a history", 3, None), "history must be a list"),
        (("Leidos", 42, 3, None), "history must be a list"),
        (("Leidos", [], 3, {"date_from": 123}), "filters.date_from and date_to must be text"),
        (("Leidos", [], 3, ["not", "an", "object"]), "filters must be an object"),
        (("Leidos", [], "x", None), "k must be a whole number from 1 to 50"),
    ]
    for args, refusal in malformed:
        with pytest.raises(AppError, match=refusal) as refused:
            client.predict(*args, api_name="/ask")
        assert "\n" not in str(refused.value)
    for date_from, periods in (("123", ""), ("", "20x5")):
        (reply,) = client.predict("security", [], date_from, "", periods, api_name="/chat")
        assert reply["content"].startswith(("filters.date\\_from must be", "period '20x5'"))
    refusals = [r for r in caplog.records if r.getMessage().endswith(".refused")]
    assert [r.getMessage() for r in refusals] == ["api.ask.refused"] * 5 + ["chat.refused"] * 2
    assert all(r.levelno == logging.INFO and r.exc_info is None for r in refusals)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "Traceback" not in capsys.readouterr().err


def test_upload_route_is_closed_when_uploads_are_off(app_service: Service) -> None:
    """Off, Gradio's upload route refuses every file, an empty one too, before storing it;
    the other routes that take files take none above 0 bytes; the file picker is inert; and
    Gradio's temp copies are swept."""
    settings = app_service.settings.replace(upload=False, port=free_port())
    app = build_app(Service(settings, app_service.embedder))
    launch(app, settings, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{settings.port}/gradio_api/upload"
    try:
        for content in (b"A short note.\n", b""):  # an empty file passes any size limit
            refused = httpx.post(url, files={"files": ("note.txt", content, "text/plain")})
            assert (refused.status_code, refused.text) == (403, UPLOADS_OFF)
        assert app.max_file_size == 0
        # The upload picker, and the exported conversation's file, take nothing.
        files = [c for c in app.config["components"] if c["type"] == "file"]
        assert len(files) == 2 and all(c["props"]["interactive"] is False for c in files)
        assert app.delete_cache is not None and app.delete_cache[1] <= 24 * 3600
    finally:
        app.close()


def test_upload_api_is_refused_when_uploads_are_off(
    broken: tuple[Client, Service], tmp_path: Path
) -> None:
    """The event itself refuses, even where the upload route lets the file through."""
    client, service = broken
    upload = tmp_path / "2026-01-15_note.txt"
    upload.write_text("---\ntitle: A note\ndate: 2026-01-15\n---\nThe note says little.\n")
    with pytest.raises(AppError, match=UPLOADS_OFF):
        client.predict([handle_file(str(upload))], api_name="/upload")
    assert list(service.settings.corpus_dir.iterdir()) == []


def test_a_corrupt_index_gets_its_one_line_everywhere(broken: tuple[Client, Service]) -> None:
    """The page was built and served on a corrupt index (``broken``); every reader of the
    index says what is wrong in one line instead of failing."""
    client, service = broken
    for args, api in ((("Leidos", [], 3, None), "/ask"), (("Leidos", 3, None), "/retrieve")):
        with pytest.raises(AppError, match=BROKEN) as refused:
            client.predict(*args, api_name=api)
        assert "\n" not in str(refused.value)
    (reply,) = client.predict("Leidos", [], "", "", "", api_name="/chat")
    assert reply["content"].startswith(BROKEN)
    assert status_line(service).startswith(f"**Index:** {BROKEN}")
    assert document_rows(service) == failed_rows(service) == source_choices(service) == []
    status, rows, failed, picker = refresh(service)
    assert status.startswith(f"**Index:** {BROKEN}") and rows == failed == picker.choices == []
    plot, table, note = draw_map(service, "")
    assert plot is None and table is None and note.startswith(BROKEN)
    cell = gr.SelectData(None, {"index": [0, 1], "value": 0.5})
    assert show_cell(service, "", cell).startswith(BROKEN)
    with pytest.raises(gr.Error, match=BROKEN):
        ask_api(service, "Leidos")
    assert compare_sides(service, "2023", "2025", "")[0].startswith(BROKEN)


def test_serve_starts_on_a_corrupt_index_and_rebuilds_it_behind_the_page(
    small_corpus: Path,
    tmp_path: Path,
    embedder: Embedder,
    monkeypatch: pytest.MonkeyPatch,
    restore_logging: None,
) -> None:
    """``serve`` builds and serves the page first, whatever the index's state, and updates
    the index beside it; the page works on the new generation once it is committed."""
    break_index(tmp_path / "index")
    settings = Settings(
        corpus_dir=small_corpus,
        index_dir=tmp_path / "index",
        port=free_port(),
        log_file=str(tmp_path / "serve.log"),
    )
    served, updated = threading.Event(), threading.Event()
    services: list[Service] = []

    class Held(Service):
        """Updates only once the page is served: a serve that updated first would wait."""

        def index(self, *args: object, **kwargs: object) -> object:
            try:
                assert served.wait(30), "serve updated the index before serving the page"
                return super().index(*args, **kwargs)  # type: ignore[arg-type]
            finally:
                updated.set()

    def held(settings: Settings) -> Service:
        services.append(Held(settings, embedder))
        return services[-1]

    def served_page(app: gr.Blocks, settings: Settings) -> None:
        (service,) = services  # the page, built on the corrupt index, says so
        status, rows, _, _ = refresh(service)
        assert status.startswith(f"**Index:** {BROKEN}") and rows == []
        served.set()

    monkeypatch.setattr(ui, "Service", held)
    monkeypatch.setattr(ui, "launch", served_page)
    ui.serve(settings)
    assert updated.wait(300)
    status, rows, _, picker = refresh(services[0])
    assert status.startswith("**Index:** 4 documents") and len(rows) == 4
    assert NEW_YORK in {source for _, source in picker.choices}


def test_the_layout_reads_and_holds_nothing_of_the_corpus(app_service: Service) -> None:
    """The layout is served before sign-in and built whatever the index's state: it reads
    nothing of the index, and nothing of the corpus is in its config; the page's load fills
    the source picker, the Documents tab and the theme map."""
    unread = Service(app_service.settings, app_service.embedder)

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the layout read the index")

    unread.documents = unread.status = unread.store = unread.themes = forbidden  # type: ignore[method-assign]
    unread.diff = forbidden  # type: ignore[method-assign]
    build_app(unread)
    config = json.dumps(build_app(app_service).config, default=str)
    assert '"dropdown"' in config and '"dataframe"' in config  # what the check reads
    for document in app_service.documents():
        assert document.source not in config and document.title not in config


def test_theme_table_columns_are_unique_for_look_alike_documents(
    app_service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two documents with the same date and title (a copy under another name) get distinct
    columns: the coloured table refuses repeated ones."""
    real = app_service.themes((("energy", "energy"),))
    source, date, title = real.documents[0]
    twin = dataclasses.replace(
        real,
        documents=(*real.documents, (f"copy-of-{source}", date, title)),
        cells=tuple((*row, row[0]) for row in real.cells),
    )
    monkeypatch.setattr(app_service, "themes", lambda themes: twin)
    _, styled, note = draw_map(app_service, "energy")
    assert note == "" and styled.data.columns.is_unique
    assert len(styled.data.columns) == len(twin.documents) + 1


def test_session_state_is_bounded_by_the_setting(app_service: Service) -> None:
    """Gradio keeps a copy of the page's configuration per browser session, 10,000 sessions
    by default: the soak benchmark saw memory grow with every new session. The setting bounds
    it."""
    settings = app_service.settings.replace(sessions=7, port=free_port())
    app = build_app(Service(settings, app_service.embedder))
    launch(app, settings, prevent_thread_lock=True, quiet=True)
    try:
        assert app.state_session_capacity == 7 and app.state_holder.capacity == 7
    finally:
        app.close()


def test_the_export_lists_each_answer_with_its_references(app_service: Service) -> None:
    """#17: questions as headings (whether Gradio gives a string or typed parts), answers as
    the chat showed them, references read from the data the sources message carries; a title
    that is markup stays text."""
    question = "Which firm will upgrade Kazakhstan's air traffic management system?"
    *_, final = respond(app_service, question, [], None, "", "")
    history = [{"role": "user", "content": [{"type": "text", "text": question}]}]
    history += [{"role": m.role, "content": m.content} for m in final]
    exported = conversation_markdown(history, "2026-12-02 12:00")
    assert exported.startswith("# C5+1 assistant: a conversation exported 2026-12-02 12:00")
    assert f"## {question}" in exported and "Leidos" in exported
    references = exported.split("**References**", 1)[1]
    assert references.strip().startswith("1. A New Era in U.S.-Kazakhstan Relations")
    assert "> A $200 million contract awarded to U.S. firm Leidos" in references
    assert "<details>" not in exported and "c5qa-references" not in exported
    hostile = [
        {
            "n": 1,
            "title": "![px](http://127.0.0.1:9/p.png)",
            "publisher": "<img src=x>",
            "date": "",
            "location": "",
            "url": "javascript:alert(1)",
            "source": "a.txt",
            "quoted": ["[x](http://127.0.0.1:9)"],
        }
    ]
    data = base64.b64encode(json.dumps(hostile).encode()).decode()
    shown = conversation_markdown(
        [{"role": "assistant", "content": f"<!-- c5qa-references {data} -->"}], "now"
    )
    assert "![px](" not in shown and "<img" not in shown and "](javascript" not in shown
    assert "](http://127.0.0.1:9)" not in shown


def test_an_export_is_a_file_and_old_exports_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each export is a file to download; exports older than Gradio's cache sweep go, so a
    long-running server does not pile them up; an empty chat exports nothing."""
    from c5qa.faces import ui

    monkeypatch.setattr(ui, "EXPORTS", tmp_path / "exports")
    (tmp_path / "exports" / "old").mkdir(parents=True)
    hour_ago = time.time() - ui.CACHE_SWEEP[1] - 60
    os.utime(tmp_path / "exports" / "old", (hour_ago, hour_ago))
    path = Path(ui.export_conversation([{"role": "user", "content": "Who signed it?"}]))
    assert path.name == "c5qa-conversation.md" and "## Who signed it?" in path.read_text()
    assert not (tmp_path / "exports" / "old").exists()
    assert ui.export_conversation([]) is None


def _conversation(service: Service, question: str) -> list[dict]:
    """A chat history as the browser sends it back: the question, the answer, its sources."""
    *_, final = respond(service, question, [], None, "", "")
    return [{"role": "user", "content": question}] + [
        {"role": m.role, "content": m.content} for m in final
    ]


def test_the_reader_opens_a_cited_source_at_its_quote(app_service: Service) -> None:
    """[n] of an answer opens its document with exactly the quoted sentences marked (#17)."""
    history = _conversation(app_service, "Which firm will upgrade Kazakhstan's air traffic?")
    answer = app_service.ask("Which firm will upgrade Kazakhstan's air traffic?")
    column, head, picture, pager, original, text, kept = open_cited(app_service, history, "0,1,7")
    assert column.visible and not picture.visible and not pager.visible  # a text file
    passage = answer.passages[0]
    assert html.escape(passage.title) in head and passage.source in head
    quoted = [q.text for q in answer.citations if q.n == 1]
    marks = re.findall(r'<mark data-quote="\d+">(.*?)</mark>', text, re.DOTALL)
    assert [html.unescape(m) for m in marks] == quoted
    assert kept["source"] == passage.source and kept["passage"] == [passage.start, passage.end]
    assert (
        Path(original.value["path"]).read_bytes()
        == (app_service.settings.corpus_dir / passage.source).read_bytes()
    )
    # A request that no longer fits the conversation, or is garbage, is said in the reader.
    for request in ("5,1,7", "0,99,7", "x", ""):
        _, warning, *rest, state = open_cited(app_service, history, request)
        assert 'class="reader-warning"' in warning and state is None and rest[-1] == ""
    tampered = [
        {**m, "content": m["content"].replace("c5qa-references ", "c5qa-references x")}
        for m in history
    ]
    assert "reader-warning" in open_cited(app_service, tampered, "0,1,7")[1]


def test_the_reader_opens_a_document_and_turns_pdf_pages(app_service: Service) -> None:
    _, _, picture, pager, _, text, kept = open_document(app_service, KAZAKHSTAN)
    assert "<mark" not in text and kept["page"] == 1 and not pager.visible
    corpus = app_service.settings.corpus_dir
    chardara_pdf(corpus / "chardara-reader.pdf")
    try:
        app_service.index(on_notice=lambda message: None)
        _, _, picture, pager, _, _, kept = open_document(app_service, "chardara-reader.pdf")
        assert picture.visible and pager.visible and 'data-page="1"' in picture.value
        turned = turn_page(app_service, kept, 1)
        assert 'data-page="2"' in turned[2].value and turned[-1]["page"] == 2
        assert turn_page(app_service, turned[-1], 1)[-1]["page"] == 2  # no page 3
        assert "open a source first" in turn_page(app_service, None, 1)[1]
        (corpus / "chardara-reader.pdf").unlink()  # gone from the disk, still indexed
        shown = open_document(app_service, "chardara-reader.pdf")
        picture, original, text = shown[2].value, shown[4].value, shown[5]
        assert "No picture of the page" in picture and "no longer in the corpus" in picture
        assert "Chardara reservoir" in text and original is None
    finally:
        (corpus / "chardara-reader.pdf").unlink(missing_ok=True)
        app_service.index(on_notice=lambda message: None)
    assert "no document" in open_document(app_service, "chardara-reader.pdf")[1]
