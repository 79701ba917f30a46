"""Keep the index in step with ``corpus/`` as files come and go (``c5qa index --watch``).

File-system events arrive in bursts (an editor's save, a copied folder); updates wait until the
corpus has been quiet for ``debounce`` seconds, then run one incremental update for the burst.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from c5qa.index.store import IndexReport


class _Changes(FileSystemEventHandler):
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.last = 0.0
        self.event = threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reads do not change the corpus
        self.last = self.clock()
        self.event.set()


def watch(
    corpus_dir: str,
    update: Callable[[], IndexReport],
    on_report: Callable[[IndexReport], None],
    debounce: float = 1.0,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run ``update`` now and after every quiet burst of changes, until ``stop`` is set.
    ``clock`` measures the quiet (a test's own clock makes the debounce independent of how
    fast the machine runs)."""
    stop = stop or threading.Event()
    changes = _Changes(clock)
    observer = Observer()
    observer.schedule(changes, corpus_dir, recursive=True)
    observer.start()
    try:
        on_report(update())
        while not stop.is_set():
            if not changes.event.wait(timeout=0.2):
                continue
            if clock() - changes.last < debounce:
                stop.wait(0.05)  # still in the burst: look again shortly, without spinning
                continue
            changes.event.clear()
            on_report(update())
    finally:
        observer.stop()
        observer.join()
