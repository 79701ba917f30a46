"""Behaviour guard: every answer on every question set in ``eval/``, recorded and compared.

    python bench/answers.py save     # answer all sets, write eval/snapshot.jsonl
    python bench/answers.py check    # answer all sets again; exit 1 and show what changed

A refactoring must leave every answer byte-identical; a change of behaviour shows here as the
list of answers it changed, to be read before the snapshot is saved again. Questions go through
``c5qa ask --json --batch`` (the command's JSON is a contract), so the guard does not depend on
any internal API. A test compares the same snapshot on every `make test`.

Uses the index in the configured index_dir; `make check-answers` builds it first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Every question set in eval/: the tuning set, the held-out sets in the order they were
# written, and answers.jsonl (lists, yes/no, summaries, follow-ups: the answer-quality set).
SETS = [
    *sorted((ROOT / "eval").glob("questions.jsonl")),
    *sorted((ROOT / "eval").glob("heldout*.jsonl"), key=lambda p: (len(p.stem), p.stem)),
    *sorted((ROOT / "eval").glob("answers.jsonl")),
]
SNAPSHOT = ROOT / "eval" / "snapshot.jsonl"


def record(answer: dict, name: str, qid: str) -> dict:
    """What must not change: the answer's text, whether it abstained, and which passages
    (by source and offsets) it shows in which order."""
    return {
        "set": name,
        "id": qid,
        "abstained": answer["abstained"],
        "answer": answer["answer"],
        "passages": [[p["source"], p["start"], p["end"]] for p in answer["passages"]],
    }


def answer_all(sets: list[Path]) -> list[dict]:
    """Every question of ``sets`` answered in one ``c5qa ask --batch`` run (model loaded once)."""
    items, keys = [], []
    for path in sets:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                question = json.loads(line)
                items.append({"question": question["question"], "history": question.get("history")})
                keys.append((path.stem, str(question.get("id", number))))
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as batch:
        batch.write("".join(json.dumps(item) + "\n" for item in items))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "c5qa", "ask", "--json", "--batch", batch.name],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            cwd=ROOT,
        )
    finally:
        os.unlink(batch.name)
    if done.returncode:
        raise SystemExit(f"c5qa ask failed ({done.returncode}):\n{done.stderr[-3000:]}")
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if len(answers) != len(keys):
        raise SystemExit(f"{len(answers)} answers for {len(keys)} questions")
    return [record(a, name, qid) for a, (name, qid) in zip(answers, keys, strict=True)]


def differences(before: list[dict], after: list[dict]) -> list[str]:
    """One line per answer that changed, was added or was lost."""
    old = {(r["set"], r["id"]): r for r in before}
    new = {(r["set"], r["id"]): r for r in after}
    lines = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a != b:
            what = "added" if a is None else "lost" if b is None else ""
            if not what:
                what = ", ".join(field for field in b if a.get(field) != b.get(field))
            lines.append(f"{key[0]} {key[1]}: {what}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["save", "check"])
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT)
    args = parser.parse_args()
    answers = answer_all(SETS)
    if args.what == "save":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in answers)
        args.snapshot.write_text(text, encoding="utf-8")
        print(f"saved {len(answers)} answers to {args.snapshot}")
        return 0
    before = [json.loads(line) for line in args.snapshot.read_text(encoding="utf-8").splitlines()]
    changed = differences(before, answers)
    for line in changed:
        print(line)
    print(f"{len(answers)} answers, {len(changed)} differ from {args.snapshot.name}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
