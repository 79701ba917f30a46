"""Written answers measured per question kind (``c5qa eval FILE --llm``, #19), with the verifier
as judge in the manner of ALCE (Gao et al., 2023):

- verified: the share of written sentences kept (their citations support them: citation
  recall);
- citation precision: the share of citations that pull their weight — the passage alone
  supports its sentence, or the sentence is supported with it and not without it;
- written: the share of answers with at least one kept sentence; refused: the model said the
  documents do not answer; fallback: nothing it wrote was kept, so the quotes were given;
  abstained: the extractive answer found nothing to write from, so the model was not asked;
- seconds to the first written text and to the whole answer (medians).
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Sequence

from c5qa.answer.types import Answer, Written
from c5qa.answer.verify import Verifier
from c5qa.answer.written import about
from c5qa.app.service import Service
from c5qa.measure.evaluation import Question


def precise(sentence: Written, answer: Answer, verifier: Verifier) -> int:
    """How many of the sentence's citations pull their weight (one of a passage that was not
    shown never does)."""
    shown = [n for n in sentence.cites if 1 <= n <= len(answer.passages)]
    count = 0
    for n in shown:
        others = [m for m in shown if m != n]
        if _supports(sentence, answer, [n], verifier) or (
            sentence.verified and not _supports(sentence, answer, others, verifier)
        ):
            count += 1
    return count


def _supports(sentence: Written, answer: Answer, cites: Sequence[int], v: Verifier) -> bool:
    if not cites:
        return False
    cited = [answer.passages[n - 1].text for n in cites]
    return v.check(sentence.text, cited, "\n".join(about(answer, n) for n in cites)).verified


def run_one(service: Service, question: Question, verifier: Verifier) -> dict:
    started = time.perf_counter()
    first = None
    for draft in service.write(question.question, history=question.history):
        if first is None and (draft.writing or draft.answer.written):
            first = time.perf_counter() - started
        if draft.done:
            answer = draft.answer
    total = time.perf_counter() - started
    sentences = answer.written
    return {
        "kind": question.kind,
        "sentences": len(sentences),
        "verified": sum(w.verified for w in sentences),
        "citations": sum(len(w.cites) for w in sentences),
        "precise": sum(precise(w, answer, verifier) for w in sentences),
        "written": any(w.verified for w in sentences),
        "refused": any("found no answer" in note for note in answer.notes),
        "abstained": answer.abstained,
        "fallback": bool(sentences) and not any(w.verified for w in sentences),
        "first_s": first if first is not None else total,
        "total_s": total,
    }


def evaluate_written(service: Service, questions: list[Question]) -> dict:
    """Per kind and overall, the figures of the module's docstring."""
    verifier = Verifier(service.encoder, service.settings)
    rows = [run_one(service, q, verifier) for q in questions]
    kinds: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        kinds[row["kind"]].append(row)
    kinds["all"] = rows
    return {kind: _summary(items) for kind, items in kinds.items()}


def _summary(rows: list[dict]) -> dict:
    sentences = sum(r["sentences"] for r in rows)
    citations = sum(r["citations"] for r in rows)
    return {
        "questions": len(rows),
        "sentences": sentences,
        "verified": round(sum(r["verified"] for r in rows) / max(sentences, 1), 3),
        "citation_precision": round(sum(r["precise"] for r in rows) / max(citations, 1), 3),
        "written": round(sum(r["written"] for r in rows) / len(rows), 3),
        "refused": round(sum(r["refused"] for r in rows) / len(rows), 3),
        "abstained": round(sum(r["abstained"] for r in rows) / len(rows), 3),
        "fallback": round(sum(r["fallback"] for r in rows) / len(rows), 3),
        "first_s": round(statistics.median(r["first_s"] for r in rows), 2),
        "total_s": round(statistics.median(r["total_s"] for r in rows), 2),
    }


def format_written(report: dict) -> str:
    columns = list(next(iter(report.values())))
    widths = [max(len(c), 6) + 2 for c in columns]
    lines = ["kind".ljust(10) + "".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    for kind, summary in report.items():
        cells = "".join(str(summary[c]).rjust(w) for c, w in zip(columns, widths, strict=True))
        lines.append(kind.ljust(10) + cells)
    return "\n".join(lines)
