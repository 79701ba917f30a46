import os
from pathlib import Path

from c5qa.measure.soak import rss_mb, run_soak
from tests.conftest import KAZAKHSTAN, NEW_YORK, ROOT, TURKMENISTAN


def test_rss_is_read_from_proc() -> None:
    assert 50 < rss_mb(os.getpid()) < 24 * 1024


def test_a_short_soak_serves_mixed_traffic_and_samples_memory(tmp_path: Path) -> None:
    """Six seconds of the benchmark end to end: a real server, clients that come and go,
    memory sampled; no request fails."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (KAZAKHSTAN, NEW_YORK, TURKMENISTAN):
        (corpus / name).write_bytes((ROOT / "corpus" / name).read_bytes())
    questions = ["Which firm will upgrade Kazakhstan's air traffic management system?"]
    result = run_soak(corpus, tmp_path / "work", questions, minutes=0.1, clients=1, every=1)
    report = result.to_json()
    assert report["errors"] == 0 and report["requests"] > 0
    assert len(report["samples"]) >= 3 and report["rss_max_mb"] > 100
    assert report["growth_second_half"] is not None and abs(report["growth_second_half"]) < 1
