from pathlib import Path

import pytest

from c5qa.answer.reader import Cited
from c5qa.answer.render import markdown
from c5qa.app.service import Service
from c5qa.index.embedding import Embedder
from c5qa.query.request import BadRequest
from c5qa.settings import Settings
from tests.conftest import TURKMENISTAN, bench_script, chardara_pdf


def test_follow_up_uses_the_previous_question(corpus_service: Service) -> None:
    history = [
        {"role": "user", "content": "What commercial deals did Kazakhstan announce in Washington?"},
        {"role": "assistant", "content": "Boeing aircraft, Wabtec locomotives and more."},
    ]
    passages = corpus_service.retrieve("What about Turkmenistan?", history=history, k=5)
    # Turkmenistan's deals (its fact sheet, or the analysis quoting it), not Kazakhstan's again.
    assert any(p.source == TURKMENISTAN or "preferential treatment" in p.text for p in passages)
    assert sum("Turkmen" in p.text for p in passages) >= 3


def test_follow_up_resolves_it(corpus_service: Service) -> None:
    history = [
        {"role": "user", "content": "What is the C5+1 Critical Minerals Dialogue?"},
        {"role": "assistant", "content": "A forum on critical minerals."},
    ]
    answer = corpus_service.ask("Who proposed it?", history=history)
    assert not answer.abstained
    assert any("proposed" in p.text and "Critical Minerals" in p.text for p in answer.passages)
    alone = corpus_service.retrieve("Who proposed it?", k=5)
    assert not any("Critical Minerals Dialogue" in p.text for p in alone[:1])


def test_service_reloads_a_new_generation(small_service: Service) -> None:
    small_service.index(on_notice=lambda m: None)
    first = small_service.store().generation
    corpus = small_service.settings.corpus_dir
    (corpus / "late.txt").write_text("The Pamir highway survey was completed in spring.")
    writer = Service(small_service.settings, small_service.embedder)
    writer.index(on_notice=lambda m: None)
    assert small_service.store().generation != first
    assert small_service.retrieve("Pamir highway survey", k=1)[0].source == "late.txt"


def test_status(corpus_service: Service) -> None:
    status = corpus_service.status()
    assert status.documents == 17 and status.chunks > 17 and status.model.endswith("MiniLM-L6-v2")


def test_bad_questions_get_clear_replies(corpus_service: Service) -> None:
    from c5qa.app.service import NOT_ENGLISH, NOTHING_TO_SEARCH

    for question in ("", "   ", "?!…", "\x00\x07\x1b"):
        answer = corpus_service.ask(question)
        assert answer.abstained and markdown(answer) == NOTHING_TO_SEARCH and answer.passages == ()
    long = corpus_service.ask("Leidos " + "x" * 100_000)
    assert len(long.question) == corpus_service.settings.max_question_chars
    assert "Only the first 2,000 characters of the question were used." in markdown(long)
    controls = corpus_service.ask("Which firm\x00 will upgrade\x1b Kazakhstan's air traffic?")
    assert "\x00" not in controls.question and "Leidos" in markdown(controls)
    for question in (
        "Какие сделки заключил Казахстан?",
        "中亚五国峰会讨论了什么？",
        "Qozog'iston qanday kelishuvlar imzoladi?",
        "Қозоғистон қандай битимлар?",
    ):
        answer = corpus_service.ask(question)
        assert isinstance(markdown(answer), str) and len(answer.passages) in (0, 5)
        latin = question.startswith("Qozog")  # Uzbek in Latin script: no way to tell
        assert (NOT_ENGLISH in markdown(answer)) == (answer.abstained and not latin)
    assert NOT_ENGLISH not in markdown(corpus_service.ask("What is a good recipe for plov?"))


def test_compare_takes_untrusted_themes_too(corpus_service: Service) -> None:
    from c5qa.app.service import NOTHING_TO_SEARCH

    assert markdown(corpus_service.compare(" \x00 ?! ")) == NOTHING_TO_SEARCH
    long = corpus_service.compare("security " + "y" * 50_000)
    assert len(long.question) == corpus_service.settings.max_question_chars


def test_warm_loads_the_model_and_the_index(small_service: Service) -> None:
    small_service.index(on_notice=lambda message: None)
    fresh = Service(small_service.settings)
    assert not fresh.warmed  # nothing is loaded until asked for
    fresh.warm()
    assert fresh.warmed


def test_every_answer_matches_the_recorded_snapshot(corpus_service: Service) -> None:
    """The behaviour guard (`python bench/answers.py check` through the command line, here
    through the service): every answer on the nine question sets is the one recorded in
    eval/snapshot.jsonl. A change meant to alter answers records them again, after the diff
    has been read; a refactoring leaves them byte-identical."""
    import json

    from c5qa.answer.render import to_json
    from c5qa.ingest.blocks import NOT_CONTENT, QUOTED_WHEN_ASKED, kind_at
    from c5qa.measure.evaluation import load_questions

    answers = bench_script("answers")
    store = corpus_service.store()
    now, shown = [], []
    for p in answers.SETS:
        for q in load_questions(p):
            answer = corpus_service.ask(q.question, history=q.history)
            now.append(answers.record(to_json(answer), p.stem, q.id))
            # Only a question about a picture may quote its caption (a date its dateline, a
            # signing its signature block).
            asked = corpus_service.analyze(q.question, q.history).quotable
            hidden = (NOT_CONTENT | QUOTED_WHEN_ASKED) - asked
            shown += [
                (q.id, c.text)
                for c in answer.citations
                if kind_at(store.documents[c.source].blocks, c.start, c.end) in hidden
            ]
    # No caption, bill header, wire credit or repeated title is quoted as content (#15); the
    # sentences themselves are whole (tests/test_chunking.py counts fragments corpus-wide).
    assert not shown, shown[:10]
    lines = answers.SNAPSHOT.read_text(encoding="utf-8").splitlines()
    changed = answers.differences([json.loads(line) for line in lines], now)
    assert not changed, f"{len(changed)} answers changed: {changed[:10]}"


def test_the_reader_opens_indexed_documents_and_their_files_only(
    tmp_path: Path, embedder: Embedder
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    chardara_pdf(corpus / "chardara.pdf")
    (tmp_path / "secret.txt").write_text("not in the corpus")
    service = Service(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), embedder)
    service.index(on_notice=lambda message: None)
    assert service.original("chardara.pdf") == (corpus / "chardara.pdf").resolve()
    for name in ("../secret.txt", "/etc/passwd", "missing.pdf", "chardara.pdf/.."):
        with pytest.raises(BadRequest, match="no document"):
            service.original(name)
    text = service.store().documents["chardara.pdf"].text
    start = text.index("The committee")
    end = text.index("arrive.") + len("arrive.")
    reading = service.read("chardara.pdf", [Cited(start, end, text[start:end])])
    pages = [service.page(reading, n) for n in (1, 2)]  # the quote crosses the page break
    assert [(p.number, p.count, p.missed, bool(p.boxes)) for p in pages] == [
        (1, 2, 0, True),
        (2, 2, 0, True),
    ]
    (corpus / "chardara.pdf").unlink()  # indexed, but gone from the disk since
    with pytest.raises(BadRequest, match="no longer in the corpus"):
        service.original("chardara.pdf")
