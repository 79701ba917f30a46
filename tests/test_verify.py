"""The verifier: its fact check on its own, then its figures on the labelled pairs."""

from __future__ import annotations

import pytest

from c5qa.answer.verify import Verifier, facts, missing_facts
from c5qa.app.service import Service
from c5qa.settings import Settings
from tests.conftest import bench_script

PASSAGE = (
    "Key deals with U.S. companies include: The procurement of $7 billion in Boeing 787-9 "
    "widebody aircraft to build flag carrier Air Astana's fleet."
)


def test_facts_are_numbers_names_and_counts_not_the_opening_word() -> None:
    assert facts("Kazakhstan will buy $9 billion in Boeing 787-9 aircraft.") == [
        "$9",
        "billion",
        "Boeing",
        "787-9",
    ]
    assert facts("Kazakhstan's airline got six aircraft.") == ["Kazakhstan", "six"]
    assert facts("President Biden spoke.") == ["Biden"]


@pytest.mark.parametrize(
    ("sentence", "missing"),
    [
        ("Kazakhstan will buy $7 billion in Boeing 787-9 aircraft for Air Astana.", []),
        ("Kazakhstan will buy $9 billion in Boeing aircraft.", ["$9"]),  # 9 is in "787-9"
        ("Kazakhstan will buy $7 million in Boeing aircraft.", ["million"]),
        ("Kazakhstan will buy $7 billion in Airbus aircraft.", ["Airbus"]),
        ("The US deals include Boeing aircraft.", []),  # US: the initials of "U.S."
        ("United States deals include Boeing aircraft.", []),  # and the other way round
        ("In November 2025 Kazakhstan bought Boeing aircraft.", []),  # the source's date
        ("In December 2025 Kazakhstan bought Boeing aircraft.", ["December"]),
        # Not the source's day, often its release's; "$7" is an amount, not a 7.
        ("On November 7, 2025 Kazakhstan bought Boeing aircraft.", ["7"]),
    ],
)
def test_every_checkable_fact_must_be_in_the_cited_text(sentence: str, missing: list) -> None:
    assert missing_facts(sentence, f"{PASSAGE}\n2025-11-07, Fact sheet, Kazakhstan") == missing


@pytest.fixture(scope="module")
def verifier(corpus_service: Service) -> Verifier:
    return Verifier(corpus_service.encoder, Settings())


def test_a_restatement_passes_and_the_opposite_does_not(verifier: Verifier) -> None:
    cited = [PASSAGE]
    kept = verifier.check(
        "The deals include $7 billion in Boeing 787-9 aircraft for Air Astana.", cited
    )
    assert kept.verified and kept.reason == "", kept
    negated = verifier.check(
        "The deals do not include $7 billion in Boeing 787-9 aircraft for Air Astana.", cited
    )
    assert not negated.verified and "opposite" in negated.reason
    assert verifier.check("The deals include aircraft.", []).reason.startswith("cites no")
    hedged = ["Turkmenistan will consider preferential treatment for U.S. companies."]
    granted = verifier.check(
        "Turkmenistan granted preferential treatment to U.S. companies.", hedged
    )
    assert not granted.verified and "only intends or considers" in granted.reason
    kept = verifier.check(
        "Turkmenistan will consider preferential treatment for U.S. companies.", hedged
    )
    assert kept.verified


@pytest.mark.parametrize(("name", "recall"), [("verifier", 0.66), ("verifier-heldout", 0.61)])
def test_the_labelled_pairs_keep_the_precision_and_recall_measured(
    name: str, recall: float
) -> None:
    """The labelled pairs through bench/verifier.py, as reported: a looser verifier lets an
    unsupported sentence through (precision), a stricter one keeps fewer (recall)."""
    bench = bench_script("verifier")
    pairs, dropped = bench.load(bench.ROOT / "eval" / f"{name}.jsonl", bench.ROOT / "corpus")
    assert len(pairs) >= 200 and not dropped
    settings = Settings()
    rows = bench.score(pairs, Verifier(Service(settings).encoder, settings))
    figures = bench.figures(rows, settings.verify_cosine, settings.verify_coverage)
    assert figures["precision"] >= 0.97
    assert figures["recall"] >= recall
