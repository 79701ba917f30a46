import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from c5qa.app.service import Service
from c5qa.index import store as store_module
from c5qa.index.embedding import Embedder
from c5qa.index.store import FORMAT_VERSION, IndexCorrupt, IndexMissing, IndexOutdated, open_index
from tests.conftest import CORPUS, KAZAKHSTAN, NEW_YORK, SAMARKAND, TURKMENISTAN

quiet = {"on_notice": lambda message: None}


def test_build_writes_manifest_store_and_vectors(small_service: Service) -> None:
    report = small_service.index(**quiet)
    assert sorted(report.added) == sorted([KAZAKHSTAN, NEW_YORK, SAMARKAND, TURKMENISTAN])
    assert report.embedded == report.chunks > 4 and report.documents == 4
    store = open_index(small_service.settings.index_dir)
    assert store.check() == []
    manifest = store.manifest
    assert manifest["format"] == FORMAT_VERSION
    assert manifest["model"] == "sentence-transformers/all-MiniLM-L6-v2" and manifest["dim"] == 384
    assert manifest["chunker"]["size"] == small_service.settings.chunk_size
    assert manifest["documents"][KAZAKHSTAN]["sha256"] == store.documents[KAZAKHSTAN].sha256
    assert store.vectors.ntotal == len(store.chunks) == report.chunks


def test_the_model_is_loaded_only_when_something_needs_encoding(
    small_service: Service, embedder: Embedder
) -> None:
    """Loading the model is most of a no-op run's time (`make run` checks the index at every
    start): nothing new, or only removals, must not load it; new text or another model must."""
    from c5qa.index.store import current_generation, update_index

    loads: list[int] = []

    def counted() -> Embedder:
        loads.append(1)
        return embedder

    settings = small_service.settings
    assert update_index(settings, counted).added and len(loads) == 1  # first build
    assert update_index(settings, counted).embedded == 0 and len(loads) == 1  # no-op
    (settings.corpus_dir / TURKMENISTAN).unlink()
    assert update_index(settings, counted).removed == (TURKMENISTAN,) and len(loads) == 1
    (settings.corpus_dir / "new.txt").write_text("The Aral Sea fund received a new pledge.")
    assert update_index(settings, counted).added == ("new.txt",) and len(loads) == 2
    # The manifest names another model: the dimension must come from the model itself.
    manifest_path = (
        settings.index_dir / str(current_generation(settings.index_dir)) / "manifest.json"
    )
    manifest = json.loads(manifest_path.read_text())
    manifest["model"] = "some/other-model"
    manifest_path.write_text(json.dumps(manifest))
    report = update_index(settings, counted, on_notice=lambda message: None)
    assert len(loads) == 3 and report.rebuilt and report.embedded == report.chunks


def test_second_run_is_a_no_op_and_changes_are_incremental(small_service: Service) -> None:
    first = small_service.index(**quiet)
    again = small_service.index(**quiet)
    assert again.embedded == 0 and again.unchanged == 4 and again.generation == first.generation

    corpus = small_service.settings.corpus_dir
    (corpus / "new.txt").write_text("The Aral Sea restoration fund received a new pledge.")
    path = corpus / SAMARKAND
    path.write_text(path.read_text() + "\nAn appended sentence about the Pamir highway.\n")
    (corpus / TURKMENISTAN).unlink()
    report = small_service.index(**quiet)
    assert report.added == ("new.txt",) and report.updated == (SAMARKAND,)
    assert report.removed == (TURKMENISTAN,) and report.unchanged == 2
    store = open_index(small_service.settings.index_dir)
    embedded_now = sum(1 for c in store.chunks if c.source in ("new.txt", SAMARKAND))
    assert report.embedded == embedded_now
    assert TURKMENISTAN not in store.documents and store.check() == []
    top = small_service.retrieve("Pamir highway", k=1)[0]
    assert top.source == SAMARKAND and "Pamir highway" in top.text


