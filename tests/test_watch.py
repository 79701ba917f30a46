import queue
import threading
import time

from c5qa.app.service import Service
from c5qa.app.watch import watch
from c5qa.index.store import IndexReport

# Bounds a hang only: every wait below ends as soon as what it waits for happens.
HANG = 120.0


def _next(reports: "queue.Queue[IndexReport]", advance: list[float] | None = None) -> IndexReport:
    """The next report; with ``advance``, the watcher's clock moves on a second at a time
    until it comes (a change seen late makes the corpus count as quiet only after it)."""
    deadline = time.monotonic() + HANG
    while time.monotonic() < deadline:
        if advance is not None:
            advance[0] += 1.0
        try:
            return reports.get(timeout=0.2)
        except queue.Empty:
            continue
    raise AssertionError(f"no update within {HANG} s")


def test_watch_updates_once_after_a_quiet_burst(small_service: Service) -> None:
    """The watcher runs on a clock of the test's own: while it stands still the corpus never
    counts as quiet, however slowly the machine runs, so no update can split the burst."""
    reports: queue.Queue[IndexReport] = queue.Queue()
    updating = threading.Event()  # set as an update starts (it reports only when done)
    now = [0.0]
    stop = threading.Event()

    def update() -> IndexReport:
        updating.set()
        return small_service.index(on_notice=lambda m: None)

    thread = threading.Thread(
        target=watch,
        args=(str(small_service.settings.corpus_dir), update, reports.put),
        kwargs={"debounce": 0.5, "stop": stop, "clock": lambda: now[0]},
        daemon=True,
    )
    thread.start()
    try:
        assert _next(reports).documents == 4  # the initial update, at once
        updating.clear()
        corpus = small_service.settings.corpus_dir
        burst = [f"burst{i}.txt" for i in range(3)]
        for i, name in enumerate(burst):  # one burst of three files → one update
            (corpus / name).write_text(f"The Pamir highway survey part {i} finished.")
        # Correct code never updates here; one that ignored the quiet would, within this second.
        time.sleep(1.0)
        assert not updating.is_set(), "updated before the corpus was quiet"
        update = _next(reports, advance=now)
        assert sorted(update.added) == burst and update.documents == 7
        assert small_service.retrieve("Pamir highway survey", k=1)[0].source in burst
        # Changes seen after that update (an event delivered late) may bring another update;
        # it finds nothing new. A later change is picked up in turn.
        (corpus / "burst1.txt").unlink()
        removal = _next(reports, advance=now)
        while not removal.removed:
            assert not removal.added and not removal.updated, removal
            removal = _next(reports, advance=now)
        assert removal.removed == ("burst1.txt",) and removal.documents == 6
    finally:
        stop.set()
        thread.join(timeout=HANG)
    assert not thread.is_alive()
