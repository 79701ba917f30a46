"""The theme map: how strongly each document, in date order, speaks to each theme.

A cell is the cosine between the theme and the document's best-matching sentence (sentence
vectors are already in the index, so a whole map costs one encode per theme). Cells at or above
the answer policy's support threshold count as "present"; each keeps its evidence sentence.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from c5qa.index.embedding import Embedder
from c5qa.index.store import IndexStore
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
    chunk_id: int
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
    store: IndexStore, embedder: Embedder, themes: tuple[tuple[str, str], ...], threshold: float
) -> ThemeMap:
    docs = sorted(store.documents.values(), key=lambda d: (d.date or "9999", d.source))
    vectors = embedder.encode([query for _, query in themes])
    rows = []
    for vector in vectors:
        row = []
        for doc in docs:
            first, end = store.ranges.get(doc.source, (0, 0))
            best = Cell(0.0, doc.source, -1, 0, 0, "")
            for chunk_id in range(first, end):
                chunk = store.chunks[chunk_id]
                sims = store.chunk_sentence_vectors(chunk_id) @ vector
                if len(sims) and float(sims.max()) > best.score:
                    i = int(sims.argmax())
                    s, e = chunk.sentences[i]
                    best = Cell(float(sims.max()), doc.source, chunk_id, s, e, doc.text[s:e])
            row.append(best)
        rows.append(tuple(row))
    return ThemeMap(
        themes=tuple(label for label, _ in themes),
        documents=tuple((d.source, d.date, d.title) for d in docs),
        cells=tuple(rows),
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
    fig.colorbar(image, ax=ax, label="best sentence match (cosine)")
    ax.set_title(f"Themes across the C5+1 documents (bold: ≥ {theme_map.threshold:.2f}, present)")
    fig.tight_layout()
    return fig


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
        embedder: Embedder,
        themes: tuple[tuple[str, str], ...],
        threshold: float,
    ) -> ThemeMap:
        key = (store.generation, themes, threshold)
        with self._lock:
            cached = self._maps.get(key)
        if cached is None:
            cached = build_map(store, embedder, themes, threshold)
            with self._lock:
                self._maps = {key: cached}  # older generations are not needed again
        return cached
