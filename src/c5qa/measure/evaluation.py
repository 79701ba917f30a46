"""Retrieval and answer quality on a question set (``eval/questions.jsonl``).

A retrieved passage is relevant when it contains one of the question's ``expect`` phrases
(case-insensitive) and comes from one of its ``sources``. Off-corpus questions have no relevant
passage; they only count towards abstention.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from c5qa.answer.types import Answer
from c5qa.app.service import Service
from c5qa.retrieve.search import Passage

KINDS = ("fact", "compare", "followup", "offcorpus")


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    question: str
    history: tuple[dict, ...]
    expect: tuple[str, ...]
    sources: tuple[str, ...]


def load_questions(path: Path) -> list[Question]:
    questions = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                questions.append(
                    Question(
                        id=str(r.get("id", number)),
                        kind=r.get("kind", "fact"),
                        question=r["question"],
                        history=tuple(r.get("history") or ()),
                        expect=tuple(r.get("expect") or ()),
                        sources=tuple(r.get("sources") or ()),
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not a question object ({exc})") from exc
    return questions


def is_relevant(question: Question, passage: Passage) -> bool:
    if question.sources and Path(passage.source).name not in question.sources:
        return False
    text = passage.text.lower()
    return any(phrase.lower() in text for phrase in question.expect)


def first_relevant_rank(question: Question, passages: list[Passage] | tuple[Passage, ...]) -> int:
    """1-based rank of the first relevant passage, 0 when none is."""
    for rank, passage in enumerate(passages, start=1):
        if is_relevant(question, passage):
            return rank
    return 0


def answer_has_phrase(question: Question, answer: Answer) -> bool:
    quoted = " ".join(c.text for c in answer.citations).lower()
    return any(phrase.lower() in quoted for phrase in question.expect)


def evaluate(
    service: Service, questions: list[Question], k: int = 5, mode: str | None = None
) -> dict:
    """Per kind and overall: recall@1, recall@k, MRR, answer phrase share, abstention."""
    rows: dict[str, list[dict]] = defaultdict(list)
    for q in questions:
        answer = service.ask(q.question, history=q.history, k=k, mode=mode)
        rank = first_relevant_rank(q, answer.passages)
        rows[q.kind].append(
            {
                "id": q.id,
                "rank": rank,
                "abstained": answer.abstained,
                "answer_hit": answer_has_phrase(q, answer),
            }
        )
    report: dict = {"k": k, "kinds": {}}
    for kind in [*KINDS, "all"]:
        items = [r for key, rs in rows.items() for r in rs if kind in ("all", key)]
        if not items:
            continue
        answerable = [
            r for key, rs in rows.items() for r in rs if kind in ("all", key) and key != "offcorpus"
        ]
        off = [r for r in items if r not in answerable]
        entry: dict = {"questions": len(items)}
        if answerable:
            entry.update(
                {
                    "recall@1": statistics.mean(r["rank"] == 1 for r in answerable),
                    f"recall@{k}": statistics.mean(0 < r["rank"] <= k for r in answerable),
                    # A side-by-side answer shows more than k passages (some per period, then
                    # the commentary): whether the relevant one is among all it shows.
                    "recall_shown": statistics.mean(r["rank"] > 0 for r in answerable),
                    "mrr": statistics.mean(1 / r["rank"] if r["rank"] else 0 for r in answerable),
                    "answer_phrase": statistics.mean(r["answer_hit"] for r in answerable),
                    "abstained_answerable": statistics.mean(r["abstained"] for r in answerable),
                    "misses": [r["id"] for r in answerable if not 0 < r["rank"] <= k],
                }
            )
        if off:
            entry["abstained_offcorpus"] = statistics.mean(r["abstained"] for r in off)
        report["kinds"][kind] = entry
    return report


def format_report(report: dict) -> str:
    k = report["k"]
    columns = [
        "recall@1",
        f"recall@{k}",
        "recall_shown",
        "mrr",
        "answer_phrase",
        "abstained_answerable",
        "abstained_offcorpus",
    ]
    widths = [max(14, len(c)) for c in columns]
    lines = [
        f"{'kind':<10} {'n':>4} "
        + " ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True))
    ]
    for kind, entry in report["kinds"].items():
        cells = [
            f"{entry[c]:>{w}.3f}" if c in entry else f"{'-':>{w}}"
            for c, w in zip(columns, widths, strict=True)
        ]
        lines.append(f"{kind:<10} {entry['questions']:>4} " + " ".join(cells))
    misses = report["kinds"].get("all", {}).get("misses", [])
    if misses:
        lines.append(f"not retrieved in the top {k}: {', '.join(misses)}")
    return "\n".join(lines)
