from pathlib import Path

import pytest

from c5qa.answer.types import Answer, Quote, Section
from c5qa.app.service import Service
from c5qa.measure.evaluation import (
    KINDS,
    Question,
    answer_scores,
    evaluate,
    first_relevant_rank,
    format_report,
    lead_text,
    load_questions,
)
from tests.conftest import (
    COMPARE_SETS,
    CORPUS,
    EVAL,
    KAZAKHSTAN,
    MIXED_SETS,
    NEW_YORK,
    SAMARKAND,
    TURKMENISTAN,
    bench_script,
)

# The answer-quality set of #15, written from the corpus alone without sight of the code: its
# first 50 questions before the work (ans-*), its last 50 after it (ans-b-*, first run reported
# in the commit that added them); both development sets now.
ANSWERS = EVAL.parent / "answers.jsonl"


def _check_questions(questions: list) -> None:
    assert len({q.id for q in questions}) == len(questions)
    for q in questions:
        assert (q.kind == "offcorpus") == (not q.expect)
        assert (q.kind == "followup") == bool(q.history)
        # Every expected phrase is really in the documents it is expected from.
        for source in q.sources:
            text = (CORPUS / source).read_text(encoding="utf-8").lower()
            assert any(phrase.lower() in text for phrase in q.expect), (q.id, source)


@pytest.mark.parametrize(
    "path",
    [EVAL, *MIXED_SETS.values()],
    ids=["eval", *MIXED_SETS],
)
def test_eval_sets_are_well_formed(path: Path) -> None:
    questions = load_questions(path)
    assert len(questions) >= 40
    assert {"fact", "offcorpus"} <= {q.kind for q in questions} <= set(KINDS)
    _check_questions(questions)


@pytest.mark.parametrize("path", COMPARE_SETS.values(), ids=COMPARE_SETS.keys())
def test_the_compare_sets_are_well_formed(path: Path) -> None:
    questions = load_questions(path)
    assert len(questions) >= 20 and len({q.kind for q in questions} & {"compare", "offcorpus"}) == 1
    assert {q.kind for q in questions} <= {"compare", "offcorpus"}
    _check_questions(questions)


def test_metrics_on_a_slice_of_the_eval_set(corpus_service: Service) -> None:
    questions = [q for q in load_questions(EVAL) if q.id.startswith(("fact-kz", "off-"))]
    report = evaluate(corpus_service, questions)
    fact = report["kinds"]["fact"]
    assert fact["questions"] == sum(q.kind == "fact" for q in questions)
    assert 0 <= fact["recall@1"] <= fact["recall@5"] <= 1
    assert fact["recall@1"] <= fact["mrr"] <= fact["recall@5"]
    assert "abstained_offcorpus" in report["kinds"]["offcorpus"]


def test_recall_at_k_counts_only_the_first_k_of_a_side_by_side_answer(
    corpus_service: Service,
) -> None:
    """A comparison shows more than k passages; a relevant one past the k-th counts towards
    recall_shown, not towards recall@k."""
    questions = [q for q in load_questions(EVAL) if q.kind == "compare"]
    ranks = {
        q.id: first_relevant_rank(q, corpus_service.ask(q.question, history=q.history).passages)
        for q in questions
    }
    assert any(rank > 5 for rank in ranks.values())  # otherwise this test shows nothing
    entry = evaluate(corpus_service, questions)["kinds"]["compare"]
    assert entry["recall@5"] == sum(0 < r <= 5 for r in ranks.values()) / len(questions)
    assert entry["recall_shown"] == sum(r > 0 for r in ranks.values()) / len(questions)
    assert entry["misses"] == [i for i, r in ranks.items() if not 0 < r <= 5]


def test_relevance_needs_phrase_and_source(corpus_service: Service) -> None:
    q = next(q for q in load_questions(EVAL) if "Leidos" in q.expect)
    passages = corpus_service.retrieve(q.question)
    rank = first_relevant_rank(q, passages)
    assert rank >= 1 and "Leidos" in passages[rank - 1].text
    assert first_relevant_rank(q, []) == 0


def _question(id: str, question: str, expect: str = "", source: str = "") -> Question:
    kind = "fact" if expect else "offcorpus"
    return Question(
        id, kind, question, (), (expect,) if expect else (), (source,) if source else ()
    )


