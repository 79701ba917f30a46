"""The theme map: how strongly each document, in date order, speaks to each theme.

A cell is the theme matched against the document's best-matching statement, as a diff matches
two statements (``answer/statements.py``: the stored sentence vectors plus word overlap, so a
whole map costs one encode per theme). Cells at or above ``theme_presence`` (calibrated on the
labelled cells of ``eval/theme-presence.jsonl``: ``python bench/tune.py themes``) count as
"present"; each keeps its evidence statement.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from c5qa.answer.statements import Statement, match_scores, side_statements
from c5qa.index.embedding import Encoder
from c5qa.index.store import IndexStore
from c5qa.ingest.tokens import tokenize
from c5qa.query.request import BadRequest
from c5qa.settings import Settings

# (label, what the theme is searched with)
DEFAULT_THEMES: tuple[tuple[str, str], ...] = (
    ("security", "security cooperation"),
    ("counterterrorism", "counterterrorism"),
    ("Afghanistan", "Afghanistan"),
    ("climate change", "climate change"),
    ("water", "water resources and water security"),
    ("energy", "energy security and energy cooperation"),
    ("critical minerals", "critical minerals"),
    ("trade routes / Middle Corridor", "Trans-Caspian trade route and Middle Corridor transport"),
    ("business and investment", "business and investment"),
    ("human rights", "human rights"),
    ("education and people-to-people", "education exchanges and people-to-people ties"),
    ("cultural heritage", "cultural heritage"),
)


@dataclass(frozen=True)
class Cell:
    score: float
    source: str
    start: int
    end: int
    sentence: str


@dataclass(frozen=True)
class ThemeMap:
    themes: tuple[str, ...]
    documents: tuple[tuple[str, str, str], ...]  # (source, date, title), oldest first
    cells: tuple[tuple[Cell, ...], ...]  # [theme][document]
    threshold: float

    def scores(self) -> np.ndarray:
        return np.array([[c.score for c in row] for row in self.cells], dtype=np.float32)


def parse_themes(text: str, limit: int = Settings.max_themes) -> tuple[tuple[str, str], ...]:
    """Labels with their search text ("water, energy=energy security"); a default theme's
    label keeps its default search text. Each theme costs an encode and a pass over every
    sentence vector (300 themes took 37 s), so more than ``limit`` (callers pass their
    settings' ``max_themes``) is a ``BadRequest``, refused before anything is encoded."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) > limit:
        raise BadRequest(f"themes must be at most {limit} (max_themes), not {len(parts)}")
    defaults = dict(DEFAULT_THEMES)
    themes = []
    for part in parts:
        label, _, query = part.partition("=")
        label = label.strip()
        themes.append((label, query.strip() or defaults.get(label) or label))
    return tuple(themes)


def build_map(
    store: IndexStore,
    embedder: Encoder,
    themes: tuple[tuple[str, str], ...],
    threshold: float,
    lexical: float,
) -> ThemeMap:
    """Each theme against each document's statements, matched as a diff matches two
    statements (``match_scores``: cosine plus ``lexical`` x word overlap); a cell keeps the
    best statement, its evidence."""
    docs = sorted(store.documents.values(), key=lambda d: (d.date or "9999", d.source))
    vectors = embedder.encode([query for _, query in themes])
    asked = [
        Statement("", 0, 0, vector, frozenset(tokenize(query)))
        for vector, (_, query) in zip(vectors, themes, strict=True)
    ]
    columns = []
    for doc in docs:
        found = side_statements([doc.source], store)
        scores = match_scores(asked, found, lexical)
        column = []
        for t in range(len(themes)):
            if not found:
                column.append(Cell(0.0, doc.source, 0, 0, ""))
                continue
            best = found[int(scores[t].argmax())]
            sentence = doc.text[best.start : best.end]
            column.append(Cell(float(scores[t].max()), doc.source, best.start, best.end, sentence))
        columns.append(column)
    return ThemeMap(
        themes=tuple(label for label, _ in themes),
        documents=tuple((d.source, d.date, d.title) for d in docs),
        cells=tuple(tuple(column[t] for column in columns) for t in range(len(themes))),
        threshold=threshold,
    )


def short_label(date: str, title: str, width: int = 34) -> str:
    """ "date · title", the title cut to ``width``: may be the same for two documents; use
    ``column_labels`` where labels must be unique."""
    title = title if len(title) <= width else title[: width - 1] + "…"
    return f"{date} · {title}"


def column_labels(theme_map: ThemeMap, width: int = 34) -> list[str]:
    """One label per document column, in the map's order, each different from the others:
    a table keyed by them (pandas' Styler) refuses a repeated column, and two documents share
    a label whenever their dates and cut titles agree (an identical copy of a file is enough).
    A shared label gets the document's file name, which is unique in the corpus; a label that
    then still repeats (a title that reads like another's file name) gets " #2", " #3", … in
    corpus order. The map's order is by date then file name, so the labels are stable."""
    labels = [short_label(date, title, width) for _, date, title in theme_map.documents]
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    named = [
        f"{label} ({source})" if counts[label] > 1 else label
        for label, (source, _, _) in zip(labels, theme_map.documents, strict=True)
    ]
    unique: list[str] = []
    seen: set[str] = set()
    for label in named:
        candidate, n = label, 1
        while candidate in seen:
            n += 1
            candidate = f"{label} #{n}"
        seen.add(candidate)
        unique.append(candidate)
    return unique


def figure(theme_map: ThemeMap):  # -> matplotlib Figure (imported lazily)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = theme_map.scores()
    fig, ax = plt.subplots(figsize=(2 + 0.62 * scores.shape[1], 1.6 + 0.42 * scores.shape[0]))
    image = ax.imshow(scores, cmap="YlGnBu", vmin=0.1, vmax=0.8, aspect="auto")
    ax.set_yticks(range(len(theme_map.themes)), labels=theme_map.themes)
    labels = column_labels(theme_map)
    ax.set_xticks(range(len(labels)), labels=labels, rotation=60, ha="right", fontsize=7)
    for t in range(scores.shape[0]):
        for d in range(scores.shape[1]):
            present = scores[t, d] >= theme_map.threshold
            ax.text(
                d,
                t,
                f"{scores[t, d]:.2f}",
                ha="center",
                va="center",
                fontsize=6,
                color="white" if scores[t, d] > 0.55 else "black",
                fontweight="bold" if present else "normal",
            )
    fig.colorbar(image, ax=ax, label="best statement match")
    ax.set_title(f"Themes across the C5+1 documents (bold: ≥ {theme_map.threshold:.2f}, present)")
    fig.tight_layout()
    return fig


def interactive_figure(theme_map: ThemeMap):  # -> plotly Figure (imported lazily)
    """The map as a Plotly heatmap for the chat: a cell's hover gives the theme, the document,
    whether the theme is present and the evidence sentence; present cells carry a dot.
    Document text and titles are untrusted: Plotly renders a little HTML in hover text and
    axis labels, so every piece of them is escaped."""
    import plotly.graph_objects as go

    scores = theme_map.scores()
    hover = [
        [
            _hover(theme, theme_map.documents[d], cell, theme_map.threshold)
            for d, cell in enumerate(row)
        ]
        for theme, row in zip(theme_map.themes, theme_map.cells, strict=True)
    ]
    marks = [
        ["●" if c.score >= theme_map.threshold else "" for c in row] for row in theme_map.cells
    ]
    heatmap = go.Heatmap(
        z=scores,
        x=[html.escape(label) for label in column_labels(theme_map, 24)],
        y=[html.escape(theme) for theme in theme_map.themes],
        text=marks,
        texttemplate="%{text}",
        customdata=hover,
        hovertemplate="%{customdata}<extra></extra>",
        colorscale="YlGnBu",
        zmin=0.1,
        zmax=0.8,
        colorbar={"title": {"text": "best match"}},
    )
    fig = go.Figure(heatmap)
    fig.update_layout(
        title={"text": f"Themes across the documents (●: present, ≥ {theme_map.threshold:.2f})"},
        height=160 + 34 * len(theme_map.themes),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        xaxis={"tickangle": -50, "tickfont": {"size": 9}},
        yaxis={"autorange": "reversed"},
    )
    return fig


def _hover(theme: str, document: tuple[str, str, str], cell: Cell, threshold: float) -> str:
    _, date, title = document
    verdict = "present" if cell.score >= threshold else "not addressed"
    words = html.escape(cell.sentence).split()
    lines = [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)][:6]
    return (
        f"<b>{html.escape(theme)}</b> in {html.escape(title)} ({html.escape(date)})<br>"
        f"{verdict}, score {cell.score:.2f}<br><br>" + "<br>".join(lines)
    )


def render_png(theme_map: ThemeMap, out: Path) -> Path:
    import matplotlib.pyplot as plt

    fig = figure(theme_map)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=130)
    plt.close(fig)
    return out


def table(theme_map: ThemeMap) -> list[list[object]]:
    """Rows for a heat table: theme, then one score per document."""
    return [
        [theme, *(round(c.score, 2) for c in row)]
        for theme, row in zip(theme_map.themes, theme_map.cells, strict=True)
    ]


class ThemeMaps:
    """The theme map of the current generation, computed once per generation and themes: a
    map costs a pass over every sentence vector, and the chat draws it on every page load."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._maps: dict[tuple, ThemeMap] = {}

    def get(
        self,
        store: IndexStore,
        embedder: Encoder,
        themes: tuple[tuple[str, str], ...],
        threshold: float,
        lexical: float,
    ) -> ThemeMap:
        key = (store.generation, themes, threshold, lexical)
        with self._lock:
            cached = self._maps.get(key)
        if cached is None:
            cached = build_map(store, embedder, themes, threshold, lexical)
            with self._lock:
                self._maps = {key: cached}  # older generations are not needed again
        return cached
