"""What changed between two sides (periods or documents), topic by topic: the topics both
sides address (continued), those only the earlier one does (dropped) and those only the later
one does (new).

A topic is a default theme of the theme map (or the one theme asked for): a statement of a side
(``answer/statements.py``) is on every theme it matches at ``theme_presence``, the theme map's
calibrated presence (``python bench/tune.py themes``), so a side addresses a topic exactly
when the theme map finds the theme in one of its documents.
Within a continued topic the two sides' statements are paired, surest first, by how surely one
restates the other (cosine plus ``counterpart_lexical_weight`` x word overlap, calibrated on
``eval/pairs.jsonl``: ``python bench/tune.py counterpart``): the answer quotes the closest
pair. Statements on no theme ("other") are aligned one by one instead: continued when the
other side restates them (at ``counterpart_threshold``), else dropped or new. Topics are
ranked by how many statements they hold. Commentary (``kind: analysis``) is never evidence for
either side: its own sentences nearest what changed are shown apart.
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
from c5qa.ingest.tokens import tokenize
from c5qa.query.request import COMMENTARY, BadRequest, Period
from c5qa.settings import Settings

CLASSES = ("continued", "dropped", "new")


@dataclass(frozen=True)
class Topic:
    """A topic of one class and its statements on each side, those that show it best first:
    of a continued topic, ``a[i]`` and ``b[i]`` for ``i < paired`` are its closest pairs
    across the sides, surest first."""

    label: str
    a: tuple[Statement, ...] = ()
    b: tuple[Statement, ...] = ()
    paired: int = 0

    @property
    def size(self) -> int:
        return len(self.a) + len(self.b)


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


OTHER = "other"


def topic_labels(
    found: Sequence[Statement],
    themes: Sequence[Statement],
    names: Sequence[str],
    presence: float,
    lexical: float,
) -> list[dict[str, float]]:
    """Each statement's topics with its score on each: every theme it matches at
    ``presence`` (a statement on counterterrorism is on security too, as the theme map
    counts it for both), else "other" with its best score."""
    if not found:
        return []
    scores = match_scores(list(found), list(themes), lexical)
    out = []
    for row in scores:
        on = {names[j]: float(row[j]) for j in np.flatnonzero(row >= presence).tolist()}
        out.append(on or {OTHER: float(row.max())})
    return out


def diff(
    a: Period,
    b: Period,
    store: IndexStore,
    encode: Callable[[list[str]], np.ndarray],
    settings: Settings,
    theme: tuple[str, str] | None = None,
) -> Diff:
    """The diff of side ``a`` against side ``b`` (see the module doc); a ``BadRequest`` when
    a side has no documents. A ``theme`` (label, search text) narrows it to that theme's
    topic, the theme matched beside the default ones (``--theme water``)."""
    first, second = side_sources(a, store), side_sources(b, store)
    for period, sources in ((a, first), (b, second)):
        if not sources:
            raise BadRequest(f"no document of the corpus is dated {period.label}")
    left, right = side_statements(first, store), side_statements(second, store)
    lexical = settings.counterpart_lexical_weight
    names, themes = _themes(encode, theme)
    sides = Sides(
        left,
        right,
        topic_labels(left, themes, names, settings.theme_presence, lexical),
        topic_labels(right, themes, names, settings.theme_presence, lexical),
        match_scores(left, right, lexical),
    )
    classes: dict[str, list[Topic]] = {name: [] for name in CLASSES}
    for label in [*names, OTHER]:
        if theme is not None and label != theme[0]:
            continue
        for name, topic in sides.topics(label, settings.counterpart_threshold):
            classes[name].append(topic)
    kept, gone, added = (_ranked(classes[name]) for name in CLASSES)
    # What the commentary is chosen by: what changed, on the theme when there is one.
    changed = [s for t in gone for s in t.a] + [s for t in added for s in t.b]
    return Diff(
        a,
        b,
        kept,
        gone,
        added,
        _commentary(first, (*first, *second), changed, [*left, *right], store, settings),
        theme[0] if theme else "",
    )


def _ranked(topics: list[Topic]) -> tuple[Topic, ...]:
    """The largest topic first, "other" last."""
    return tuple(sorted(topics, key=lambda t: (t.label == OTHER, -t.size, t.label)))


@dataclass(frozen=True)
class Sides:
    """Both sides' statements, each one's topics with its score on each, and how surely each
    statement of B restates each of A (``scores[i, j]``)."""

    left: list[Statement]
    right: list[Statement]
    left_labels: list[dict[str, float]]
    right_labels: list[dict[str, float]]
    scores: np.ndarray

    def topics(self, label: str, bar: float) -> list[tuple[str, Topic]]:
        """The topic ``label`` as its class and statements: both sides hold it (continued),
        only A (dropped) or only B (new); "other" statement by statement (see the module
        doc), ``bar`` being the counterpart threshold."""
        ia = [i for i, on in enumerate(self.left_labels) if label in on]
        ib = [j for j, on in enumerate(self.right_labels) if label in on]
        if label == OTHER:
            return self._unthemed(ia, ib, bar)
        if ia and ib:
            return [("continued", self._paired(label, ia, ib))]
        if ia:
            nearest = self._nearest(ia, self.left_labels, label)
            return [("dropped", Topic(label, a=tuple(self.left[i] for i in nearest)))]
        if ib:
            nearest = self._nearest(ib, self.right_labels, label)
            return [("new", Topic(label, b=tuple(self.right[j] for j in nearest)))]
        return []

    def _paired(self, label: str, ia: list[int], ib: list[int]) -> Topic:
        """A continued topic: its statements paired greedily across the sides, surest first,
        each statement in one pair at most; the unpaired follow, nearest the theme first."""
        ranked = sorted(((i, j) for i in ia for j in ib), key=lambda p: -self.scores[p])
        pairs: list[tuple[int, int]] = []
        for i, j in ranked:
            if all(i != x and j != y for x, y in pairs):
                pairs.append((i, j))
        rest_a = self._nearest(
            [i for i in ia if all(i != x for x, _ in pairs)], self.left_labels, label
        )
        rest_b = self._nearest(
            [j for j in ib if all(j != y for _, y in pairs)], self.right_labels, label
        )
        a = tuple(self.left[i] for i, _ in pairs) + tuple(self.left[i] for i in rest_a)
        b = tuple(self.right[j] for _, j in pairs) + tuple(self.right[j] for j in rest_b)
        return Topic(label, a, b, len(pairs))

    def _unthemed(self, ia: list[int], ib: list[int], bar: float) -> list[tuple[str, Topic]]:
        """Statements on no theme, one by one: A's restated in B (at ``bar``) continue, the
        rest are dropped; B's that restate none of A are new."""
        kept = [i for i in ia if self.right and self.scores[i].max() >= bar]
        pairs = sorted(
            ((i, int(self.scores[i].argmax())) for i in kept), key=lambda p: -self.scores[p]
        )
        # The least restated first: what most plainly left, or arrived.
        gone = sorted((i for i in ia if i not in kept), key=lambda i: self._restated(i, 1))
        added = [j for j in ib if not self.left or self.scores[:, j].max() < bar]
        added.sort(key=lambda j: self._restated(j, 0))
        found = [
            (
                "continued",
                Topic(
                    OTHER,
                    tuple(self.left[i] for i, _ in pairs),
                    tuple(self.right[j] for _, j in pairs),
                    len(pairs),
                ),
            ),
            ("dropped", Topic(OTHER, a=tuple(self.left[i] for i in gone))),
            ("new", Topic(OTHER, b=tuple(self.right[j] for j in added))),
        ]
        return [(name, topic) for name, topic in found if topic.size]

    def _restated(self, index: int, axis: int) -> float:
        """How surely the other side restates statement ``index`` of A (``axis`` 1) or of B
        (``axis`` 0)."""
        row = self.scores[index] if axis == 1 else self.scores[:, index]
        return float(row.max()) if row.size else 0.0

    @staticmethod
    def _nearest(indices: list[int], labels: list[dict[str, float]], label: str) -> list[int]:
        """``indices`` nearest topic ``label`` first."""
        return sorted(indices, key=lambda i: -labels[i][label])


