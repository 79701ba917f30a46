from pathlib import Path

import numpy as np
import pytest

from c5qa.index.embedding import (
    BUNDLED_MODEL,
    Embedder,
    native_bf16,
    resolve_model,
    resolve_precision,
)


def test_bundled_model_is_the_default(embedder: Embedder) -> None:
    assert resolve_model("")[0] == BUNDLED_MODEL
    assert embedder.name == BUNDLED_MODEL and embedder.dim == 384 and embedder.max_tokens == 256


def test_vectors_are_normalised_and_meaningful(embedder: Embedder) -> None:
    vectors = embedder.encode(["locomotives from Wabtec", "rail equipment order", "a recipe"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert embedder.encode([]).shape == (0, 384)


def test_chunk_vectors_match_plain_encode_and_sentences_are_close(embedder: Embedder) -> None:
    text = (
        "The leaders launched a Critical Minerals Dialogue. "
        "They also discussed student exchanges and scholarships."
    )
    spans = [(0, 51), (52, len(text))]
    chunks, sentences = embedder.encode_chunks([text], [spans])
    assert np.allclose(chunks[0], embedder.encode([text])[0], atol=1e-4)
    assert sentences[0].shape == (2, 384)
    alone = embedder.encode([text[s:e] for s, e in spans])
    # A sentence's pooled tokens stay close to the sentence encoded on its own...
    assert float(sentences[0][0] @ alone[0]) > 0.7 and float(sentences[0][1] @ alone[1]) > 0.7
    # ...and distinguish the two topics.
    query = embedder.encode(["critical minerals"])[0]
    assert sentences[0][0] @ query > sentences[0][1] @ query


def test_precision_is_bf16_only_where_the_cpu_has_it(tmp_path: Path) -> None:
    with_bf16 = tmp_path / "bf16"
    with_bf16.write_text("flags\t\t: fpu sse avx2 avx512f avx512_bf16 amx_tile\n")
    without = tmp_path / "plain"
    without.write_text("flags\t\t: fpu sse avx2 avx512f\n")
    assert native_bf16(with_bf16) and not native_bf16(without)
    assert not native_bf16(tmp_path / "missing")  # no /proc/cpuinfo: fp32
    assert resolve_precision("fp32") == "fp32" and resolve_precision("bf16") == "bf16"
    assert resolve_precision("auto") == ("bf16" if native_bf16() else "fp32")
    with pytest.raises(ValueError, match="encode precision must be one of"):
        resolve_precision("int4")


def test_bf16_vectors_stay_within_1e_4_of_fp32_in_cosine(embedder: Embedder) -> None:
    texts = [
        "The leaders launched a Critical Minerals Dialogue.",
        "A $200 million contract awarded to U.S. firm Leidos to upgrade Kazakhstan's national "
        "air traffic management system.",
    ]
    fp32 = Embedder(precision="fp32")
    bf16 = Embedder(precision="bf16")
    assert (fp32.precision, bf16.precision) == ("fp32", "bf16")
    cosines = np.sum(fp32.encode(texts) * bf16.encode(texts), axis=1)
    assert cosines.min() > 0.9999 and cosines.max() <= 1.0001
    chunks, _ = bf16.encode_chunks(texts[:1], [[(0, len(texts[0]))]])
    assert float(chunks[0] @ fp32.encode(texts[:1])[0]) > 0.9999
