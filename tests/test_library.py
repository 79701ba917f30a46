"""``c5qa.app.library``: the index as the running app holds it, on a real four-document corpus."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from c5qa.answer.types import Answer
from c5qa.app.library import DocumentRow
from c5qa.app.service import Service
from c5qa.index.store import IndexCorrupt, IndexProblem
from tests.conftest import KAZAKHSTAN, NEW_YORK, SAMARKAND, TURKMENISTAN

# A word none of the four documents uses, in a file with no front matter (so no date).
NEW_WORD = "Zeppelin"
LATE = f"The {NEW_WORD} survey of the Pamir highway was completed in spring."
quiet = {"on_notice": lambda message: None}


def _indexed(service: Service) -> Service:
    service.index(on_notice=lambda message: None)
    return service


def test_an_indexed_library_lists_its_documents_oldest_first_and_its_status(
    small_service: Service,
) -> None:
    """One indexing run (they cost seconds) for what the Documents tab and ``status`` show."""
    library = small_service.library
    assert not library.has_index()
    _indexed(small_service)
    assert library.has_index()
    rows = library.documents()
    assert all(isinstance(row, DocumentRow) for row in rows)
    # Two fact sheets share a day: then the file name decides.
    assert [row.source for row in rows] == [SAMARKAND, NEW_YORK, KAZAKHSTAN, TURKMENISTAN]
    assert [row.date for row in rows] == ["2015-11-01", "2023-09-21", "2025-11-07", "2025-11-07"]
    store = library.store()
    for row in rows:
        first, last = store.ranges[row.source]
        assert row.chunks == last - first > 0
        assert row.title == store.documents[row.source].title != ""
    assert sum(row.chunks for row in rows) == len(store.chunks)
    status = library.status()
    assert status.generation == store.generation
    assert (status.documents, status.chunks) == (4, len(store.chunks))
    assert status.model.endswith("all-MiniLM-L6-v2")
    assert status.created and status.failed == ()


def test_current_is_kept_until_a_writer_commits_a_new_generation(small_service: Service) -> None:
    """A request in flight keeps its generation; the next one sees the new one, and question
    analysis sees the new documents' words."""
    library = _indexed(small_service).library
    store, corpus = library.current()
    assert library.current()[0] is store and library.current()[1] is corpus
    assert library.store() is store
    assert "zeppelin" not in corpus.vocabulary
    corpus_dir = small_service.settings.corpus_dir
    (corpus_dir / "late.txt").write_text(LATE, encoding="utf-8")
    # Another process's writer: this library learns of it only through CURRENT.
    _indexed(Service(small_service.settings, small_service.embedder))
    new_store, new_corpus = library.current()
    assert new_store is not store and new_store.generation != store.generation
    assert "zeppelin" in new_corpus.vocabulary
    assert library.current()[0] is new_store
    # The undated file is listed last.
    assert [row.source for row in library.documents()][-1] == "late.txt"
    assert library.status().documents == 5


def test_an_upload_is_saved_into_the_corpus_and_indexed(
    small_service: Service, tmp_path: Path
) -> None:
    library = _indexed(small_service).library
    upload = tmp_path / "upload-tmp-1234"
    upload.write_text(LATE, encoding="utf-8")
    results, report = library.add([(upload, "Pamir survey.txt")])
    assert results == [("Pamir survey.txt", "Pamir survey.txt", "indexed")]
    assert report.added == ("Pamir survey.txt",)
    assert (small_service.settings.corpus_dir / "Pamir survey.txt").read_text() == LATE
    assert "zeppelin" in library.current()[1].vocabulary
    # The same file again changes nothing; a name that is no document is refused.
    again, _ = library.add([(upload, "Pamir survey.txt"), (upload, "survey.exe")])
    assert again[0] == (
        "Pamir survey.txt",
        "Pamir survey.txt",
        "unchanged: already in the corpus (identical content)",
    )
    assert again[1][1] == "" and again[1][2].startswith("refused: ")