# A small fixed set, written here so that its figures can be asserted exactly (the eval sets
# grow; these do not). Measured ranks of the first relevant passage: 1, 1, 2, 1, 1, 3. The 2021
# statement is in the top 5 only with the year boost (year_boost 0 drops it), the Samarkand
# clause only with BM25 in the fusion (fusion_alpha 1, dense alone, drops it).
FIXED = [
    _question(
        "leidos",
        "Which company will upgrade Kazakhstan's air traffic management system?",
        "Leidos",
        KAZAKHSTAN,
    ),
    _question(
        "boeing",
        "How much are the Boeing 787-9 aircraft for Air Astana worth?",
        "$7 billion",
        KAZAKHSTAN,
    ),
    _question(
        "pipeline",
        "Which pipeline might Turkmenistan build once the Caspian seabed is delimited?",
        "Trans-Caspian Gas Pipeline",
        TURKMENISTAN,
    ),
    _question(
        "minerals",
        "What dialogue did the C5+1 leaders launch in 2023 to develop Central Asia's mineral "
        "wealth?",
        "Critical Minerals Dialogue",
        NEW_YORK,
    ),
    _question(
        "clean-energy",
        "What did the 2015 C5+1 declaration say about clean energy and green technology?",
        "clean energy and green technology",
        SAMARKAND,
    ),
    _question(
        "afghanistan-2021",
        "What did the C5+1 ministers say about Afghanistan in 2021?",
        "Afghanistan",
        "2021-04-23_joint-statement-c5plus1-virtual-ministerial.txt",
    ),
    _question("plov", "What is a good recipe for plov?"),
    _question("world-cup", "Who won the 2022 football World Cup final?"),
    _question("tenge", "What is the exchange rate of the Kazakh tenge to the euro?"),
]


def test_figures_on_a_fixed_question_set_are_exact(corpus_service: Service) -> None:
    _check_questions(FIXED)
    kinds = evaluate(corpus_service, FIXED, mode="hybrid")["kinds"]
    fact = kinds["fact"]
    assert fact["misses"] == []
    assert fact["recall@1"] == pytest.approx(4 / 6)
    assert fact["recall@5"] == 1
    assert fact["mrr"] == pytest.approx((1 + 1 + 1 / 2 + 1 + 1 + 1 / 3) / 6)
    assert fact["answer_phrase"] == 1
    assert fact["abstained_answerable"] == 0
    assert kinds["offcorpus"]["abstained_offcorpus"] == 1


def test_figures_on_the_eval_set_stay_above_their_floors(corpus_service: Service) -> None:
    """Floors a little below today's figures (`c5qa eval eval/questions.jsonl --modes hybrid`
    on 2026-12-02, in the comments): a real regression crosses them; one answer more or less
    does not. Measured: dense ranking alone (fusion_alpha 1) gives fact recall@5 0.855; a
    year boost of -0.5, 0.697; abstain_below 0.6 abstains on 0.333 of the answerable;
    min_coverage 0 answers 3 of the 22 off-corpus questions. No year boost (0.974) and BM25
    alone (fusion_alpha 0: compare recall_shown 0.933) stay above: the fixed set above
    notices the first."""
    kinds = evaluate(corpus_service, load_questions(EVAL), mode="hybrid")["kinds"]
    fact, everything = kinds["fact"], kinds["all"]
    assert fact["recall@1"] >= 0.85  # 0.882 (67 of 76)
    assert fact["recall@5"] >= 0.95  # 0.987 (75 of 76)
    assert fact["mrr"] >= 0.88  # 0.920
    assert kinds["followup"]["recall@5"] >= 0.92  # 1.000 (14 of 14)
    assert kinds["compare"]["recall_shown"] >= 0.93  # 1.000 (15 of 15)
    assert everything["recall@5"] >= 0.93  # 0.952
    assert everything["answer_phrase"] >= 0.87  # 0.905
    assert everything["abstained_answerable"] <= 0.05  # 0.019 (2 of 105)
    assert kinds["offcorpus"]["abstained_offcorpus"] >= 0.95  # 1.000 (22 of 22)


def _answer(verdict: str, lead: str, *quotes: str) -> Answer:
    cited = tuple(Quote(n, "doc.txt", 0, len(q), q, 0.5) for n, q in enumerate(quotes, 1))
    return Answer("q", verdict, lead, (Section("", cited),), ())


def _question(kind: str, **fields) -> Question:
    return Question(
        id="x",
        kind=kind,
        question="q",
        history=(),
        expect=fields.get("expect", ()),
        sources=(),
        items=fields.get("items", ()),
        verdict=fields.get("verdict", ""),
    )


