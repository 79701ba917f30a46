import numpy as np

from c5qa.index.embedding import BUNDLED_MODEL, Embedder, resolve_model


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
