from pathlib import Path

import numpy as np
import pytest

from c5qa.index.lexical import chunk_tokens, token_ids
from c5qa.index.segments import ChunkTable, Entry, Segment, write
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
