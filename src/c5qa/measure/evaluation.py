"""Retrieval and answer quality on a question set (``eval/questions.jsonl``, ``answers.jsonl``).

A retrieved passage is relevant when it contains one of the question's ``expect`` phrases
(case-insensitive) and comes from one of its ``sources``. Off-corpus questions have no relevant
passage; they only count towards abstention.

Answers are scored by what a reader sees, per kind: a list question by the share of its
expected ``items`` the answer quotes; a yes/no question by its ``verdict``; a fact, summary or
follow-up by whether an expected phrase is in the lead (the answer's opening line and first
quote) and, for a summary, the share of its expected phrases quoted anywhere; an off-corpus
question by whether the answer refuses. Phrases are compared with case, whitespace and
typographic quotes normalised, since a quote is verbatim but an eval file is typed.
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

KINDS = ("fact", "compare", "followup", "list", "yesno", "summary", "offcorpus")


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    question: str
    history: tuple[dict, ...]
    expect: tuple[str, ...]
    sources: tuple[str, ...]
    items: tuple[str, ...] = ()  # a list question's expected items
    verdict: str = ""  # a yes/no question's expected verdict, "yes" or "no"


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
                        items=tuple(r.get("items") or ()),
                        verdict=r.get("verdict", ""),
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


def _normal(text: str) -> str:
    text = text.translate(_TYPOGRAPHIC).lower()
    return " ".join(text.split())


_TYPOGRAPHIC = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _quoted(answer: Answer) -> str:
    return _normal(" ".join(c.text for c in answer.citations))


def lead_text(answer: Answer) -> str:
    """What a reader sees first: the answer's own opening line and its first quote."""
    first = answer.citations[0].text if answer.citations else ""
    return _normal(f"{answer.lead} {first}")


def answer_has_phrase(question: Question, answer: Answer) -> bool:
    quoted = _quoted(answer)
    return any(_normal(phrase) in quoted for phrase in question.expect)


def _share(phrases: tuple[str, ...], text: str) -> float:
    return statistics.mean(_normal(p) in text for p in phrases) if phrases else 0.0


def answer_scores(question: Question, answer: Answer) -> dict:
    """How well the answer itself answers, by what its kind asks for (see the module doc)."""
    scores: dict = {}
    if question.expect:
        scores["lead_hit"] = any(_normal(p) in lead_text(answer) for p in question.expect)
    if question.kind == "summary":
        scores["phrase_recall"] = _share(question.expect, _quoted(answer))
    if question.items:
        scores["item_recall"] = _share(question.items, _quoted(answer))
    if question.verdict:
        scores["verdict_ok"] = answer.verdict == question.verdict
        scores["wrong_yes"] = answer.verdict == "yes" and question.verdict != "yes"
    return scores


def evaluate(
    service: Service, questions: list[Question], k: int = 5, mode: str | None = None
) -> dict:
    """Per kind and overall: recall@1, recall@k, MRR, answer phrase share, abstention, and the
    answer scores of ``answer_scores``."""
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
                **answer_scores(q, answer),
            }
        )
    report: dict = {"k": k, "kinds": {}}
    for kind in [*KINDS, "all"]:
        items = [r for key, rs in rows.items() for r in rs if kind in ("all", key)]
        if items:
            off = [r for r in items if r["id"] in {x["id"] for x in rows.get("offcorpus", ())}]
            answerable = [r for r in items if r not in off]
            report["kinds"][kind] = _entry(items, answerable, off, k)
    return report


def _mean_of(rows: list[dict], key: str) -> dict:
    scored = [r[key] for r in rows if key in r]
    return {key: statistics.mean(scored)} if scored else {}


def _entry(items: list[dict], answerable: list[dict], off: list[dict], k: int) -> dict:
    entry: dict = {"questions": len(items)}
    # Retrieval is judged where there is a phrase to find (a "no" question may have none).
    with_phrases = [r for r in answerable if "lead_hit" in r]
    if answerable:
        entry["abstained_answerable"] = statistics.mean(r["abstained"] for r in answerable)
    if with_phrases:
        entry.update(
            {
                "recall@1": statistics.mean(r["rank"] == 1 for r in with_phrases),
                f"recall@{k}": statistics.mean(0 < r["rank"] <= k for r in with_phrases),
                # A side-by-side answer shows more than k passages (some per period, then
                # the commentary): whether the relevant one is among all it shows.
                "recall_shown": statistics.mean(r["rank"] > 0 for r in with_phrases),
                "mrr": statistics.mean(1 / r["rank"] if r["rank"] else 0 for r in with_phrases),
                "answer_phrase": statistics.mean(r["answer_hit"] for r in with_phrases),
                "misses": [r["id"] for r in with_phrases if not 0 < r["rank"] <= k],
            }
        )
    for key in ("lead_hit", "item_recall", "phrase_recall", "verdict_ok"):
        entry.update(_mean_of(answerable, key))
    if any("wrong_yes" in r for r in answerable):
        entry["wrong_yes"] = sum(r.get("wrong_yes", False) for r in answerable)
    if off:
        entry["abstained_offcorpus"] = statistics.mean(r["abstained"] for r in off)
    return entry


ANSWER_COLUMNS = (
    "lead_hit",
    "item_recall",
    "phrase_recall",
    "verdict_ok",
    "wrong_yes",
    "abstained_answerable",
    "abstained_offcorpus",
)


def _table(report: dict, columns: list[str]) -> list[str]:
    widths = [max(14, len(c)) for c in columns]
    lines = [
        f"{'kind':<10} {'n':>4} "
        + " ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True))
    ]
    for kind, entry in report["kinds"].items():
        cells = [
            (f"{entry[c]:>{w}d}" if c == "wrong_yes" else f"{float(entry[c]):>{w}.3f}")
            if c in entry
            else f"{'-':>{w}}"
            for c, w in zip(columns, widths, strict=True)
        ]
        lines.append(f"{kind:<10} {entry['questions']:>4} " + " ".join(cells))
    return lines


def format_report(report: dict) -> str:
    """The retrieval table, then (for a set with any answer score: a lead, list items, a
    verdict) the answer table."""
    k = report["k"]
    lines = _table(
        report,
        [
            "recall@1",
            f"recall@{k}",
            "recall_shown",
            "mrr",
            "answer_phrase",
            "abstained_answerable",
            "abstained_offcorpus",
        ],
    )
    kinds = report["kinds"]
    if any(key in row for row in kinds.values() for key in ANSWER_COLUMNS):
        lines += ["", "answers:", *_table(report, list(ANSWER_COLUMNS))]
    misses = kinds.get("all", {}).get("misses", [])
    if misses:
        lines.append(f"not retrieved in the top {k}: {', '.join(misses)}")
    return "\n".join(lines)