def test_settings_change_rebuilds_everything(small_service: Service) -> None:
    small_service.index(**quiet)
    changed = Service(small_service.settings.replace(chunk_size=400), small_service.embedder)
    report = changed.index(**quiet)
    assert "chunker" in report.rebuilt
    assert report.embedded == report.chunks


def test_a_precision_change_rebuilds_with_its_reason(small_service: Service) -> None:
    """#18: the vectors' arithmetic is recorded; indexing in another one rebuilds, saying so."""
    small_service.index(**quiet)
    other = "fp32" if small_service.embedder.precision == "bf16" else "bf16"
    settings = small_service.settings.replace(encode_precision=other)
    report = Service(settings, Embedder(precision=other)).index(**quiet)
    assert report.rebuilt.startswith("precision changed from") and other in report.rebuilt
    assert report.embedded == report.chunks


def test_metadata_left_out_is_reported_and_the_text_indexed(small_service: Service) -> None:
    """#20: a file whose front matter is broken, or whose date is no date, is indexed under its
    file name; the report (and its JSON) says what was left out of which file."""
    corpus = small_service.settings.corpus_dir
    (corpus / "typo.md").write_text("---\ntitle: [oops\n---\nThe Zeravshan weir needs repair.\n")
    (corpus / "undated.md").write_text("---\ntitle: Undated\ndate: soon\n---\nText here.\n")
    report = small_service.index(**quiet)
    assert set(report.added) >= {"typo.md", "undated.md"} and report.failed == ()
    reasons = dict(report.ignored)
    assert reasons["typo.md"].startswith("front matter ignored: front matter is not valid YAML")
    assert reasons["undated.md"].startswith("date 'soon' ignored: not a date")
    assert {"source": "undated.md", "ignored": reasons["undated.md"]} in report.to_json()["ignored"]
    stored = small_service.store().documents["typo.md"]
    assert stored.title == "Typo" and stored.ignored == (reasons["typo.md"],)  # kept with it
    assert small_service.index(**quiet).ignored == ()  # said when read, not at every update


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("vectors.npy", _truncate),
        ("sentences.npy", _flip_a_byte),
        ("bm25", _flip_a_byte),
        ("vocab.index.json", _flip_a_byte),  # issue #21: `c5qa serve` died on this one
    ],
)
def test_corrupt_index_file_is_detected_and_rebuilt(
    small_service: Service, name: str, damage: Callable[[Path], None]
) -> None:
    """The rebuild's report says why it rebuilt: the damaged generation and file."""
    small_service.index(**quiet)
    index_dir = small_service.settings.index_dir
    generation = (index_dir / "CURRENT").read_text().strip()
    found = sorted(p for p in (index_dir / generation).rglob("*") if p.is_file())
    damaged = next(p for p in found if name in p.relative_to(index_dir / generation).parts)
    damage(damaged)
    with pytest.raises(IndexCorrupt, match="corrupted or truncated"):
        open_index(index_dir)
    notices: list[str] = []
    report = small_service.index(on_notice=notices.append)
    assert any("corrupted" in n for n in notices)
    assert report.embedded == report.chunks
    file = damaged.relative_to(index_dir).as_posix()
    assert report.rebuilt == (
        f"index generation {generation} is corrupt: index file {file} is corrupted or truncated"
    )
    assert report.to_json()["rebuilt"] == report.rebuilt
    assert open_index(index_dir).check() == []


def test_an_index_in_an_older_format_is_refused_and_rebuilt(small_service: Service) -> None:
    small_service.index(**quiet)
    index_dir = small_service.settings.index_dir
    path = index_dir / (index_dir / "CURRENT").read_text().strip() / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "format": FORMAT_VERSION - 1}))
    with pytest.raises(IndexOutdated, match="run `c5qa index`"):
        open_index(index_dir)
    report = small_service.index(**quiet)
    assert report.rebuilt.startswith("format changed") and report.embedded == report.chunks
    assert open_index(index_dir).check() == []


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing, match="c5qa index"):
        open_index(tmp_path)