def test_answer_scores_read_the_answer_as_a_reader_does() -> None:
    """The lead is the opening line and first quote only: the phrase in the third quote is not
    in the lead. Items and phrases match with typographic quotes and spacing normalised."""
    answer = _answer(
        "answered", "", "The Boeing deal.", "Wabtec\u2019s  order of $4.2 billion.", "In 2015."
    )
    scores = answer_scores(_question("fact", expect=("in 2015",)), answer)
    assert scores == {"lead_hit": False}
    assert answer_scores(_question("fact", expect=("the boeing deal",)), answer)["lead_hit"]
    listed = answer_scores(_question("list", items=("Wabtec's order", "Cerberus")), answer)
    assert listed == {"item_recall": 0.5}
    summary = answer_scores(_question("summary", expect=("boeing", "in 2015", "nvidia")), answer)
    assert summary["phrase_recall"] == pytest.approx(2 / 3)
    assert lead_text(answer) == "the boeing deal."


def test_a_wrong_yes_is_counted_apart_from_a_wrong_no() -> None:
    yes = _answer("yes", "Yes.", "It mentions Afghanistan.")
    assert answer_scores(_question("yesno", verdict="no"), yes) == {
        "verdict_ok": False,
        "wrong_yes": True,
    }
    no = _answer("no", "None of the 2 documents mentions it.")
    assert answer_scores(_question("yesno", verdict="yes"), no) == {
        "verdict_ok": False,
        "wrong_yes": False,
    }
    assert answer_scores(_question("yesno", verdict="no"), no)["verdict_ok"]


def test_the_answer_set_is_scored_per_kind(corpus_service: Service) -> None:
    """eval/answers.jsonl: every kind the issue asks for, each with what it is scored on; the
    report shows the answer table."""
    questions = load_questions(ANSWERS)
    assert {q.kind for q in questions} == {
        "list", "yesno", "fact", "summary", "followup", "offcorpus"
    }  # fmt: skip
    for q in questions:
        assert bool(q.items) == (q.kind == "list"), q.id
        assert (q.verdict in ("yes", "no")) == (q.kind == "yesno"), q.id
        found = " ".join((CORPUS / s).read_text(encoding="utf-8") for s in q.sources)
        for phrase in (*q.items, *q.expect):
            assert " ".join(phrase.split()) in " ".join(found.split()), (q.id, phrase)
    picked = [next(q for q in questions if q.kind == kind) for kind in ("list", "yesno")]
    report = evaluate(corpus_service, picked, mode="hybrid")
    assert "item_recall" in report["kinds"]["list"]
    assert "verdict_ok" in report["kinds"]["yesno"]
    assert "answers:" in format_report(report)


def test_a_set_of_follow_ups_alone_shows_its_lead_scores() -> None:
    """eval/heldout9.jsonl holds follow-ups only: their lead scores are shown too."""
    row = {"questions": 24, "recall@1": 0.5, "lead_hit": 0.625}
    report = {"k": 5, "kinds": {"followup": row, "all": row}}
    assert "answers:" in format_report(report) and "0.625" in format_report(report)
    retrieval = {"questions": 3, "recall@1": 0.5}
    assert "answers:" not in format_report({"k": 5, "kinds": {"fact": retrieval}})


def test_per_question_changes_count_gains_and_losses_by_what_is_better() -> None:
    """A phrase now in the lead is a gain; an off-corpus question now refused is a gain and
    an answerable one a loss; a new wrong "yes" is a loss; a rank alone counts for neither."""
    scores = bench_script("scores")
    before = {
        "a:fact": {"kind": "fact", "lead_hit": False, "abstained": False, "rank": 2},
        "a:off": {"kind": "offcorpus", "abstained": False},
        "a:fact2": {"kind": "fact", "abstained": False, "item_recall": 0.5},
        "a:yes": {"kind": "yesno", "wrong_yes": False, "verdict_ok": True},
        "a:rank": {"kind": "fact", "rank": 3},
        "a:same": {"kind": "list", "item_recall": 1.0},
    }
    after = {
        "a:fact": {"kind": "fact", "lead_hit": True, "abstained": False, "rank": 1},
        "a:off": {"kind": "offcorpus", "abstained": True},
        "a:fact2": {"kind": "fact", "abstained": True, "item_recall": 0.75},
        "a:yes": {"kind": "yesno", "wrong_yes": True, "verdict_ok": False},
        "a:rank": {"kind": "fact", "rank": 1},
        "a:same": {"kind": "list", "item_recall": 1.0},
    }
    gained, lost, lines = scores.changes(before, after)
    # fact and off gained; yes lost; fact2 both (items up, refused); rank neither.
    assert (gained, lost) == (3, 2)
    assert len(lines) == 5 and not any(line.startswith("a:same") for line in lines)
    assert "lead_hit False -> True" in next(line for line in lines if line.startswith("a:fact "))
