import shutil
from pathlib import Path

import pytest

from c5qa.answer.themes import (
    DEFAULT_THEMES,
    Cell,
    ThemeMap,
    column_labels,
    figure,
    interactive_figure,
    parse_themes,
    render_png,
    short_label,
    table,
)
from c5qa.app.service import Service
from c5qa.index.embedding import Embedder
from c5qa.query.request import BadRequest
from c5qa.settings import Settings
from tests.conftest import KAZAKHSTAN


def test_parse_themes_keeps_default_search_text() -> None:
    assert parse_themes("security, water=glaciers and rivers, ") == (
        ("security", dict(DEFAULT_THEMES)["security"]),
        ("water", "glaciers and rivers"),
    )
    assert parse_themes(", ".join(label for label, _ in DEFAULT_THEMES)) == DEFAULT_THEMES


def test_theme_map_on_a_synthetic_corpus(tmp_path: Path, embedder: Embedder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    docs = {
        "a.txt": ("2019-01-01", "Water security and water resources are at risk as glaciers melt."),
        "b.txt": (
            "2023-05-01",
            "The ministers launched a dialogue on critical minerals such as lithium.",
        ),
        "c.txt": (
            "2025-02-01",
            "They agreed to protect cultural heritage sites and return looted antiquities.",
        ),
    }
    for name, (date, text) in docs.items():
        (corpus / name).write_text(f"---\ntitle: {name}\ndate: {date}\n---\n{text}\n")
    service = Service(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), embedder)
    service.index(on_notice=lambda m: None)
    themes = parse_themes("water, critical minerals, cultural heritage")
    theme_map = service.themes(themes)
    assert [s for s, _, _ in theme_map.documents] == ["a.txt", "b.txt", "c.txt"]  # by date
    scores = theme_map.scores()
    for row in range(3):  # each theme is strongest in its own document, present there only
        assert scores[row].argmax() == row
        assert scores[row, row] >= theme_map.threshold
        assert all(scores[row, col] < theme_map.threshold for col in range(3) if col != row)
    assert "lithium" in theme_map.cells[1][1].sentence
    assert service.themes(themes) is theme_map  # cached for the generation
    png = render_png(theme_map, tmp_path / "map.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_parse_themes_refuses_more_than_its_limit() -> None:
    """300 themes took 37 s to draw; the bound is refused before anything is encoded."""
    forty = ", ".join(f"theme {n}" for n in range(40))
    assert len(parse_themes(forty)) == Settings().max_themes == 40
    with pytest.raises(BadRequest) as refused:
        parse_themes(forty + ", one more")
    assert str(refused.value) == "themes must be at most 40 (max_themes), not 41"
    assert len(parse_themes("water, , energy,", limit=2)) == 2  # empty parts are no themes
    with pytest.raises(BadRequest, match=r"^themes must be at most 2 \(max_themes\), not 3$"):
        parse_themes("water, energy, security", limit=2)


def _map(documents: tuple[tuple[str, str, str], ...]) -> ThemeMap:
    themes = ("water", "energy")
    cells = tuple(
        tuple(Cell(0.1 + 0.2 * t + 0.1 * d, s, 0, 0, "") for d, (s, _, _) in enumerate(documents))
        for t in range(len(themes))
    )
    return ThemeMap(themes=themes, documents=documents, cells=cells, threshold=0.4)


TITLE = "Joint Statement of the C5+1 Foreign Ministers"
TWINS = (
    ("2023-09-19_statement.txt", "2023-09-19", TITLE),
    ("2023-09-19_statement-copy.txt", "2023-09-19", TITLE),
    ("2023-09-19_other.txt", "2023-09-19", TITLE[:23] + " in New York"),  # same first 23
    ("2025-11-06_fact-sheet.txt", "2025-11-06", "Fact Sheet"),
)


def test_column_labels_are_unique_and_stable_for_identical_documents() -> None:
    theme_map = _map(TWINS)
    plain = [short_label(d, t, 24) for _, d, t in TWINS]
    assert len(set(plain)) == 2  # what broke the Themes tab
    labels = column_labels(theme_map, 24)
    assert len(set(labels)) == len(labels) == 4
    assert labels == [
        f"{plain[0]} (2023-09-19_statement.txt)",
        f"{plain[1]} (2023-09-19_statement-copy.txt)",
        f"{plain[2]} (2023-09-19_other.txt)",
        "2025-11-06 · Fact Sheet",  # a label nobody shares stays as it was
    ]
    assert column_labels(theme_map, 24) == labels  # the same every time
    # Wide enough to tell the third title apart, only the identical copies are named.
    wide = column_labels(theme_map)
    assert wide[2] == short_label("2023-09-19", TWINS[2][2]) and "(" not in wide[3]
    assert wide[0].endswith("(2023-09-19_statement.txt)") and len(set(wide)) == 4


def test_column_labels_stay_unique_when_a_title_reads_like_a_file_name() -> None:
    documents = (
        ("a.txt", "2023", "T"),
        ("b.txt", "2023", "T"),
        ("c.txt", "2023", "T (a.txt)"),
    )
    labels = column_labels(_map(documents))
    assert labels == ["2023 · T (a.txt)", "2023 · T (b.txt)", "2023 · T (a.txt) #2"]


def test_a_styled_table_of_identical_documents_renders(tmp_path: Path) -> None:
    """The Themes tab's table: pandas' Styler raised KeyError on a non-unique column."""
    import pandas as pd

    theme_map = _map(TWINS)
    columns = ["theme", *column_labels(theme_map, 24)]
    frame = pd.DataFrame(table(theme_map), columns=columns)
    styled = frame.style.background_gradient(
        cmap="YlGnBu", vmin=0.1, vmax=0.8, subset=columns[1:]
    ).format(precision=2)
    html = styled.to_html()
    assert "(2023-09-19_statement-copy.txt)" in html
    with pytest.raises(KeyError):  # the failure the labels prevent
        plain = ["theme", *(short_label(d, t, 24) for _, d, t in TWINS)]
        pd.DataFrame(table(theme_map), columns=plain).style.background_gradient(
            subset=plain[1:]
        ).to_html()
    import matplotlib.pyplot as plt

    drawn = figure(theme_map)
    assert [tick.get_text() for tick in drawn.axes[0].get_xticklabels()] == column_labels(theme_map)
    plt.close(drawn)


def test_an_indexed_copy_of_a_document_gets_its_own_column(
    small_corpus: Path, small_service: Service
) -> None:
    shutil.copy(small_corpus / KAZAKHSTAN, small_corpus / ("copy-of-" + KAZAKHSTAN))
    small_service.index(on_notice=lambda m: None)
    theme_map = small_service.themes(parse_themes("critical minerals, water"))
    sources = [source for source, _, _ in theme_map.documents]
    assert KAZAKHSTAN in sources and "copy-of-" + KAZAKHSTAN in sources
    labels = column_labels(theme_map, 24)
    assert len(set(labels)) == len(labels) == len(sources)
    assert any(label.endswith(f"(copy-of-{KAZAKHSTAN})") for label in labels)


def test_the_interactive_map_escapes_document_text_in_hovers_and_labels() -> None:
    """Plotly renders a little HTML in hover text and axis labels (#16): a title or sentence
    of a document is shown as text, never as markup; a present cell carries a dot."""
    hostile = '<img src=x onerror=alert(1)> <a href="http://127.0.0.1:9">x</a>'
    documents = (("a.txt", "2023-09-21", hostile), ("b.txt", "2025-11-07", "Fact Sheet"))
    cells = ((Cell(0.6, "a.txt", 0, 5, hostile), Cell(0.2, "b.txt", 0, 5, "Water.")),)
    theme_map = ThemeMap(themes=("water",), documents=documents, cells=cells, threshold=0.4)
    heatmap = interactive_figure(theme_map).data[0]
    texts = [*heatmap.x, *heatmap.y, *(h for row in heatmap.customdata for h in row)]
    assert not any("<img" in t or "<a " in t for t in texts)
    assert "&lt;img src=x onerror=alert(1)&gt;" in heatmap.customdata[0][0]
    assert "present, score 0.60" in heatmap.customdata[0][0]
    assert "not addressed, score 0.20" in heatmap.customdata[0][1]
    assert [list(row) for row in heatmap.text] == [["●", ""]]
