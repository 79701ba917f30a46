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
    def __init__(self) -> None:
        self.last = 0.0
        self.event = threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reads do not change the corpus
        self.last = time.monotonic()
        self.event.set()


def watch(
    corpus_dir: str,
    update: Callable[[], IndexReport],
    on_report: Callable[[IndexReport], None],
    debounce: float = 1.0,
    stop: threading.Event | None = None,
) -> None:
    """Run ``update`` now and after every quiet burst of changes, until ``stop`` is set."""
    stop = stop or threading.Event()
    changes = _Changes()
    observer = Observer()
    observer.schedule(changes, corpus_dir, recursive=True)
    observer.start()
    try:
        on_report(update())
        while not stop.is_set():
            if not changes.event.wait(timeout=0.2):
                continue
            if time.monotonic() - changes.last < debounce:
                continue
            changes.event.clear()
            on_report(update())
    finally:
        observer.stop()
        observer.join()
