"""Written answers from a scripted stream: sentences, markers, verdicts and the fallbacks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from c5qa.answer.types import Answer
from c5qa.answer.verify import Verifier
from c5qa.answer.written import REFUSAL, messages, sentences, split_markers, write
from c5qa.app.service import Service
from c5qa.settings import Settings

QUESTION = "Which firm will upgrade Kazakhstan's air traffic management system?"


def pieces(text: str, size: int = 3) -> Iterator[str]:
    return iter([text[i : i + size] for i in range(0, len(text), size)])


def test_sentences_end_at_full_stops_not_at_initials_and_keep_their_markers() -> None:
    text = "President Donald J. Trump met U.S. leaders. [1] They agreed [2][3]. Last"
    ended = [e for e, _ in sentences(pieces(text, 1)) if e]
    assert ended == [
        "President Donald J. Trump met U.S. leaders. [1]",
        "They agreed [2][3].",
        "Last",
    ]
    assert split_markers("They agreed [2][3]. [2, 4]") == ("They agreed.", (2, 3, 4))


@pytest.fixture(scope="module")
def extractive(corpus_service: Service) -> Answer:
    answer = corpus_service.ask(QUESTION)
    assert not answer.abstained
    return answer


def _final(extractive: Answer, text: str, service: Service) -> Answer:
    verifier = Verifier(service.encoder, Settings())
    drafts = list(write(extractive, pieces(text), verifier, "the model"))
    assert drafts[-1].done and not any(d.done for d in drafts[:-1])
    return drafts[-1].answer


def test_supported_sentences_are_the_answer_and_the_others_are_set_apart(
    extractive: Answer, corpus_service: Service
) -> None:
    n = next(i for i, p in enumerate(extractive.passages, 1) if "Leidos" in p.text)
    text = (
        f"U.S. firm Leidos was awarded a $200 million contract to upgrade Kazakhstan's national "
        f"air traffic management system [{n}]. Leidos was paid $900 million [{n}]. "
        "Boeing will run the airports [99]. It is a good deal."
    )
    answer = _final(extractive, text, corpus_service)
    verdicts = [(w.verified, w.reason.split(":")[0]) for w in answer.written]
    assert verdicts == [
        (True, ""),
        (False, "not in the cited passages"),
        (False, "cites a source that was not shown"),
        (False, "cites no source"),
    ]
    assert answer.sections == () and answer.written[0].cites == (n,)
    assert "1 of 4 sentences are supported" in answer.notes[-1]


def test_a_refusal_or_nothing_supported_gives_the_quotes_with_a_note(
    extractive: Answer, corpus_service: Service
) -> None:
    refused = _final(extractive, REFUSAL, corpus_service)
    assert refused.sections == extractive.sections and "found no answer" in refused.notes[-1]
    unsupported = _final(extractive, "Airbus will do it [1].", corpus_service)
    assert unsupported.sections == extractive.sections
    assert unsupported.notes[-1].startswith("None of the 1 sentences")


def test_the_prompt_numbers_the_passages_as_the_answer_does(extractive: Answer) -> None:
    history = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    chat = messages(QUESTION, history, extractive)
    assert [m["role"] for m in chat] == ["user", "assistant", "user", "assistant", "user"]
    last = chat[-1]["content"]
    assert last.endswith(f"Question: {QUESTION}") and REFUSAL in last
    for n, passage in enumerate(extractive.passages, start=1):
        assert f"[{n}] (" in last and " ".join(passage.text.split())[:80] in last
