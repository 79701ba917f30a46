import socket
from collections.abc import Iterator

import pytest
from gradio_client import Client

from c5qa.service import Service
from c5qa.ui import build_app
from tests.conftest import KAZAKHSTAN, NEW_YORK


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def client(corpus_service: Service) -> Iterator[Client]:
    app = build_app(corpus_service)
    app.queue(default_concurrency_limit=4)
    port = _free_port()
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
    assert set(result) == {"question", "answer", "abstained", "passages"}
    assert "Leidos" in result["answer"] and len(result["passages"]) == 3
    assert result["passages"][0]["source"] == KAZAKHSTAN


def test_retrieve_endpoint_honours_a_document_filter(client: Client) -> None:
    passages = client.predict("critical minerals", 4, {"sources": [NEW_YORK]}, api_name="/retrieve")
    assert len(passages) == 4 and {p["source"] for p in passages} == {NEW_YORK}


def test_chat_answers_with_markers_and_source_messages(client: Client) -> None:
    messages = client.predict("What is the C5+1 Critical Minerals Dialogue?", api_name="/chat")
    assert "**[1]**" in messages[0]["content"]
    sources = [m for m in messages[1:] if (m.get("metadata") or {}).get("title")]
    assert len(sources) == 5 and sources[0]["metadata"]["title"].startswith("[1] ")