# ---------------------------------------------------------------------------------------------
# A damaged index (issue #21): refused in one exception type, the last good generation served
# when one is intact, and rebuilt by the next update.

QUESTION = "Which firm will upgrade Kazakhstan's air traffic management system?"


def _leidos(answer: Answer) -> bool:
    """Whether the answer is the right one: the Leidos contract, quoted from its fact sheet."""
    return any(q.source == KAZAKHSTAN and "Leidos" in q.text for q in answer.citations[:2])


def _flip_bytes(path: Path, start: int = 0, every: int = 97) -> None:
    """XOR every ``every``-th byte from ``start`` in place (same inode: open files see it)."""
    data = bytearray(path.read_bytes())
    for at in range(start, len(data), every):
        data[at] ^= 0xFF
    with path.open("r+b") as fh:
        fh.write(bytes(data))


def test_sentence_vectors_damaged_while_serving_are_refused_then_rebuilt(
    small_service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    """Flipped bytes in the live generation's sentences.npy: the next question is refused with
    IndexCorrupt (not an IndexError, not another answer), the store is dropped so the next
    request's checksum pass names the file, and an update rebuilds it with the reason."""
    _indexed(small_service)
    assert _leidos(small_service.ask(QUESTION))
    spoiled = small_service.store()
    generation = spoiled.generation
    (path,) = (small_service.settings.index_dir / generation).glob("seg-*/sentences.npy")
    header = path.stat().st_size - len(spoiled.sentences[0]) * 384 * 2
    # The high byte (sign, exponent) of every value: whatever the question reads is damaged.
    _flip_bytes(path, start=header + 1, every=2)

    with pytest.raises(IndexCorrupt, match=r"sentences\.npy is corrupted: rows"):
        small_service.ask(QUESTION)
    assert spoiled.spoiled
    # The next request loads the generation again; its checksum pass finds the damage, and
    # with no earlier generation to serve every entry point refuses alike.
    for call in (small_service.library.current, small_service.status, small_service.documents):
        with pytest.raises(IndexCorrupt, match=f"{generation}/seg-.*sentences.npy is corrupted"):
            call()
    with pytest.raises(IndexCorrupt):
        small_service.ask(QUESTION)
    assert "index.spoiled" in caplog.text

    report = small_service.index(**quiet)
    assert report.rebuilt.startswith(f"index generation {generation} is corrupt: index file ")
    assert "sentences.npy is corrupted or truncated" in report.rebuilt
    assert report.embedded == report.chunks
    assert _leidos(small_service.ask(QUESTION))
    assert small_service.status().generation == report.generation != generation


def _two_generations(service: Service) -> tuple[str, str]:
    """Index the four documents, then add one: (first generation, second generation). The
    second keeps the first's segment (hard links) and writes its own BM25 files."""
    first = _indexed(service).store().generation
    (service.settings.corpus_dir / "late.txt").write_text(LATE, encoding="utf-8")
    second = service.index(**quiet).generation
    assert second != first
    return first, second


def test_a_damaged_generation_falls_back_to_the_last_good_one(
    small_service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    """The case of `c5qa serve` at start: the current generation's BM25 vocabulary is damaged;
    the one before it, verified by its own checksums, is served, and the update that follows
    rebuilds with the reason."""
    first, second = _two_generations(small_service)
    index_dir = small_service.settings.index_dir
    _flip_bytes(index_dir / second / "bm25" / "vocab.index.json", start=5, every=50)
    starting = Service(small_service.settings, small_service.embedder)  # a fresh process
    caplog.set_level(logging.INFO, logger="c5qa")

    assert starting.store().generation == first
    assert "index.fallback" in caplog.text
    assert starting.status().generation == first and starting.status().documents == 4
    assert "late.txt" not in [row.source for row in starting.documents()]
    assert _leidos(starting.ask(QUESTION))

    report = starting.index(**quiet)
    assert report.rebuilt == (
        f"index generation {second} is corrupt: index file {second}/bm25/vocab.index.json "
        "is corrupted or truncated"
    )
    assert starting.store().generation == report.generation not in (first, second)
    assert starting.status().documents == 5


def test_with_no_intact_generation_every_entry_point_raises_index_problem(
    small_service: Service,
) -> None:
    """Damage in a segment both generations share (a hard link) leaves nothing to serve: the
    faces get an IndexProblem from each entry point, never another exception type; a damaged
    CURRENT pointer too."""
    first, second = _two_generations(small_service)
    index_dir = small_service.settings.index_dir
    (shared,) = (index_dir / first).glob("seg-*/documents.json")
    assert (index_dir / second / shared.parent.name / shared.name).samefile(shared)
    _flip_bytes(shared, start=20, every=40)
    starting = Service(small_service.settings, small_service.embedder)
    calls = (starting.library.current, starting.store, starting.status, starting.documents)
    for call in (*calls, lambda: starting.ask(QUESTION)):
        with pytest.raises(IndexCorrupt, match=f"{second}/seg-.*documents.json is corrupted"):
            call()

    (index_dir / "CURRENT").unlink()
    (index_dir / "CURRENT").mkdir()  # unreadable as a file: an OSError underneath
    for call in calls:
        with pytest.raises(IndexProblem, match="CURRENT is unreadable"):
            call()


def test_an_upload_too_slow_to_encode_is_refused_with_its_estimate(
    small_service: Service, tmp_path: Path
) -> None:
    """Indexing holds the index lock: an upload whose encoding would take longer than
    upload_budget_s (by its passages and the speed the last update measured) is refused
    before it reaches the corpus, and says why; one that fits is indexed."""
    small_service.index(on_notice=lambda message: None)
    rate = small_service.library.encode_rate()
    assert rate > 0
    sentences = " ".join(f"The Pamir survey team mapped valley {i} in detail." for i in range(900))
    big = tmp_path / "survey.txt"
    big.write_text(sentences, encoding="utf-8")
    tight = Service(small_service.settings.replace(upload_budget_s=0.5), small_service.embedder)
    results, _ = tight.add_documents([(big, "survey.txt")])
    ((uploaded, saved, outcome),) = results
    assert uploaded == "survey.txt" and saved == ""
    assert outcome.startswith("refused: ") and "passages would take about" in outcome
    assert not (small_service.settings.corpus_dir / "survey.txt").exists()
    small = tmp_path / "note.txt"
    small.write_text("The Pamir survey team mapped one valley.", encoding="utf-8")
    results, _ = tight.add_documents([(small, "note.txt")])
    assert results[0][2] == "indexed"


def test_an_update_that_encodes_enough_records_the_machine_s_speed(
    small_service: Service,
) -> None:
    """The four documents make 29 passages: too few to time the model rather than its
    loading, so the fallback speed is used; a longer document gets the speed measured, and
    an update that encodes nothing keeps it."""
    from c5qa.index.store import encode_rate

    assert encode_rate(64, 2.0, None) == 32.0
    assert encode_rate(3, 2.0, None) == 0.0
    first = small_service.index(on_notice=lambda message: None)
    assert first.embedded == 29 and "encode_rate" not in small_service.store().manifest
    fallback = small_service.settings.encode_rate_fallback
    assert small_service.library.encode_rate() == fallback
    long = " ".join(f"The Pamir survey team mapped valley {i} in detail." for i in range(900))
    (small_service.settings.corpus_dir / "survey.txt").write_text(long, encoding="utf-8")
    assert small_service.index(on_notice=lambda message: None).embedded >= 32
    measured = small_service.store().manifest["encode_rate"]
    assert measured > 0 and small_service.library.encode_rate() == measured
    (small_service.settings.corpus_dir / "survey.txt").unlink()
    small_service.index(on_notice=lambda message: None)  # a removal: nothing encoded
    assert small_service.store().manifest["encode_rate"] == measured
