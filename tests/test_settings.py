from pathlib import Path

import pytest

from c5qa.settings import Settings, load_settings


def test_defaults_without_config_or_env(tmp_path: Path) -> None:
    settings = load_settings(config=tmp_path / "absent.toml", environ={})
    assert settings == Settings()
    assert settings.host == "127.0.0.1" and settings.port == 7860 and settings.k == 5


def test_layers_defaults_then_toml_then_env_then_flags(tmp_path: Path) -> None:
    config = tmp_path / "c5qa.toml"
    config.write_text('k = 7\nport = 9000\ncorpus_dir = "docs"\nmodel = "some/model"\n')
    env = {"C5QA_PORT": "9100", "C5QA_ABSTAIN_BELOW": "0.45"}
    settings = load_settings(config=config, environ=env, index_dir=Path("elsewhere"))
    assert settings.k == 7  # from the file
    assert settings.port == 9100  # the environment beats the file
    assert settings.abstain_below == pytest.approx(0.45)
    assert settings.corpus_dir == Path("docs") and settings.model == "some/model"
    assert settings.index_dir == Path("elsewhere")  # flags beat everything


def test_config_path_from_environment(tmp_path: Path) -> None:
    config = tmp_path / "other.toml"
    config.write_text("chunk_size = 500\n")
    settings = load_settings(environ={"C5QA_CONFIG": str(config)})
    assert settings.chunk_size == 500


def test_unknown_key_and_bad_value_are_named(tmp_path: Path) -> None:
    config = tmp_path / "c5qa.toml"
    config.write_text("colour = 'blue'\n")
    with pytest.raises(ValueError, match="colour"):
        load_settings(config=config, environ={})
    with pytest.raises(ValueError, match="port"):
        load_settings(config=tmp_path / "none.toml", environ={"C5QA_PORT": "eighty"})


def test_request_bounds_load_from_the_environment(tmp_path: Path) -> None:
    """The bounds on what one request may multiply (issue #21), each a setting."""
    defaults = load_settings(config=tmp_path / "absent.toml", environ={})
    assert (
        defaults.max_periods,
        defaults.max_periods_chars,
        defaults.max_themes,
        defaults.max_history_turns,
        defaults.max_question_chars,
        defaults.max_filter_sources,
    ) == (12, 400, 40, 50, 2000, 200)
    env = {
        "C5QA_MAX_PERIODS": "20",
        "C5QA_MAX_PERIODS_CHARS": "800",
        "C5QA_MAX_THEMES": "15",
        "C5QA_MAX_HISTORY_TURNS": "10",
        "C5QA_MAX_QUESTION_CHARS": "500",
        "C5QA_MAX_FILTER_SOURCES": "30",
    }
    settings = load_settings(config=tmp_path / "absent.toml", environ=env)
    assert settings.max_periods == 20 and settings.max_periods_chars == 800
    assert settings.max_themes == 15 and settings.max_history_turns == 10
    assert settings.max_question_chars == 500 and settings.max_filter_sources == 30
    with pytest.raises(ValueError, match="max_themes"):
        load_settings(config=tmp_path / "absent.toml", environ={"C5QA_MAX_THEMES": "many"})
