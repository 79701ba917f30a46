import shutil
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AuthenticationError

from c5qa.app.logs import configure
from c5qa.app.service import Service
from c5qa.faces.ui import (
    FAILED,
    build_app,
    filter_note,
    launch,
    respond,
    retrieve_api,
    upload_allowed,
)
from c5qa.index.embedding import Embedder
from c5qa.measure.loadtest import free_port
from c5qa.query.request import Filters
from c5qa.settings import Settings
from tests.conftest import BAD_QUESTIONS, CORPUS, KAZAKHSTAN, NEW_YORK


@pytest.fixture(scope="module")
def app_service(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Service:
    """The seed corpus in a writable copy, so uploads never touch the project's corpus."""
    root = tmp_path_factory.mktemp("ui")
    shutil.copytree(CORPUS, root / "corpus")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index", upload=True)
    service = Service(settings, embedder)
    service.index(on_notice=lambda message: None)
    return service


@pytest.fixture(scope="module")
def client(app_service: Service) -> Iterator[Client]:
    app = build_app(app_service)
    app.queue(default_concurrency_limit=4)
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield Client(f"http://127.0.0.1:{port}/", verbose=False)
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
    sources = [m for m in messages[1:] if (m.get("metadata") or {}).get("title")]
    assert len(sources) == 5 and sources[0]["metadata"]["title"].startswith("[1] ")
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


def test_served_app_asks_for_login_and_logs_no_password(
    app_service: Service, tmp_path: Path, restore_logging: None
) -> None:
    log_file = tmp_path / "serve.log"
    settings = app_service.settings.replace(
        port=free_port(), auth="ann:right-password-1", log_level="DEBUG", log_file=str(log_file)
    )
    configure(settings)
    app = build_app(Service(settings, app_service.embedder))
    launch(app, settings, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{settings.port}/"
    try:
        with pytest.raises(AuthenticationError, match="credentials were not provided"):
            Client(url, verbose=False).predict("Leidos", 1, None, api_name="/retrieve")
        refused = httpx.post(url + "login", data={"username": "ann", "password": "wrong-guess-2"})
        assert refused.status_code >= 400
        client = Client(url, auth=("ann", "right-password-1"), verbose=False)
        found = client.predict("Leidos air traffic", 1, None, api_name="/retrieve")
        assert found[0]["source"] == KAZAKHSTAN
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
    from gradio_client.exceptions import AppError

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
    assert sources and sources[0].metadata["title"].startswith("[1] ")
    (empty,) = respond(app_service, "  ", [], None, "", "")
    assert empty[0].content == "Please type a question."
    (refused,) = respond(app_service, "security", [], None, "", "", "2025-2015")
    assert "ends before it starts" in refused[0].content and FAILED not in refused[0].content