def _themes(
    encode: Callable[[list[str]], np.ndarray], theme: tuple[str, str] | None
) -> tuple[list[str], list[Statement]]:
    """The themes topics are labelled with, as statements to match: the default ones, and
    the one asked for when it is not one of them."""
    asked = list(DEFAULT_THEMES)
    vectors = theme_vectors(encode)
    if theme is not None and theme[0] not in dict(asked):
        asked.append(theme)
        vectors = np.vstack([vectors, encode([theme[1]])])
    themes = [
        Statement("", 0, 0, vector, frozenset(tokenize(query)))
        for vector, (_, query) in zip(vectors, asked, strict=True)
    ]
    return [label for label, _ in asked], themes


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


CONTINUED_CAPTION = "both sides address it: its closest pair of statements, earlier first"
HEADINGS = {"continued": "Continued", "dropped": "Dropped", "new": "New"}


def compared(
    result: Diff,
    store: IndexStore,
    limit: int,
    question: str = "",
    first: str = "",
    per_topic: int = 1,
) -> Compared:
    """The diff as an answer: a lead that names the topics of each class (what the search
    found, not a claim about the world), then each class's ``limit`` largest topics with
    ``per_topic`` quotes per side, a continued topic's as its closest pairs (the class asked
    for, ``first``, before the others), then the commentary."""
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
            # A continued topic's quotes are pairs: each of A beside its closest of B.
            both = tuple(q for pair in zip(a, b, strict=True) for q in pair) if a and b else ()
            parts.append(Section(f"{topic.label} ({topic.size})", both or (*a, *b)))
        note = "" if parts else "none"
        # The pair is the closest found, often a related commitment rather than the same
        # one (``python bench/tune.py counterpart``): the caption says so.
        caption = CONTINUED_CAPTION if name == "continued" and parts else ""
        sections.append(
            Section(heading, note=note, caption=caption, parts=tuple(parts), itemised=bool(parts))
        )
    notes = tuple(listing.quote(s.source, s.start, s.end) for s in result.commentary)
    if notes:
        sections.append(Section("Commentary", notes, caption="analysis, not evidence"))
    lead = _lead(result, order)
    answer = Answer(question or lead, "answered", lead, tuple(sections), tuple(listing.passages))
    return Compared(
        answer, result.a.label, result.b.label, tuple(rows), _numbers(notes), result.theme
    )


