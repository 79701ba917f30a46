"""Fair shares of the served queue: the decision, then a real server whose worker is held."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import gradio as gr
import httpx
import pytest

from c5qa.faces.fair_queue import Waiting, client_of, refusal
from c5qa.faces.ui import launch
from c5qa.measure.loadtest import free_port
from c5qa.settings import Settings

SHARES = Settings(queue_per_session=2, queue_per_client=3)


def test_client_is_the_user_else_a_remote_address() -> None:
    assert client_of("ana", "10.0.0.7") == "user:ana"
    assert client_of(None, "10.0.0.7") == "address:10.0.0.7"
    assert client_of(None, "127.0.0.1") is None and client_of(None, "::1") is None
    assert client_of(None, None) is None


def test_a_session_or_a_client_over_its_share_is_refused_and_others_are_not() -> None:
    waiting = [Waiting("s1", None), Waiting("s1", None), Waiting("s2", "address:10.0.0.7")]
    over = refusal(waiting, Waiting("s1", None), SHARES)
    assert over is not None and over.startswith("2 requests of this session")
    assert refusal(waiting, Waiting("s3", None), SHARES) is None
    # One remote address with a new session each time: its client share still counts.
    waiting += [Waiting("s4", "address:10.0.0.7"), Waiting("s5", "address:10.0.0.7")]
    over = refusal(waiting, Waiting("s6", "address:10.0.0.7"), SHARES)
    assert over is not None and over.startswith("3 requests of yours")
    assert refusal(waiting, Waiting("s6", "address:10.0.0.8"), SHARES) is None
    # Anonymous local sessions are never lumped together as one client.
    local = [Waiting(f"s{i}", None) for i in range(10)]
    assert refusal(local, Waiting("s99", None), SHARES) is None


@pytest.fixture
def held() -> Iterator[tuple[str, threading.Event, threading.Event]]:
    """A served app (through ``launch``, as ``c5qa serve``) whose one worker is held by its
    first request until ``release`` is set, so that later requests wait in the queue;
    ``started`` says the worker has it."""
    started, release = threading.Event(), threading.Event()
    settings = Settings(port=free_port(), concurrency=1, queue_size=20, **_shares())

    def hold(text: str) -> str:
        started.set()
        release.wait(30)
        return text

    with gr.Blocks() as app:
        box = gr.Textbox()
        box.submit(hold, box, box, api_name="hold")
    launch(app, settings, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{settings.port}/gradio_api/queue/join", started, release
    finally:
        release.set()
        app.close()


def _shares() -> dict[str, int]:
    return {"queue_per_session": SHARES.queue_per_session, "queue_per_client": 3}


def _join(url: str, session: str) -> httpx.Response:
    body = {"data": ["x"], "fn_index": 0, "session_hash": session, "event_data": None}
    return httpx.post(url, json=body, timeout=10)


def test_a_served_session_cannot_fill_the_queue(
    held: tuple[str, threading.Event, threading.Event],
) -> None:
    url, started, release = held
    assert _join(url, "greedy").status_code == 200
    assert started.wait(10)  # running, no longer waiting
    joined = [_join(url, "greedy").status_code for _ in range(4)]
    assert joined == [200, 200, 503, 503]  # two wait, the session's share
    refused = _join(url, "greedy")
    assert refused.status_code == 503
    assert "2 requests of this session are already waiting" in refused.text
    # Someone else still gets in.
    assert _join(url, "patient").status_code == 200
    release.set()
