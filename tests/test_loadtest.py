"""The load test, kept short: the full 20 users × 10 questions run is `c5qa bench load`."""

from pathlib import Path

from c5qa.index.embedding import Embedder
from c5qa.measure.evaluation import load_questions
from c5qa.measure.loadtest import run_load
from tests.conftest import CORPUS, EVAL


def test_concurrent_users_during_rebuilds_get_sound_answers(
    tmp_path: Path, embedder: Embedder
) -> None:
    questions = [q.question for q in load_questions(EVAL)][::7]
    result = run_load(
        CORPUS, tmp_path, questions, embedder, users=4, per_user=4, concurrency=2, min_rebuilds=2
    )
    report = result.to_json()
    assert report["errors"] == 0, report["first_errors"]
    assert report["bad_citations"] == 0, report["first_bad_citations"]
    assert report["answered"] >= 16 and report["rebuilds_during_load"] >= 2
    assert len(result.server_ms) >= report["answered"]  # the server logged each answer
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log
    assert log.count("index.loaded") >= 3  # the first generation, then live switches
