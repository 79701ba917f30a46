import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from c5qa.index.lexical import chunk_tokens, token_ids
from c5qa.index.segments import (
    NORM_TOLERANCE,
    SENTENCE_DTYPE,
    ChunkTable,
    Entry,
    RowFile,
    RowsCorrupt,
    Segment,
    document_from_record,
    document_record,
    write,
)
from c5qa.ingest.blocks import Block
from c5qa.ingest.chunking import chunk_document
from c5qa.ingest.documents import load_document
from tests.conftest import CORPUS, KAZAKHSTAN, NEW_YORK, SAMARKAND

DIM = 384


def _entries(names: list[str], seed: int = 0) -> list[Entry]:
    """Real documents and chunks; vectors are arbitrary unit vectors (storage does not care)."""
    rng = np.random.default_rng(seed)
    entries = []
    for name in names:
        document = load_document(CORPUS / name, CORPUS, 10**8)
        chunks = chunk_document(document, 900, 1)
        n_sentences = sum(len(c.sentences) for c in chunks)
        vectors = rng.standard_normal((len(chunks), DIM)).astype(np.float32)
        sentences = rng.standard_normal((n_sentences, DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        sentences /= np.linalg.norm(sentences, axis=1, keepdims=True)
        tokens = [chunk_tokens(f"{document.title}\n{c.text}") for c in chunks]
        entries.append(Entry(document, chunks, vectors, sentences, tokens))
    return entries


@pytest.fixture
def written(tmp_path: Path) -> tuple[Segment, list[Entry]]:
    entries = _entries([KAZAKHSTAN, NEW_YORK, SAMARKAND])
    write(tmp_path / "seg", entries, DIM)
    return Segment(tmp_path / "seg"), entries


def test_a_segment_gives_back_what_was_written(written: tuple[Segment, list[Entry]]) -> None:
    segment, entries = written
    assert [d.source for d in segment.documents()] == [e.document.source for e in entries]
    again = segment.entries([0, 2])
    for before, after in zip([entries[0], entries[2]], again, strict=True):
        assert after.document == before.document and after.chunks == before.chunks
        assert after.tokens == before.tokens
        assert np.array_equal(after.vectors, before.vectors)
        # half precision: a cosine moves by less than 1e-3
        assert (
            np.abs(after.sentence_vectors.astype(np.float32) - before.sentence_vectors).max() < 1e-3
        )


def test_a_table_of_live_documents_skips_the_dead_ones(
    written: tuple[Segment, list[Entry]],
) -> None:
    segment, entries = written
    live = {e.document.source: e.document for e in (entries[0], entries[2])}
    sources = [e.document.source for e in entries]
    table = ChunkTable.select(live, [(segment, sources, segment.rows([0, 2]))])
    assert list(table) == entries[0].chunks + entries[2].chunks
    assert table[-1] == entries[2].chunks[-1] and table[1:3] == list(table)[1:3]
    first = len(entries[0].chunks)
    assert table.ranges() == {sources[0]: (0, first), sources[2]: (first, len(table))}
    assert table.misplaced() is None
    ids, lengths, vocab = segment.tokens([0, 2])
    expected = token_ids(entries[0].tokens + entries[2].tokens)
    assert [vocab[i] for i in ids] == [expected[2][i] for i in expected[0]]
    assert lengths.tolist() == expected[1].tolist()


def test_offsets_outside_the_text_are_found(written: tuple[Segment, list[Entry]]) -> None:
    segment, entries = written
    live = {e.document.source: e.document for e in entries}
    table = ChunkTable.select(live, [(segment, list(live), segment.rows([0, 1, 2]))])
    table.columns["end"][3] = len(entries[0].document.text) + len(entries[1].document.text)
    assert table.misplaced() == 3


# ---------------------------------------------------------------------------------------------
# The per-read guard of sentence vectors (``RowFile``): damage after the load's checksum pass.


def _sentences(segment: Segment) -> tuple[RowFile, Path, int]:
    """The segment's sentence file opened for reading, its path and where its rows begin."""
    rows = segment.sentences()
    path = segment.directory / "sentences.npy"
    return rows, path, path.stat().st_size - len(rows) * DIM * 2


def _rewrite(path: Path, change: Callable[[bytearray], None]) -> None:
    """Change the file in place (same inode), as damage on disk does: the open file sees it."""
    data = bytearray(path.read_bytes())
    change(data)
    with path.open("r+b") as fh:
        fh.write(bytes(data))
        fh.truncate(len(data))


def test_intact_rows_pass_the_guard_and_come_back_as_written(
    written: tuple[Segment, list[Entry]],
) -> None:
    segment, entries = written
    rows, _, _ = _sentences(segment)
    everything = np.concatenate([e.sentence_vectors for e in entries])
    assert len(rows) == len(everything)
    for start in range(0, len(rows), 7):
        got = rows.rows(start, start + 7).astype(np.float32)
        assert np.abs(got - everything[start : start + 7]).max() < 1e-3
    assert rows.rows(len(rows), len(rows) + 3).shape == (0, DIM)


def test_no_intact_half_precision_row_comes_near_the_norm_tolerance() -> None:
    """The tolerance holds with a margin for any normalised vector stored as float16 (the
    real corpus's rows stray 5.5e-5 at most): 200k random directions stay under half of it."""
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((200_000, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    stored = vectors.astype(SENTENCE_DTYPE).astype(np.float32)
    assert np.abs(np.linalg.norm(stored, axis=1) - 1).max() < NORM_TOLERANCE / 2


def _exponent_flipped(data: bytearray, at: int) -> None:
    """The high byte of one value (sign and exponent bits): the value is far off."""
    data[at + 101] ^= 0x7F


def _nan(data: bytearray, at: int) -> None:
    data[at + 10 : at + 12] = np.array([np.nan], SENTENCE_DTYPE).tobytes()


def _infinite(data: bytearray, at: int) -> None:
    data[at + 10 : at + 12] = np.array([np.inf], SENTENCE_DTYPE).tobytes()


def _zeroed_row(data: bytearray, at: int) -> None:
    """A whole row of zeros, as a lost block reads."""
    data[at : at + 2 * DIM] = bytes(2 * DIM)


def _other_header(data: bytearray, at: int) -> None:
    """Another dtype in the header: what was read at open no longer holds."""
    data[:at] = data[:at].replace(b"<f2", b"<i2")


def _cut_short(data: bytearray, at: int) -> None:
    del data[at + 3 :]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_exponent_flipped, "no unit vectors"),
        (_nan, "no unit vectors"),
        (_infinite, "no unit vectors"),
        (_zeroed_row, "no unit vectors"),
        (_other_header, "header"),
        (_cut_short, "truncated"),
    ],
)
def test_damage_after_opening_is_refused_on_the_next_read(
    written: tuple[Segment, list[Entry]],
    damage: Callable[[bytearray, int], None],
    message: str,
) -> None:
    segment, _ = written
    rows, path, start = _sentences(segment)
    assert rows.rows(0, 4).shape == (4, DIM)  # intact until the file changes
    _rewrite(path, lambda data: damage(data, start))
    with pytest.raises(RowsCorrupt, match=message) as caught:
        rows.rows(0, 4)
    assert "seg/sentences.npy" in str(caught.value)
    assert isinstance(caught.value, ValueError)  # loaders' ValueError handling covers it


def test_blocks_are_written_and_read_back_as_blocks(
    written: tuple[Segment, list[Entry]],
) -> None:
    segment, entries = written
    for before, after in zip(entries, segment.documents(), strict=True):
        assert before.document.blocks and after.blocks == before.document.blocks
        assert all(isinstance(block, Block) for block in after.blocks)


def test_a_segment_written_before_blocks_still_loads(
    written: tuple[Segment, list[Entry]],
) -> None:
    segment, entries = written
    path = segment.directory / "documents.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps([{k: v for k, v in r.items() if k != "blocks"} for r in records]))
    old = Segment(segment.directory).documents()
    assert [d.blocks for d in old] == [()] * len(entries)
    assert [d.text for d in old] == [e.document.text for e in entries]
    assert document_from_record(document_record(entries[0].document)) == entries[0].document
