"""What changed between two sides (periods or documents): the statements of A that B restates
(continued), those it does not (dropped), and the statements of B that A has no counterpart
for (new), grouped into topics.

Each side's statements (``answer/statements.py``) are aligned by their stored sentence vectors
and their words: a statement's counterpart is the other side's statement with the highest
cosine plus ``counterpart_lexical_weight`` times their terms' Jaccard overlap, when that reaches
``counterpart_threshold`` (both calibrated on the labelled sentence pairs of
``eval/pairs.jsonl``: ``python bench/tune.py counterpart``). A topic is the nearest default
theme of the theme map (``answer/themes.py``), or "other" below ``topic_floor``; topics are
ranked by how many statements they hold. Commentary (``kind: analysis``) is never evidence for
either side: its sentences nearest the change are shown apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from c5qa.answer.lists import Listing
from c5qa.answer.statements import Statement, containment, match_scores, side_statements
from c5qa.answer.themes import DEFAULT_THEMES
from c5qa.answer.types import Answer, Quote, Section
from c5qa.index.store import IndexStore
from c5qa.query.request import COMMENTARY, BadRequest, Period
from c5qa.settings import Settings

CLASSES = ("continued", "dropped", "new")


@dataclass(frozen=True)
class Topic:
    """A topic of one class: for "continued", ``a[i]`` is restated by ``b[i]``; "dropped"
    has only ``a``, "new" only ``b``."""

    label: str
    a: tuple[Statement, ...]
    b: tuple[Statement, ...]

    @property
    def size(self) -> int:
        return max(len(self.a), len(self.b))


@dataclass(frozen=True)
class Diff:
    a: Period
    b: Period
    continued: tuple[Topic, ...]
    dropped: tuple[Topic, ...]
    new: tuple[Topic, ...]
    commentary: tuple[Statement, ...]
    theme: str = ""  # the one theme the diff was narrowed to, or ""


@dataclass(frozen=True)
class Compared:
    """A diff as an answer (rendered like any other) and, per class, each topic's passage
    numbers on each side (``diff --json``)."""

    answer: Answer
    a: str
    b: str
    topics: tuple[tuple[str, str, tuple[int, ...], tuple[int, ...]], ...]  # class, topic, a, b
    commentary: tuple[int, ...]
    theme: str = ""


def side_sources(period: Period, store: IndexStore) -> tuple[str, ...]:
    """A side's documents: those it names, or those dated in its period (commentary aside)."""
    admits = period.filters.admits
    return tuple(s for s, d in store.documents.items() if admits(d))


Item = tuple[Statement | None, Statement | None, float]  # a, b, how well it shows its topic


def _topics(items: list[Item], labels: list[tuple[str, float]]) -> tuple[Topic, ...]:
    """Items grouped by label, the largest topic first and "other" last; within a topic, the
    surest counterpart (continued) or the statement nearest the theme (dropped, new) first,
    the one the answer quotes."""
    grouped: dict[str, list[tuple[float, Item]]] = {}
    for item, (topic, near) in zip(items, labels, strict=True):
        grouped.setdefault(topic, []).append((item[2] if item[0] and item[1] else near, item))
    ranked = sorted(grouped.items(), key=lambda kv: (kv[0] == "other", -len(kv[1]), kv[0]))
    out = []
    for label, members in ranked:
        ordered = [item for _, item in sorted(members, key=lambda m: -m[0])]
        a = tuple(x for x, _, _ in ordered if x is not None)
        b = tuple(y for _, y, _ in ordered if y is not None)
        out.append(Topic(label, a, b))
    return tuple(out)


def topic_labels(
    found: Sequence[Statement], themes: np.ndarray, names: Sequence[str], floor: float
) -> list[tuple[str, float]]:
    """Each statement's nearest default theme and its cosine, or "other" when none reaches
    ``floor``."""
    if not found:
        return []
    scores = np.stack([s.vector for s in found]) @ themes.T
    best = scores.argmax(axis=1)
    return [
        (names[j] if scores[i, j] >= floor else "other", float(scores[i, j]))
        for i, j in enumerate(best.tolist())
    ]


def diff(
    a: Period,
    b: Period,
    store: IndexStore,
    encode: Callable[[list[str]], np.ndarray],
    settings: Settings,
    theme: tuple[str, str] | None = None,
) -> Diff:
    """The diff of side ``a`` against side ``b`` (see the module doc); a ``BadRequest`` when
    a side has no documents. A ``theme`` (label, search text) narrows it to the statements
    whose nearest theme, among the default ones and it, is that theme (``--theme water``)."""
    first, second = side_sources(a, store), side_sources(b, store)
    for period, sources in ((a, first), (b, second)):
        if not sources:
            raise BadRequest(f"no document of the corpus is dated {period.label}")
    left, right = side_statements(first, store), side_statements(second, store)
    scores = match_scores(left, right, settings.counterpart_lexical_weight)
    bar = settings.counterpart_threshold
    kept: list[Item] = []
    dropped: list[Item] = []
    new: list[Item] = []
    for i, statement in enumerate(left):
        j = int(scores[i].argmax()) if right else -1
        if j >= 0 and scores[i, j] >= bar:
            kept.append((statement, right[j], float(scores[i, j])))
        else:
            dropped.append((statement, None, 0.0))
    for j, statement in enumerate(right):
        if not left or scores[:, j].max() < bar:
            new.append((None, statement, 0.0))
    names, themes = _themes(encode, theme)
    floor = settings.topic_floor

    def grouped(items: list[Item]) -> tuple[Topic, ...]:
        by = [x if x is not None else y for x, y, _ in items]
        labels = topic_labels([s for s in by if s is not None], themes, names, floor)
        if theme is not None:
            kept = [i for i, (label, _) in enumerate(labels) if label == theme[0]]
            items, labels = [items[i] for i in kept], [labels[i] for i in kept]
        return _topics(items, labels)

    gone, added = grouped(dropped), grouped(new)
    # What the commentary is chosen by: what changed, on the theme when there is one.
    changed = [s for t in gone for s in t.a] + [s for t in added for s in t.b]
    return Diff(
        a,
        b,
        grouped(kept),
        gone,
        added,
        _commentary(first, (*first, *second), changed, [*left, *right], store, settings),
        theme[0] if theme else "",
    )


