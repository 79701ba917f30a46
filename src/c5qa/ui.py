"""The Gradio web chat and its HTTP API (``/ask``, ``/retrieve``), on top of ``Service``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import gradio as gr

from c5qa.chat import escape_markdown, format_answer, format_source
from c5qa.index import IndexProblem
from c5qa.retrieval import Filters
from c5qa.service import Service
from c5qa.settings import Settings

EXAMPLES = [
    "What changed between the 2023 New York Declaration and the 2025 summit?",
    "Which firm will upgrade Kazakhstan's air traffic management system?",
    "What is the C5+1 Critical Minerals Dialogue?",
    "What did the 2015 Samarkand declaration say about Afghanistan?",
]

INTRO = (
    "## C5+1 assistant\n"
    "Ask about the C5+1 — the United States with Kazakhstan, Kyrgyzstan, Tajikistan, "
    "Turkmenistan and Uzbekistan. Every sentence of an answer is quoted from a document of the "
    "corpus and followed by its source number; open a source below the answer to read the "
    "passage."
)


def _filters(value: dict | None) -> Filters | None:
    if not value:
        return None
    sources = value.get("sources") or ()
    return Filters(
        sources=(sources,) if isinstance(sources, str) else tuple(sources),
        date_from=str(value.get("date_from") or ""),
        date_to=str(value.get("date_to") or ""),
    )


def build_app(service: Service) -> gr.Blocks:
    def respond(message: str, history: list[dict]) -> Iterator[list[gr.ChatMessage]]:
        question = (message or "").strip()
        if not question:
            yield [gr.ChatMessage(role="assistant", content="Please type a question.")]
            return
        try:
            answer = service.ask(question[: service.settings.max_question_chars], history=history)
        except IndexProblem as exc:
            yield [gr.ChatMessage(role="assistant", content=escape_markdown(str(exc)))]
            return
        text = format_answer(answer)
        words = text.split(" ")
        step = max(1, len(words) // 12)
        for i in range(step, len(words) + step, step):  # stream the answer as it is "spoken"
            yield [gr.ChatMessage(role="assistant", content=" ".join(words[:i]))]
        sources = []
        for n in range(1, len(answer.passages) + 1):
            title, body = format_source(answer, n)
            sources.append(
                gr.ChatMessage(
                    role="assistant", content=body, metadata={"title": title, "status": "done"}
                )
            )
        yield [gr.ChatMessage(role="assistant", content=text), *sources]

    def ask(
        question: str, history: list[dict] | None = None, k: int = 5, filters: dict | None = None
    ) -> dict[str, Any]:
        """The same JSON object as `c5qa ask --json`."""
        answer = service.ask(question, history=history or (), k=k, filters=_filters(filters))
        return answer.to_json()

    def retrieve(question: str, k: int = 5, filters: dict | None = None) -> list[dict[str, Any]]:
        """Ranked passages with full citation data."""
        passages = service.retrieve(question, k=k, filters=_filters(filters))
        return [p.to_json(n) for n, p in enumerate(passages, start=1)]

    with gr.Blocks(title="C5+1 assistant", fill_height=True) as app:
        gr.Markdown(INTRO)
        gr.ChatInterface(
            respond,
            chatbot=gr.Chatbot(
                label="Conversation",
                height=560,
                sanitize_html=True,
                placeholder="Ask a question about the C5+1.",
            ),
            examples=EXAMPLES,
            api_name="chat",
            fill_height=True,
        )
        gr.api(ask, api_name="ask")
        gr.api(retrieve, api_name="retrieve")
    return app


def serve(settings: Settings) -> None:
    """Bring the index up to date, then serve the chat."""
    service = Service(settings)
    report = service.index(progress=True, wait=60, on_notice=lambda m: print(m, file=sys.stderr))
    print(
        f"index: {report.documents} documents, {report.chunks} chunks "
        f"({report.embedded} embedded, {len(report.failed)} failed)",
        file=sys.stderr,
    )
    app = build_app(service)
    app.queue(default_concurrency_limit=4)
    app.launch(server_name=settings.host, server_port=settings.port, footer_links=["api"])
