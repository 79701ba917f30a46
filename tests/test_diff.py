"""What changed between two sides: statements aligned by vector and words into continued,
dropped and new, grouped into topics; commentary apart, never evidence."""

from __future__ import annotations

import numpy as np
import pytest

from c5qa.answer.diff import CLASSES, Sides, Topic, topic_labels
from c5qa.answer.render import diff_json
from c5qa.answer.statements import Statement, match_scores
from c5qa.app.service import Service
from c5qa.query.request import BadRequest

NEW_YORK = "2023-09-21_c5plus1-new-york-declaration.txt"
DIPLOMAT = "2025-11_the-diplomat-a-c5plus1-or-5-c1plus1s.txt"


def _statement(vector: tuple[float, ...], words: str) -> Statement:
    v = np.array(vector, dtype=np.float32)
    return Statement("x.txt", 0, 0, v / np.linalg.norm(v), frozenset(words.split()))


def test_a_statement_is_on_every_theme_it_matches_or_other() -> None:
    """Matched as statements are (cosine plus word overlap), at the presence threshold: a
    statement on water and trade is on both topics; one on neither is "other"."""
    themes = [_statement((1, 0), "water"), _statement((0, 1), "trade")]
    found = [
        _statement((1, 0.1), "water secur"),
        _statement((1, 1), "water trade"),
        _statement((-1, -1), "b"),
    ]
    labels = topic_labels(found, themes, ["water", "trade"], 0.39, 0.5)
    assert labels[0] == {"water": pytest.approx(1 / np.sqrt(1.01) + 0.5 / 2)}
    assert set(labels[1]) == {"water", "trade"}
    assert set(labels[2]) == {"other"}


def test_a_topic_s_class_is_which_sides_address_it() -> None:
    """Both sides → continued, its closest pair first; only A → dropped; only B → new;
    statements on no theme one by one, by whether the other side restates them."""
    left = [
        _statement((1, 0), "water"),
        _statement((0.9, 0.1), "water glacier"),
        _statement((0, 1), "x"),
    ]
    right = [_statement((0.8, 0.2), "water glacier"), _statement((-1, 0.1), "heritag")]
    sides = Sides(
        left,
        right,
        [{"water": 0.9}, {"water": 0.8}, {"Afghanistan": 0.5}],
        [{"water": 0.7}, {"other": 0.1}],
        match_scores(left, right, 0.5),
    )
    ((name, water),) = sides.topics("water", 0.61)
    assert name == "continued" and water.paired == 1
    assert (water.a[0], water.b[0]) == (left[1], right[0])  # the closest pair leads
    assert water.a[1:] == (left[0],)
    assert sides.topics("Afghanistan", 0.61) == [("dropped", Topic("Afghanistan", a=(left[2],)))]
    assert sides.topics("other", 0.61) == [("new", Topic("other", b=(right[1],)))]
    assert sides.topics("energy", 0.61) == []


def test_the_new_york_declaration_against_the_2025_summit(corpus_service: Service) -> None:
    """Water left the agenda in 2025; the Kazakhstan deals came with it (#16). Every quote
    cites a passage that holds it; commentary is the Diplomat's, apart from both sides."""
    compared = corpus_service.diff("New York Declaration", "2025-11-07")
    answer = compared.answer
    assert answer.lead.startswith("Compared with New York Declaration, 2025-11-07 continues")
    quotes = {q.n: q for q in answer.citations}
    for q in quotes.values():
        passage = answer.passages[q.n - 1]
        assert passage.source == q.source and passage.start <= q.start <= q.end <= passage.end
    sections = {s.label: s for s in answer.sections}
    dropped = " ".join(q.text for q in sections["Dropped"].all_quotes())
    new = " ".join(q.text for q in sections["New"].all_quotes())
    assert "water" in dropped.lower()
    assert "$" in new
    # Topic by topic, as the Diplomat's account of the summit has it: the economic track,
    # the Middle Corridor and critical minerals kept; security, climate, water and
    # Afghanistan gone; cultural heritage new.
    classes = {name: {t for c, t, _, _ in compared.topics if c == name} for name in CLASSES}
    assert {"trade routes / Middle Corridor", "critical minerals"} <= classes["continued"]
    assert {"security", "climate change", "water", "Afghanistan"} <= classes["dropped"]
    assert "cultural heritage" in classes["new"]
    shape = diff_json(compared)
    assert set(shape) >= {"a", "b", "continued", "dropped", "new", "commentary", "passages"}
    assert all(t["a"] and t["b"] for t in shape["continued"])
    assert all(t["a"] and not t["b"] for t in shape["dropped"])
    assert all(t["b"] and not t["a"] for t in shape["new"])
    sides = {q.source for s in answer.sections[:3] for q in s.all_quotes()}
    assert DIPLOMAT not in sides
    assert {answer.passages[n - 1].source for n in shape["commentary"]} == {DIPLOMAT}
    # The analysis's own words, not its quotations of the declaration it weighs.
    notes = " ".join(q.text for q in answer.sections[-1].all_quotes())
    assert "advance efforts to create a more favorable business environment" not in notes


def test_a_side_without_documents_is_refused(corpus_service: Service) -> None:
    with pytest.raises(BadRequest, match="no document of the corpus is dated 2016"):
        corpus_service.diff("2016", "2023")


def test_the_class_asked_for_comes_first(corpus_service: Service) -> None:
    """ "What is new…" is answered by the diff, its new topics counted and shown first."""
    answer = corpus_service.ask("What is new in 2025 compared with 2023?")
    assert answer.lead.startswith("Compared with 2023, 2025 adds 1 topic (cultural heritage), ")
    assert [s.label for s in answer.sections[:3]] == ["New", "Continued", "Dropped"]


def test_a_theme_narrows_the_diff_and_its_commentary(corpus_service: Service) -> None:
    """ "--theme water": only water's topics, and the commentary nearest them (#16); a theme
    of one's own ("glaciers=glacier preservation") is labelled beside the default ones."""
    water = corpus_service.diff("2023", "2025", "water")
    assert water.answer.lead.startswith("On water, compared with 2023, 2025 ")
    assert water.theme == "water" and diff_json(water)["theme"] == "water"
    assert {topic for _, topic, _, _ in water.topics} == {"water"}
    notes = " ".join(q.text for q in water.answer.sections[-1].all_quotes())
    assert "water" in notes
    glaciers = corpus_service.diff("2023", "2025", "glaciers=glacier preservation")
    assert [(c, t) for c, t, _, _ in glaciers.topics] == [("dropped", "glaciers")]
    with pytest.raises(BadRequest, match="one theme"):
        corpus_service.diff("2023", "2025", "water, energy")