def test_failed_files_are_reported_and_the_rest_indexed(small_service: Service) -> None:
    corpus = small_service.settings.corpus_dir
    (corpus / "junk.txt").write_bytes(bytes(range(256)) * 4)
    (corpus / "empty.md").write_text("")
    report = small_service.index(**quiet)
    failures = {f.source: f.error for f in report.failed}
    assert set(failures) == {"junk.txt", "empty.md"}
    assert "binary" in failures["junk.txt"] and "empty" in failures["empty.md"]
    assert report.documents == 4
    manifest = json.loads(
        (small_service.settings.index_dir / report.generation / "manifest.json").read_text()
    )
    assert {f["source"] for f in manifest["failed"]} == {"junk.txt", "empty.md"}


def test_renamed_file_reuses_vectors(small_service: Service) -> None:
    small_service.index(**quiet)
    corpus = small_service.settings.corpus_dir
    shutil.move(corpus / KAZAKHSTAN, corpus / "renamed.txt")
    report = small_service.index(**quiet)
    assert report.added == ("renamed.txt",) and report.removed == (KAZAKHSTAN,)
    assert report.embedded == 0
    assert small_service.retrieve("Leidos air traffic", k=1)[0].source == "renamed.txt"


def test_old_generations_are_pruned(small_service: Service) -> None:
    corpus = small_service.settings.corpus_dir
    for i in range(4):
        (corpus / f"extra{i}.txt").write_text(f"Extra document number {i}.")
        small_service.index(**quiet)
    generations = sorted(p.name for p in small_service.settings.index_dir.glob("gen-*"))
    assert len(generations) == 2
    assert (CORPUS / KAZAKHSTAN).exists()  # the seed corpus itself is never touched


def test_identical_files_are_both_citable_and_reported(small_service: Service) -> None:
    corpus = small_service.settings.corpus_dir
    shutil.copy(corpus / KAZAKHSTAN, corpus / "copy-of-kazakhstan.txt")
    report = small_service.index(**quiet)
    assert report.to_json()["duplicates"] == [sorted(["copy-of-kazakhstan.txt", KAZAKHSTAN])]
    store = open_index(small_service.settings.index_dir)
    per_doc = store.manifest["documents"]
    assert per_doc["copy-of-kazakhstan.txt"]["chunks"] == per_doc[KAZAKHSTAN]["chunks"]
    # encoded once: the copy's chunks were not counted again
    assert report.embedded == report.chunks - per_doc[KAZAKHSTAN]["chunks"]
    sources = {p.source for p in small_service.retrieve("Leidos air traffic", k=2)}
    assert sources == {"copy-of-kazakhstan.txt", KAZAKHSTAN}


def test_large_indexes_switch_to_hnsw(small_service: Service) -> None:
    import faiss

    from c5qa.retrieve.search import Filters

    hnsw = Service(small_service.settings.replace(hnsw_from=10), small_service.embedder)
    hnsw.index(**quiet)
    store = hnsw.store()
    assert isinstance(store.vectors, faiss.IndexHNSW) and store.check() == []
    assert "Leidos" in hnsw.retrieve("Leidos air traffic management", k=1)[0].text
    only = hnsw.retrieve("minerals", k=3, filters=Filters(sources=(NEW_YORK,)))
    assert only and {p.source for p in only} == {NEW_YORK}


def _segments(index_dir: Path) -> dict[str, int]:
    """segment name → inode of its vectors file, in the current generation."""
    generation = index_dir / (index_dir / "CURRENT").read_text().strip()
    return {p.parent.name: p.stat().st_ino for p in generation.glob("seg-*/vectors.npy")}


