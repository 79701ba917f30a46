from pathlib import Path

from c5qa.answer.themes import DEFAULT_THEMES, parse_themes, render_png
from c5qa.app.service import Service
from c5qa.index.embedding import Embedder
from c5qa.settings import Settings


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