def _themes(
    encode: Callable[[list[str]], np.ndarray], theme: tuple[str, str] | None
) -> tuple[list[str], np.ndarray]:
    """The themes topics are labelled with: the default ones, and the one asked for when it
    is not one of them."""
    names = [label for label, _ in DEFAULT_THEMES]
    vectors = theme_vectors(encode)
    if theme is None or theme[0] in names:
        return names, vectors
    return [*names, theme[0]], np.vstack([vectors, encode([theme[1]])])


@lru_cache(maxsize=4)
def theme_vectors(encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """The default themes encoded once per encoder: every diff labels its topics with them."""
    return encode([query for _, query in DEFAULT_THEMES])


def _commentary(
    first: Sequence[str],
    shown: Sequence[str],
    changed: list[Statement],
    quoted: list[Statement],
    store: IndexStore,
    settings: Settings,
) -> tuple[Statement, ...]:
    """The sentences of commentary (dated from A's first document on, ``first`` being A's
    documents) nearest what changed; none from the documents ``shown`` as either side, and
    none that quotes a statement of either side (``quoted``): an analysis quoting the
    declaration it weighs gives the declaration's words, not its own."""
    since = min((store.documents[s].date for s in first), default="")
    sources = [
        s
        for s, d in store.documents.items()
        if d.kind in COMMENTARY and s not in shown and (not d.date or d.date >= since[:7])
    ]
    found = side_statements(sources, store)
    if not found or not changed:
        return ()
    bar = settings.quotation_containment
    found = [s for s in found if not quoted or containment(s, quoted) < bar]
    if not found:
        return ()
    near = (np.stack([s.vector for s in found]) @ np.stack([s.vector for s in changed]).T).max(1)
    order = np.argsort(-near)[: settings.diff_commentary]
    return tuple(sorted((found[i] for i in order.tolist()), key=lambda s: (s.source, s.start)))


CONTINUED_CAPTION = "each earlier statement, then the closest restatement found later"
HEADINGS = {"continued": "Continued", "dropped": "Dropped", "new": "New"}


def compared(
    result: Diff,
    store: IndexStore,
    limit: int,
    question: str = "",
    first: str = "",
    per_topic: int = 1,
) -> Compared:
    """The diff as an answer: a lead that counts the topics of each class (what the search
    found, not a claim about the world), then each class's ``limit`` largest topics with
    ``per_topic`` quotes per side, a continued statement's beside its counterpart (the class
    asked for, ``first``, before the others), then the commentary."""
    listing = Listing(store, ())
    rows = []
    sections = []
    order = sorted(CLASSES, key=lambda c: c != first)
    for name in order:
        heading = HEADINGS[name]
        parts = []
        for topic in getattr(result, name)[:limit]:
            shown_a, shown_b = _shown(topic, per_topic)
            a = tuple(listing.quote(s.source, s.start, s.end) for s in shown_a)
            b = tuple(listing.quote(s.source, s.start, s.end) for s in shown_b)
            rows.append((name, topic.label, _numbers(a), _numbers(b)))
            # A continued topic's statements are pairs: each beside its counterpart.
            both = tuple(q for pair in zip(a, b, strict=True) for q in pair) if a and b else ()
            parts.append(Section(f"{topic.label} ({topic.size})", both or (*a, *b)))
        note = "" if parts else "none"
        # A counterpart is the closest restatement found, often of a related commitment
        # rather than the same one (``python bench/tune.py counterpart``): the reader checks.
        caption = CONTINUED_CAPTION if name == "continued" and parts else ""
        sections.append(
            Section(heading, note=note, caption=caption, parts=tuple(parts), itemised=bool(parts))
        )
    notes = tuple(listing.quote(s.source, s.start, s.end) for s in result.commentary)
    if notes:
        sections.append(Section("Commentary", notes, caption="analysis, not evidence"))
    verbs = {"continued": "continues", "dropped": "drops", "new": "adds"}
    counts = [f"{verbs[name]} {len(getattr(result, name))}" for name in order]
    lead = (
        f"{f'On {result.theme}, c' if result.theme else 'C'}ompared with {result.a.label}, "
        f"{result.b.label} {counts[0]} topics, {counts[1]} and {counts[2]}."
    )
    answer = Answer(question or lead, "answered", lead, tuple(sections), tuple(listing.passages))
    return Compared(
        answer, result.a.label, result.b.label, tuple(rows), _numbers(notes), result.theme
    )


def _shown(topic: Topic, limit: int) -> tuple[list[Statement], list[Statement]]:
    """A topic's first ``limit`` statements of each side; of a continued topic, its surest
    pairs whose counterparts differ (one statement of B can restate several of A: shown
    once)."""
    if not (topic.a and topic.b):
        return list(topic.a[:limit]), list(topic.b[:limit])
    a: list[Statement] = []
    b: list[Statement] = []
    for x, y in zip(topic.a, topic.b, strict=True):
        if len(a) < limit and all(y is not z for z in b):
            a.append(x)
            b.append(y)
    return a, b


def _numbers(quotes: Sequence[Quote]) -> tuple[int, ...]:
    return tuple(q.n for q in quotes)
