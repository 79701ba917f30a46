"""The written-answer verifier measured on labelled (sentence, cited passages) pairs (#19).

    python bench/verifier.py            # precision and recall of "supported", per half and kind
    python bench/verifier.py --tune     # also: the thresholds the tuning half chooses

eval/verifier.jsonl was written from the corpus alone by someone who had not seen the verifier:
supported sentences, paraphrases, parts of a passage, and the same with a number, name or date
swapped, claims the passage does not make, wrong citations and half-supported sentences. Its
pairs alternate between two halves within each kind: ``tune`` chooses the thresholds
(``--tune``: the highest recall at a precision of at least 0.97), ``test`` reports them. A pair
whose passage is not word for word in its corpus file is left out and said.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from c5qa.answer.verify import Verifier
from c5qa.app.service import Service
from c5qa.ingest.documents import load_document
from c5qa.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
PRECISION_TARGET = 0.97


@dataclass(frozen=True)
class Scored:
    kind: str
    half: str
    supported: bool
    gated: bool  # refused before any threshold: a missing fact, no citation, a negation
    cosine: float
    coverage: float


def load(path: Path, corpus: Path) -> tuple[list[dict], list[str]]:
    pairs, dropped, seen = [], [], defaultdict(int)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        pair = json.loads(line)
        texts = [(corpus / p["source"]).read_text(encoding="utf-8") for p in pair["passages"]]
        if not all(p["text"] in t for p, t in zip(pair["passages"], texts, strict=True)):
            dropped.append(pair["id"])
            continue
        pair["half"] = ("tune", "test")[seen[pair["kind"]] % 2]
        pair["about"] = [about(corpus / p["source"]) for p in pair["passages"]]
        seen[pair["kind"]] += 1
        pairs.append(pair)
    return pairs, dropped


def about(path: Path) -> str:
    """What the model is told of a passage's source, as the written answer's prompt does."""
    document = load_document(path, path.parent)
    return f"{document.date} {document.title} {document.publisher}"


def score(pairs: list[dict], verifier: Verifier) -> list[Scored]:
    out = []
    for pair in pairs:
        about = "\n".join(pair["about"])
        check = verifier.check(pair["sentence"], [p["text"] for p in pair["passages"]], about)
        gated = not check.verified and not check.reason.startswith("not supported by")
        out.append(
            Scored(
                pair["kind"], pair["half"], pair["supported"], gated, check.cosine, check.coverage
            )
        )
    return out


def figures(rows: list[Scored], cosine: float, cover: float) -> dict:
    said = [not r.gated and r.cosine >= cosine and r.coverage >= cover for r in rows]
    true_pos = sum(s and r.supported for s, r in zip(said, rows, strict=True))
    return {
        "pairs": len(rows),
        "precision": round(true_pos / max(sum(said), 1), 3),
        "recall": round(true_pos / max(sum(r.supported for r in rows), 1), 3),
        "said_supported": sum(said),
    }


def tune(rows: list[Scored]) -> tuple[float, float]:
    """The thresholds with the highest recall at a precision of at least the target."""
    grid = [round(0.30 + 0.02 * i, 2) for i in range(31)]
    best = (-1.0, 0.0, 0.0, 0.0)
    for cosine in grid:
        for cover in grid:
            f = figures(rows, cosine, cover)
            if f["precision"] >= PRECISION_TARGET:
                best = max(best, (f["recall"], f["precision"], -cosine, -cover))
    return -best[2], -best[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=ROOT / "eval" / "verifier.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--tune", action="store_true")
    args = parser.parse_args()
    settings = load_settings()
    pairs, dropped = load(args.pairs, args.corpus)
    if dropped:
        print(f"left out (passage not in its file): {', '.join(dropped)}")
    verifier = Verifier(Service(settings).encoder, settings)
    rows = score(pairs, verifier)
    cosine, cover = settings.verify_cosine, settings.verify_coverage
    if args.tune:
        cosine, cover = tune([r for r in rows if r.half == "tune"])
        print(f"tuned on the tune half: verify_cosine {cosine}, verify_coverage {cover}")
    for half in ("tune", "test", "all"):
        chosen = [r for r in rows if half in ("all", r.half)]
        print(f"{half:>5}: {json.dumps(figures(chosen, cosine, cover))}")
    print("said supported, by kind (all pairs):")
    for kind in sorted({r.kind for r in rows}):
        chosen = [r for r in rows if r.kind == kind]
        said = figures(chosen, cosine, cover)["said_supported"]
        print(f"  {kind:<18} {said:>3} of {len(chosen):>3}")


if __name__ == "__main__":
    main()
