"""Questions encoded without torch: the model's transformer exported to ONNX once (by
``Embedder.export_onnx``, the first time a question needs it; ``Service.encoder``) and run by
ONNX Runtime, with the model's own fast tokenizer. Importing torch and sentence-transformers
took 3.2 s of a 4.1 s cold ``c5qa ask``; this encoder is ready in 0.2 s (#18,
``python bench/startup.py --baseline``).

The vectors are the model's: the same tokenizer, the same mean pooling over real tokens and
the same normalisation as sentence-transformers, in fp32 (within 1e-5 of torch's fp32 vectors,
``tests/test_onnx_encoder.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from c5qa.index.embedding import resolve_model
from c5qa.settings import user_cache

EXPORT_FORMAT = 1  # bumped when what an export holds changes: older exports are made again


def export_path(folder: str, model: str) -> Path:
    """Where the ONNX export of ``model`` lives: in ``folder``, or the user's cache."""
    root = Path(folder).expanduser() if folder else user_cache()
    name = resolve_model(model)[0].replace("/", "--")
    return root / "encoder" / f"{name}.onnx"


def export_stamp(location: Path) -> dict:
    """What an export was made from: the model's files (their sizes) and the format."""
    files = sorted(p for p in location.rglob("*") if p.is_file())
    return {
        "format": EXPORT_FORMAT,
        "model": {str(p.relative_to(location)): [p.stat().st_size] for p in files},
    }


def current(path: Path, model: str) -> bool:
    """Whether the export at ``path`` exists and was made from ``model`` as it now is."""
    stamp = path.with_suffix(".json")
    if not (path.is_file() and stamp.is_file()):
        return False
    try:
        recorded = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    return recorded == export_stamp(Path(resolve_model(model)[1]))


def write_stamp(path: Path, model: str) -> None:
    path.with_suffix(".json").write_text(json.dumps(export_stamp(Path(resolve_model(model)[1]))))


class OnnxEncoder:
    """``Encoder`` over an ONNX export: ``encode`` and ``encode_query`` as ``Embedder``'s."""

    def __init__(self, path: Path, model: str = "", threads: int = 0, batch_size: int = 32) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.name, location = resolve_model(model)
        config = json.loads((Path(location) / "sentence_bert_config.json").read_text())
        self.max_tokens = int(config.get("max_seq_length", 256))
        self.tokenizer = Tokenizer.from_file(str(Path(location) / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        if threads > 0:
            options.intra_op_num_threads = threads
        self.session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        self.batch_size = batch_size
        self.dim = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Normalised mean-pooled vectors, a batch at a time (``progress`` is not shown)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [
            self._batch(texts[i : i + self.batch_size])
            for i in range(0, len(texts), self.batch_size)
        ]
        return np.concatenate(batches)

    def _batch(self, texts: Sequence[str]) -> np.ndarray:
        encoded = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        tokens = self.session.run(None, feeds)[0]
        pooled = (tokens * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(1, keepdims=True), 1)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
