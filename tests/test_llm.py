"""Written answers against a real OpenAI-compatible server: llama.cpp's, on loopback, with the
Gemma 3 270M model (c5qa.measure.llm_server). The model is weak; the verifier is what keeps
the answer honest, and these tests watch it do so on the model's real output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from c5qa.answer.render import to_json
from c5qa.answer.verify import Verifier
from c5qa.answer.written import about
from c5qa.app.llm import LanguageModel, LlmUnavailable
from c5qa.app.service import Service
from c5qa.measure.loadtest import free_port
from c5qa.settings import Settings

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FIRST_EXAMPLE = "What changed between the 2023 New York Declaration and the 2025 summit?"


def _service(corpus_service: Service, **llm: object) -> Service:
    settings = corpus_service.settings.replace(llm=True, llm_model="gemma3-270m", **llm)
    return Service(settings, corpus_service.embedder)


def test_the_server_streams_the_answer_in_pieces(llm_url: str) -> None:
    model = LanguageModel(Settings(llm_url=llm_url, llm_max_tokens=20))
    got = list(model.stream([{"role": "user", "content": "Name a country in Central Asia."}]))
    assert len(got) > 1 and "".join(got).strip()


def test_the_first_example_is_written_and_every_sentence_judged(
    llm_url: str, corpus_service: Service
) -> None:
    service = _service(corpus_service, llm_url=llm_url)
    drafts = list(service.write(FIRST_EXAMPLE))
    assert len(drafts) > 2 and drafts[-1].done and not any(d.done for d in drafts[:-1])
    assert any(d.writing for d in drafts)  # tokens arrive before their sentence ends
    answer = drafts[-1].answer
    assert answer.written, "the model wrote nothing"
    verifier = Verifier(service.encoder, service.settings)
    for sentence in answer.written:
        if sentence.verified:  # kept: it cites shown passages, and they back it
            assert sentence.cites and all(1 <= n <= len(answer.passages) for n in sentence.cites)
            cited = [answer.passages[n - 1].text for n in sentence.cites]
            context = "\n".join(about(answer, n) for n in sentence.cites)
            assert verifier.check(sentence.text, cited, context).verified
        else:
            assert sentence.reason
    shaped = to_json(answer)
    assert [w["verified"] for w in shaped["written"]] == [w.verified for w in answer.written]
    if not any(w.verified for w in answer.written):  # the quotes, with the reason
        assert answer.sections and "None of the" in answer.notes[-1]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "written-answer.json").write_text(json.dumps(shaped, indent=1, ensure_ascii=False))


def test_an_unreachable_or_failing_endpoint_gives_the_quotes_with_a_note(
    llm_url: str, corpus_service: Service
) -> None:
    secret = "sk-never-shown"
    for url, why in (
        (f"http://127.0.0.1:{free_port()}/v1", "could not be reached"),
        (llm_url.removesuffix("/v1") + "/nowhere", "answered HTTP 404"),
    ):
        service = _service(corpus_service, llm_url=url, llm_api_key=secret)
        (draft,) = list(service.write(FIRST_EXAMPLE))
        assert draft.done and draft.answer.sections
        assert why in draft.answer.notes[-1] and secret not in draft.answer.notes[-1]
        assert secret not in repr(service.settings)


def test_no_endpoint_configured_is_said() -> None:
    with pytest.raises(LlmUnavailable, match="llm_url"):
        LanguageModel(Settings())


def test_the_chat_writes_when_asked_and_offers_the_choice_only_with_a_model(
    llm_url: str, corpus_service: Service
) -> None:
    from c5qa.faces.ui import QUOTES, WRITTEN, build_app, respond

    service = _service(corpus_service, llm_url=llm_url)
    replies = list(respond(service, FIRST_EXAMPLE, [], None, "", "", "", WRITTEN))
    assert len(replies) > 2
    final = replies[-1][0].content
    assert "gemma3-270m" in final  # the note says who wrote, or why the quotes stand
    plain = Service(corpus_service.settings, corpus_service.embedder)
    for app_service, shown in ((service, True), (plain, False)):
        app = build_app(app_service)
        (radio,) = [
            c for c in app.config["components"] if c["props"].get("elem_id") == "answer-style"
        ]
        assert radio["props"]["visible"] is shown and radio["props"]["choices"][0][0] == QUOTES
