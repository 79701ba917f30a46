"""Chunk size × overlap sweep on the eval set: the measurement behind the chunking defaults.

    python bench/chunking.py [--sizes 300,500,700,900,1200] [--overlaps 0,1,2]

Builds a throw-away index per setting (the model is loaded once) and prints recall@1, recall@5,
MRR and the answer-phrase share over the answerable questions of eval/questions.jsonl.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from c5qa.app.service import Service
from c5qa.measure.evaluation import evaluate, load_questions
from c5qa.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="300,500,700,900,1200")
    parser.add_argument("--overlaps", default="0,1,2")
    parser.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    args = parser.parse_args()
    questions = load_questions(args.questions)
    base = load_settings()
    embedder = None
    header = ("size", "overlap", "chunks", "r@1", "r@5", "mrr", "phrase")
    print(" ".join(f"{h:>7}" for h in header))
    for size in map(int, args.sizes.split(",")):
        for overlap in map(int, args.overlaps.split(",")):
            with tempfile.TemporaryDirectory() as tmp:
                settings = base.replace(index_dir=Path(tmp), chunk_size=size, chunk_overlap=overlap)
                service = Service(settings, embedder)
                report = service.index(on_notice=lambda m: None)
                embedder = service.embedder
                kinds = evaluate(service, questions)["kinds"]["all"]
                print(
                    f"{size:>5} {overlap:>7} {report.chunks:>6} {kinds['recall@1']:>6.3f} "
                    f"{kinds['recall@5']:>6.3f} {kinds['mrr']:>6.3f} "
                    f"{kinds['answer_phrase']:>6.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
