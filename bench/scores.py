"""Per-question answer scores on every question set in ``eval/``, saved and compared between
two checkouts: which questions a change gained and which it lost, where ``c5qa eval`` only
gives the means.

    python bench/scores.py save after.json
    (cd ../old-checkout && PYTHONPATH=src python ../main/bench/scores.py save /tmp/before.json)
    python bench/scores.py diff /tmp/before.json after.json

``save`` answers this checkout's question sets with the source tree on ``PYTHONPATH`` and the
index of the working directory (build it there first: ``c5qa index``), through APIs an older
checkout has too (``Service.ask`` and ``measure.evaluation``'s scoring, as of 5b3f891): the
baseline is measured by its own code, on the same questions. A score is a gain when it rises
(a phrase now in the lead, more list items, the right verdict, an off-corpus question now
refused) and a loss when it falls.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Scores where more is better; "wrong_yes" is the one where less is.
BETTER_HIGHER = ("lead_hit", "answer_hit", "item_recall", "phrase_recall", "verdict_ok")


def score_all(root: Path) -> dict[str, dict]:
    """Every question of every set in ``root/eval`` (not the snapshot), answered and scored by
    the ``c5qa`` on the path, with the index of the working directory."""
    from c5qa.app.service import Service
    from c5qa.measure.evaluation import (
        answer_has_phrase,
        answer_scores,
        first_relevant_rank,
        load_questions,
    )
    from c5qa.settings import Settings

    service = Service(Settings())
    rows = {}
    for path in sorted((root / "eval").glob("*.jsonl")):
        if path.name == "snapshot.jsonl":
            continue
        for q in load_questions(path):
            answer = service.ask(q.question, history=q.history, k=5, mode="hybrid")
            rows[f"{path.stem}:{q.id}"] = {
                "kind": q.kind,
                "rank": first_relevant_rank(q, answer.passages),
                "abstained": answer.abstained,
                "answer_hit": answer_has_phrase(q, answer),
                **answer_scores(q, answer),
            }
    return rows


def _direction(key: str, kind: str, before: object, after: object) -> int:
    """+1 when ``key`` moved the good way, -1 the bad way, 0 when it did not move or is no
    score (a retrieval rank is reported, not counted)."""
    if before == after or before is None or after is None or key == "rank":
        return 0
    if key == "abstained":  # refusing is right off the corpus, wrong elsewhere
        good = after if kind == "offcorpus" else not after
        return 1 if good else -1
    if key == "wrong_yes":
        return -1 if after else 1
    if key in BETTER_HIGHER:
        return 1 if float(after) > float(before) else -1
    return 0


def changes(before: dict[str, dict], after: dict[str, dict]) -> tuple[int, int, list[str]]:
    """(questions gained, questions lost, one line per question that changed). A question
    counts once: as a gain when all its scores that moved rose, a loss when all fell, and
    both when some rose and some fell."""
    gained = lost = 0
    lines = []
    for key in sorted(before.keys() & after.keys()):
        a, b = before[key], after[key]
        moved = {
            f: (a.get(f), b.get(f)) for f in sorted(a.keys() | b.keys()) if a.get(f) != b.get(f)
        }
        if not moved:
            continue
        signs = {_direction(f, b["kind"], x, y) for f, (x, y) in moved.items()}
        gained += 1 in signs
        lost += -1 in signs
        lines.append(
            f"{key} ({b['kind']}): " + ", ".join(f"{f} {x} -> {y}" for f, (x, y) in moved.items())
        )
    return gained, lost, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    save = sub.add_parser("save")
    save.add_argument("file", type=Path)
    diff = sub.add_parser("diff")
    diff.add_argument("before", type=Path)
    diff.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.what == "save":
        rows = score_all(ROOT)
        args.file.write_text(json.dumps(rows, indent=1), encoding="utf-8")
        print(f"saved the scores of {len(rows)} questions to {args.file}")
        return 0
    before = json.loads(args.before.read_text(encoding="utf-8"))
    after = json.loads(args.after.read_text(encoding="utf-8"))
    gained, lost, lines = changes(before, after)
    print("\n".join(lines))
    print(f"{len(after)} questions: {gained} gained, {lost} lost, {len(lines)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
