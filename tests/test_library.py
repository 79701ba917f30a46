"""``c5qa.app.library``: the index as the running app holds it, on a real four-document corpus."""

from __future__ import annotations

from pathlib import Path

from c5qa.app.library import DocumentRow
from c5qa.app.service import Service
from tests.conftest import KAZAKHSTAN, NEW_YORK, SAMARKAND, TURKMENISTAN

# A word none of the four documents uses, in a file with no front matter (so no date).
NEW_WORD = "Zeppelin"
LATE = f"The {NEW_WORD} survey of the Pamir highway was completed in spring."


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
