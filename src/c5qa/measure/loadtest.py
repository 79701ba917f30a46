"""Many users at once while the index is rebuilt: the served app must answer every one of them
from a consistent index.

A real ``c5qa serve`` process (loopback only) is driven by concurrent ``gradio_client`` users
calling ``/ask``, while this process keeps committing new index generations beside it (a
document added, changed, removed, in turn), as a second ``c5qa index`` would. Every answer's
citations are checked against the documents they name, as those documents were at the time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from c5qa.app.service import Service
from c5qa.index.embedding import Embedder
from c5qa.index.store import current_generation
from c5qa.ingest.documents import discover, load_document
from c5qa.settings import Settings

_MARKER = re.compile(r"\[(\d+)\]")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LoadResult:
    users: int
    per_user: int
    concurrency: int
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bad_citations: list[str] = field(default_factory=list)
    rebuilds: int = 0  # generations committed while the users were asking
    wall: float = 0.0
    server_ms: list[float] = field(default_factory=list)  # time in Service.ask, per answer

    def to_json(self) -> dict:
        client_ms = [t * 1000 for t in self.seconds]
        return {
            "users": self.users,
            "questions_each": self.per_user,
            "concurrency": self.concurrency,
            "answered": len(self.seconds),
            "errors": len(self.errors),
            "bad_citations": len(self.bad_citations),
            "rebuilds_during_load": self.rebuilds,
            "p50_ms": _quantile(client_ms, 0.5),
            "p95_ms": _quantile(client_ms, 0.95),
            "max_ms": _quantile(client_ms, 1.0),
            "answers_per_s": round(len(client_ms) / self.wall, 1) if self.wall else None,
            "server_ask_p50_ms": _quantile(self.server_ms, 0.5),
            "server_ask_p95_ms": _quantile(self.server_ms, 0.95),
            "first_errors": self.errors[:3],
            "first_bad_citations": self.bad_citations[:3],
        }


def _quantile(values: list[float], q: float) -> float | None:
    """The nearest-rank quantile: an observed value, no interpolation."""
    ordered = sorted(values)
    return round(ordered[max(0, round(q * len(ordered)) - 1)], 1) if ordered else None


def _server_ms(log: Path) -> list[float]:
    """The server's own time per answer, from its JSON log records."""
    times = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{") and '"event": "answer"' in line:
            times.append(float(json.loads(line)["ms"]))
    return times


class _Versions:
    """Every text each document has had during the run: a citation is sound if it quotes one
    of them at its offsets (an answer may come from the generation before a change)."""

    def __init__(self, corpus: Path) -> None:
        self.corpus = corpus
        self.texts: dict[str, list[str]] = {}
        self.lock = threading.Lock()
        for path in discover(corpus):
            self.record(path)

    def record(self, path: Path) -> None:
        document = load_document(path, self.corpus)
        with self.lock:
            self.texts.setdefault(document.source, []).append(document.text)

    def check(self, answer: dict) -> list[str]:
        problems = []
        passages = answer.get("passages", [])
        for n in {int(m) for m in _MARKER.findall(answer.get("answer", ""))}:
            if not 1 <= n <= len(passages):
                problems.append(f"marker [{n}] with {len(passages)} passages")
        with self.lock:
            for p in passages:
                texts = self.texts.get(p["source"], [])
                if not any(t[p["start"] : p["end"]] == p["text"] for t in texts):
                    problems.append(f"{p['source']}[{p['start']}:{p['end']}] does not match")
        return problems


def start_server(
    corpus: Path, index: Path, port: int, concurrency: int, log: Path
) -> subprocess.Popen:
    env = {
        **os.environ,
        "C5QA_CONCURRENCY": str(concurrency),
        "C5QA_HOST": "127.0.0.1",
        "C5QA_LOG_LEVEL": "DEBUG",  # one "answer" record per question, with its time
        "C5QA_LOG_FORMAT": "json",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                *(sys.executable, "-m", "c5qa", "serve"),
                *("--corpus", str(corpus), "--index", str(index), "--port", str(port)),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_until_up(
    url: str,
    server: subprocess.Popen,
    timeout: float = 300,
    probe: Callable[[str], object] | None = None,
) -> None:
    """Wait until ``probe(url)`` succeeds (by default, a retrieval through the API; a server
    behind a login probes its login page instead); a server that exits is an error at once."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            (probe or _retrieves)(url)
            return
        except Exception:  # not listening yet
            time.sleep(0.5)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s")


def _retrieves(url: str) -> None:
    from gradio_client import Client

    Client(url, verbose=False).predict("C5+1", 1, None, api_name="/retrieve")


def _rebuild(
    writer: Service, versions: _Versions, stop: threading.Event, commits: list[float]
) -> None:
    """Commit generations until told to stop (add a document, change it, remove it, …),
    noting in ``commits`` when each landed."""
    path = writer.settings.corpus_dir / "zz-load-test-note.txt"
    round_, last = 0, current_generation(writer.settings.index_dir)
    while not stop.is_set():
        if round_ % 3 < 2:
            path.write_text(
                f"Load test note {round_}. The Aral Sea basin working group met in round "
                f"{round_} to review water monitoring stations and glacier data.\n",
                encoding="utf-8",
            )
            versions.record(path)
        else:
            path.unlink()
        generation = writer.index(wait=300, on_notice=lambda message: None).generation
        if generation != last:
            commits.append(time.perf_counter())
            last = generation
        round_ += 1


def _user(
    url: str,
    questions: list[str],
    result: LoadResult,
    versions: _Versions,
    more: Callable[[], bool],
) -> None:
    """Ask each question in turn, then go on asking while ``more()`` says the run needs it."""
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
    except Exception as exc:
        result.errors.append(f"connect: {exc}")
        return
    asked = 0
    while asked < len(questions) or more():
        question = questions[asked % len(questions)]
        asked += 1
        started = time.perf_counter()
        try:
            answer = client.predict(question, [], 5, None, api_name="/ask")
        except Exception as exc:
            result.errors.append(f"{question[:40]!r}: {exc}")
            continue
        result.seconds.append(time.perf_counter() - started)
        if not answer.get("answer"):
            result.errors.append(f"{question[:40]!r}: empty answer")
        result.bad_citations.extend(versions.check(answer))


@dataclass
class _Run:
    """What the users, the rebuilding thread and the summing up share: when the users began
    and ended, when each generation landed, and why rebuilding stopped, if it failed."""

    min_rebuilds: int
    stop: threading.Event = field(default_factory=threading.Event)
    commits: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0

    def rebuild_loop(self, writer: Service, versions: _Versions) -> None:
        """Commit generations until stopped; a failure is recorded (reported as an error of
        the run) and stops the rebuilding rather than killing the thread silently."""
        try:
            _rebuild(writer, versions, self.stop, self.commits)
        except Exception as exc:
            self.failures.append(f"{exc.__class__.__name__}: {exc}")
            self.stop.set()

    def more(self) -> bool:
        """Whether users should go on asking: fewer than ``min_rebuilds`` generations landed
        since they began, for at most a minute more, and rebuilding has not failed."""
        landed = sum(t >= self.started for t in self.commits)
        return (
            landed < self.min_rebuilds
            and time.perf_counter() < self.started + 60
            and not self.failures
        )


def _drive(
    url: str,
    questions: list[str],
    writer: Service,
    versions: _Versions,
    result: LoadResult,
    run: _Run,
    rebuild: bool,
) -> None:
    """Let ``result.users`` users ask ``result.per_user`` questions each (user i starts at
    question i, so they do not all ask the same thing) while, with ``rebuild``, generations
    are committed; the wall time counts the users only, not the rebuilder's last commit."""
    rebuilder = threading.Thread(target=run.rebuild_loop, args=(writer, versions), name="rebuild")
    if rebuild:
        rebuilder.start()
    threads = [
        threading.Thread(
            target=_user,
            args=(url, [questions[(i + j) % len(questions)] for j in range(result.per_user)]),
            kwargs={"result": result, "versions": versions, "more": run.more},
            name=f"user-{i}",
        )
        for i in range(result.users)
    ]
    run.started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.ended = time.perf_counter()
    result.wall = run.ended - run.started
    run.stop.set()
    if rebuild:
        rebuilder.join()


def stop_server(server: subprocess.Popen) -> None:
    """Ask the server to exit, and kill it if it has not within 30 s, so no run leaves a
    server holding its port."""
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def run_load(
    corpus: Path,
    workdir: Path,
    questions: list[str],
    embedder: Embedder,
    users: int = 20,
    per_user: int = 10,
    concurrency: int = 2,
    rebuild: bool = True,
    min_rebuilds: int = 0,
) -> LoadResult:
    """Copy ``corpus`` into ``workdir``, index it, serve it, and let ``users`` ask ``per_user``
    questions each (user i starts at question i, so they do not all ask the same thing) while
    generations are committed. With ``min_rebuilds``, users go on asking (up to a minute more)
    until that many generations have been committed while they ask."""
    work_corpus, index = workdir / "corpus", workdir / "index"
    if not work_corpus.exists():
        shutil.copytree(corpus, work_corpus)
    writer = Service(Settings(corpus_dir=work_corpus, index_dir=index), embedder)
    writer.index(on_notice=lambda message: None)
    versions = _Versions(work_corpus)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = start_server(work_corpus, index, port, concurrency, workdir / "server.log")
    result = LoadResult(users, per_user, concurrency)
    run = _Run(min_rebuilds)
    try:
        wait_until_up(url, server)
        _drive(url, questions, writer, versions, result, run, rebuild)
    finally:
        run.stop.set()
        stop_server(server)
    result.errors.extend(f"rebuild: {f}" for f in run.failures)
    result.rebuilds = sum(run.started <= t <= run.ended for t in run.commits)
    result.server_ms = _server_ms(workdir / "server.log")
    return result