def test_updates_write_only_new_segments_and_rewrite_mostly_dead_ones(
    small_service: Service,
) -> None:
    index_dir, corpus = small_service.settings.index_dir, small_service.settings.corpus_dir
    small_service.index(**quiet)
    (first,) = _segments(index_dir).items()
    (corpus / "new.txt").write_text("The Aral Sea restoration fund received a new pledge.")
    report = small_service.index(**quiet)
    after = _segments(index_dir)
    assert report.embedded == 1 and len(after) == 2
    assert after[first[0]] == first[1]  # the old segment is shared (hard link), not rewritten
    manifest = open_index(index_dir).manifest
    assert manifest["documents"]["new.txt"]["segment"] != manifest["documents"][NEW_YORK]["segment"]

    for name in (KAZAKHSTAN, SAMARKAND, TURKMENISTAN):
        (corpus / name).unlink()
    report = small_service.index(**quiet)
    store = open_index(index_dir)
    assert report.embedded == 0 and store.check() == []
    assert set(store.documents) == {NEW_YORK, "new.txt"}
    live: dict[str, int] = {}
    for record in store.manifest["documents"].values():
        live[record["segment"]] = live.get(record["segment"], 0) + record["chunks"]
    for segment in store.manifest["segments"]:  # none is left mostly dead
        assert 2 * live[segment["name"]] >= segment["chunks"]
    assert small_service.retrieve("Aral Sea restoration fund", k=1)[0].source == "new.txt"
    assert small_service.retrieve("critical minerals dialogue", k=1)[0].source == NEW_YORK


def test_added_documents_keep_few_segments(small_service: Service) -> None:
    corpus = small_service.settings.corpus_dir
    small_service.index(**quiet)
    for i in range(6):
        (corpus / f"note{i}.txt").write_text(f"Field note {i} on the Caspian ferry line.")
        small_service.index(**quiet)
        sizes = [
            s["chunks"] for s in open_index(small_service.settings.index_dir).manifest["segments"]
        ]
        assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes), sizes
    assert len(sizes) <= 3


def test_unchanged_files_are_known_by_their_stat_and_changes_still_found(
    small_service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file older than the racy window is known by its stat next time; one written just
    before the scan is not. The scan's clock is pinned to just after the fresh file was
    written, so a stall between that write and the scan (a loaded machine) changes nothing;
    the only wait is for the copied files to leave the window, read from their own times."""
    corpus, index_dir = small_service.settings.corpus_dir, small_service.settings.index_dir
    changed = [max(p.stat().st_mtime_ns, p.stat().st_ctime_ns) for p in corpus.iterdir()]
    # File times come from the kernel's coarse clock (a tick behind time_ns): 0.1 s margin.
    while time.time_ns() <= max(changed) + store_module._RACY_NS + 100_000_000:
        time.sleep(0.05)  # the copies leave the racy window: their stat can be trusted
    fresh = corpus / "fresh.txt"
    fresh.write_text("Written just before the scan: hashed again next time.")
    written = max(fresh.stat().st_mtime_ns, fresh.stat().st_ctime_ns)
    clock = SimpleNamespace(time_ns=lambda: written + 1, perf_counter=time.perf_counter)
    with monkeypatch.context() as patched:
        patched.setattr(store_module, "time", clock)  # the scan starts right after the write
        small_service.index(**quiet)
    records = open_index(index_dir).manifest["documents"]
    assert records["fresh.txt"]["stat"] is None and records[KAZAKHSTAN]["stat"] is not None

    path = corpus / SAMARKAND
    before = path.stat()
    text = path.read_text()
    path.write_text(text.replace("Samarkand", "Samarqand", 1))  # same size, new content
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old mtime
    report = small_service.index(**quiet)
    assert report.updated == (SAMARKAND,) and report.embedded > 0


def test_rebuilding_an_older_format_gives_documents_their_blocks(small_service: Service) -> None:
    """Blocks are recorded when a document is read; the format bump makes `c5qa index` read
    every document of an index written before blocks existed."""
    small_service.index(**quiet)
    index_dir = small_service.settings.index_dir
    path = index_dir / (index_dir / "CURRENT").read_text().strip() / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "format": 2}))
    assert small_service.index(**quiet).rebuilt == f"format changed from 2 to {FORMAT_VERSION}"
    documents = open_index(index_dir).documents.values()
    assert documents and all(document.blocks for document in documents)
