import threading
import time

from c5qa.app.service import Service
from c5qa.app.watch import watch
from c5qa.index.store import IndexReport


def test_watch_updates_after_a_quiet_burst(small_service: Service) -> None:
    reports: list[IndexReport] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=watch,
        args=(
            str(small_service.settings.corpus_dir),
            lambda: small_service.index(on_notice=lambda m: None),
            reports.append,
        ),
        kwargs={"debounce": 0.5, "stop": stop},
        daemon=True,
    )
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not reports and time.monotonic() < deadline:
            time.sleep(0.1)
        assert reports and reports[0].documents == 4  # the initial update
        corpus = small_service.settings.corpus_dir
        for i in range(3):  # one burst of three files → one update
            (corpus / f"burst{i}.txt").write_text(f"The Pamir highway survey part {i} finished.")
            time.sleep(0.05)
        while len(reports) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # no further update without further changes
        assert len(reports) == 2
        assert sorted(reports[1].added) == ["burst0.txt", "burst1.txt", "burst2.txt"]
        assert small_service.retrieve("Pamir highway survey", k=1)[0].source.startswith("burst")
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