def _lead(result: Diff, order: Sequence[str]) -> str:
    """ "Compared with A, B continues 3 topics (…), drops 8 (…) and adds 1 (…).": the
    topics named, largest first; statements on no theme are not a topic."""
    verbs = {"continued": "continues", "dropped": "drops", "new": "adds"}
    counts = []
    for n, name in enumerate(order):
        labels = [t.label for t in getattr(result, name) if t.label != OTHER]
        noun = (" topic" if len(labels) == 1 else " topics") if n == 0 else ""
        named = f" ({', '.join(labels)})" if labels else ""
        counts.append(f"{verbs[name]} {len(labels)}{noun}{named}")
    on = f"On {result.theme}, c" if result.theme else "C"
    return (
        f"{on}ompared with {result.a.label}, {result.b.label} {counts[0]}, {counts[1]} and "
        f"{counts[2]}."
    )


def _shown(topic: Topic, limit: int) -> tuple[tuple[Statement, ...], tuple[Statement, ...]]:
    """What a topic quotes: of a continued topic its ``limit`` closest pairs, else its
    ``limit`` statements nearest the theme."""
    if topic.a and topic.b:
        shown = min(limit, topic.paired)
        return topic.a[:shown], topic.b[:shown]
    return topic.a[:limit], topic.b[:limit]


def _numbers(quotes: Sequence[Quote]) -> tuple[int, ...]:
    return tuple(q.n for q in quotes)
