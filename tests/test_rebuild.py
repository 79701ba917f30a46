"""Index generations under stress, in real processes with the real model.

Writers are SIGKILLed at random moments (while importing, loading the model, embedding or writing
a generation), a reader keeps answering while another process rebuilds, a second writer gives up
cleanly when the lock is held, and a corrupted generation is refused by `ask` and rebuilt by
`index`. After every kill the index must still be the result of one complete run.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import filelock
import pytest

from c5qa.app.service import Service
from c5qa.index.embedding import Embedder
from c5qa.index.store import IndexCorrupt, current_generation, open_index
from c5qa.settings import Settings
from tests.conftest import KAZAKHSTAN, NEW_YORK, SAMARKAND, TURKMENISTAN

EXE = Path(sys.executable).with_name("c5qa")
QUESTION = "Which firm will upgrade Kazakhstan's air traffic management system?"
_PROGRESS_BAR = re.compile(r"\d+%\|")  # tqdm bars the model loader draws on stderr

quiet = {"on_notice": lambda message: None}


# ---------------------------------------------------------------------------------------------
# Helpers: subprocesses that are always killed, stderr as the user reads it, corpus snapshots.


@dataclass
class Run:
    """One `c5qa` process with its stdout and stderr in files (no pipe can fill up and block)."""

    proc: subprocess.Popen
    out: Path
    err: Path
    started: float

    def stdout(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout=timeout)

    def pause(self) -> None:
        """SIGSTOP the process (if it still runs): what it holds and has written stays as it
        is while the test looks, so what a kill is said to have cut short is exact."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)

    def kill(self) -> bool:
        """SIGKILL the process; False when it had already exited on its own."""
        if self.proc.poll() is not None:
            return False
        self.proc.kill()  # SIGKILL: no cleanup handlers, no finally blocks
        self.proc.wait()
        return True


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Run]]:
    """Start `c5qa ARGS...`; every process still running at teardown is killed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("C5QA_")}
    env["C5QA_CONFIG"] = str(tmp_path / "no-such-c5qa.toml")  # a developer's config can't leak in
    logs = tmp_path / "runs"
    logs.mkdir()
    runs: list[Run] = []

    def start(*args: str) -> Run:
        out, err = logs / f"{len(runs):03d}.out", logs / f"{len(runs):03d}.err"
        with out.open("w") as stdout, err.open("w") as stderr:
            proc = subprocess.Popen(
                [str(EXE), *args], stdout=stdout, stderr=stderr, env=env, cwd=tmp_path
            )
        runs.append(Run(proc, out, err, time.monotonic()))
        return runs[-1]

    try:
        yield start
    finally:
        for run in runs:
            run.kill()


def index_args(corpus: Path, index: Path, *extra: str) -> tuple[str, ...]:
    return ("index", "--corpus", str(corpus), "--index", str(index), "--json", *extra)


def messages(stderr: str) -> list[str]:
    """The lines of stderr meant for the user, without the model loader's progress bars."""
    return [line for line in stderr.splitlines() if line.strip() and not _PROGRESS_BAR.search(line)]


def assert_one_clean_line(stderr: str, *needles: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = messages(stderr)
    assert len(lines) == 1, f"expected one message line on stderr, got {lines!r}"
    for needle in needles:
        assert needle in lines[0].lower(), lines[0]
    return lines[0]


def snapshot(corpus: Path) -> dict[str, str]:
    """source → sha256 of every corpus file, as a complete `c5qa index` run would record it."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(corpus.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }


def last_line(text: str) -> str:
    return [line for line in text.splitlines() if line.strip()][-1].strip()


def generation_dirs(index: Path) -> tuple[list[str], list[str]]:
    """(committed-looking gen-* dirs, unfinished .gen-*.tmp dirs)."""
    names = os.listdir(index)
    gens = sorted(n for n in names if n.startswith("gen-") and (index / n).is_dir())
    return gens, sorted(n for n in names if n.startswith(".gen-") and n.endswith(".tmp"))


def entries(index: Path) -> set[tuple[str, int]]:
    """The index folder's entries but the lock, by name and inode: cheap enough to poll."""
    with os.scandir(index) as found:
        return {(e.name, e.inode()) for e in found if e.name != ".lock"}


def unfinished(index: Path) -> set[tuple[str, int]]:
    """What a writer started but did not commit: anything beside CURRENT, the lock, and the
    generations up to the current one (e.g. .gen-*.tmp, or a gen-* newer than CURRENT), by
    name and ctime (a writer that redoes a killed one's work reuses the name, even the inode)."""
    pointed = current_generation(index) or ""
    found = set()
    for name, _ in entries(index):
        if name == "CURRENT" or (name.startswith("gen-") and name <= pointed):
            continue
        with contextlib.suppress(FileNotFoundError):  # removed by a live writer meanwhile
            found.add((name, (index / name).stat().st_ctime_ns))
    return found


# Only against a hang (a deadlocked writer would otherwise stall the suite): no speed target,
# which belongs in bench/. A writer's run takes seconds; this is minutes on any machine.
HANG = 600.0


def wait_until(event: Callable[[], bool], runs: list[Run], pause: float) -> float:
    """Poll until ``event()`` or until all ``runs`` have exited; the time it happened."""
    hung = time.monotonic() + HANG
    while not event() and any(r.proc.poll() is None for r in runs):
        assert time.monotonic() < hung, "the writers hang"
        time.sleep(pause)
    return time.monotonic()


def lock_holder(index: Path, pids: set[int]) -> int | None:
    """Which of ``pids`` holds the writer lock, read from /proc/locks (Linux); None if unknown."""
    try:
        inode = str((index / ".lock").stat().st_ino)
        table = Path("/proc/locks").read_text()
    except OSError:
        return None
    for line in table.splitlines():
        fields = line.split()  # "1: FLOCK  ADVISORY  WRITE 9390 fe:00:2146329 0 EOF"
        if len(fields) < 6 or fields[1] != "FLOCK" or fields[5].rsplit(":", 1)[-1] != inode:
            continue
        if int(fields[4]) in pids:
            return int(fields[4])
    return None


# ---------------------------------------------------------------------------------------------
# 1. Crash safety: 20 SIGKILLs at random moments, each followed by a full consistency check.

NOTE_SENTENCES = (
    "The Caspian ferry line adds a weekly sailing between Aktau and Baku.",
    "Officials reviewed water sharing on the Amu Darya and Syr Darya rivers.",
    "A rail feasibility study covers the route from Tashkent to Termez.",
    "The working group met on critical minerals processing and export rules.",
    "Solar auctions in Uzbekistan drew bids from several foreign developers.",
    "Border posts on the Kyrgyz and Tajik frontier received new cargo scanners.",
    "Ministers discussed counter-narcotics training for customs officers.",
    "A scholarship fund supports engineering students from all five countries.",
)


def write_note(path: Path, rng: random.Random, step: int) -> None:
    body = " ".join(rng.choice(NOTE_SENTENCES) for _ in range(rng.randint(3, 30)))
    path.write_text(f"Field note, revision {step}.\n\n{body}\n\nEnd of note r{step}z.\n")


def change_corpus(corpus: Path, rng: random.Random, step: int) -> str:
    """One change a user might make: add, rewrite or delete a note, or extend a real document."""
    notes = sorted(corpus.glob("note-*.txt"))
    op = rng.choice(("add", "modify", "remove", "append")) if notes else "add"
    if op == "add":
        write_note(corpus / f"note-{step:02d}.txt", rng, step)
    elif op == "modify":
        write_note(rng.choice(notes), rng, step)
    elif op == "remove":
        rng.choice(notes).unlink()
    else:
        path = corpus / rng.choice((KAZAKHSTAN, NEW_YORK, SAMARKAND, TURKMENISTAN))
        path.write_text(path.read_text() + f"\nRevision {step} adds a Caspian ferry sailing.\n")
    return op


def assert_consistent(
    index: Path,
    corpus: Path,
    embedder: Embedder,
    candidates: list[dict[str, str]],
    needles: dict[str, str],
) -> dict[str, str]:
    """The index loads, is sound, and is exactly the result of one complete run over one of the
    ``candidates`` corpus states; a fresh Service answers from it. Returns the state it holds."""
    store = open_index(index)
    assert store.check() == []
    indexed = {source: info["sha256"] for source, info in store.manifest["documents"].items()}
    assert indexed in candidates, (
        f"{store.generation} holds {sorted(indexed)}, which is no complete run over "
        f"{[sorted(c) for c in candidates]}"
    )
    assert store.manifest["failed"] == []
    for source, document in store.documents.items():
        assert document.sha256 == indexed[source]
        assert needles[indexed[source]] in document.text, f"{source} holds another version's text"
    answer = Service(Settings(corpus_dir=corpus, index_dir=index), embedder).ask(QUESTION)
    assert any(p.source == KAZAKHSTAN and "Leidos" in p.text for p in answer.passages)
    return indexed


# What a kill can cut short, as the test tells it from outside (the writer paused first).
LOCKED, WAITING, IMPORTING, FINISHED = (
    "holding the lock",  # reading the old index, the corpus; embedding; writing
    "loading the model or waiting for the lock",  # the loader drew its bar
    "importing",
    "finished",
)


@dataclass
class Kills:
    """Pairs of writers started on a changed corpus and SIGKILLed, the index checked for being
    one complete run after every kill. What each kill cut short is read while the writer is
    stopped (SIGSTOP), so it is exact; where the kill lands is left to timing and events."""

    corpus: Path
    index: Path
    embedder: Embedder
    spawn: Callable[..., Run]
    rng: random.Random
    scale: float  # seconds one writer takes, corrected as the kills learn more
    committed: dict[str, str] = field(default_factory=dict)
    current: dict[str, str] = field(default_factory=dict)
    needles: dict[str, str] = field(default_factory=dict)
    phases: collections.Counter[str] = field(default_factory=collections.Counter)
    timeline: list[str] = field(default_factory=list)
    interrupted_writes: int = 0
    seen: set[tuple[str, int]] = field(default_factory=set)

    def record_state(self) -> dict[str, str]:
        state = snapshot(self.corpus)
        for path in self.corpus.iterdir():
            self.needles.setdefault(state[path.name], last_line(path.read_text()))
        return state

    def check(self, candidates: list[dict[str, str]]) -> dict[str, str]:
        return assert_consistent(self.index, self.corpus, self.embedder, candidates, self.needles)

    def kill_and_check(self, run: Run) -> str:
        at = time.monotonic() - run.started
        run.pause()
        if lock_holder(self.index, {run.proc.pid}):
            phase = LOCKED
        elif run.stderr().strip():
            phase = WAITING
        else:
            phase = IMPORTING
        if not run.kill():
            assert run.proc.returncode == 0, run.stderr()
            json.loads(run.stdout())
            phase = FINISHED
            self.scale = min(self.scale, at)
        self.phases[phase] += 1
        self.timeline.append(f"{at:.1f}s {phase}")
        left = unfinished(self.index)
        if left - self.seen:
            self.interrupted_writes += 1  # the kill left a half-written or uncommitted generation
        self.seen |= left
        self.committed = self.check([self.committed, self.current])
        return phase

    def pair(self, step: int, kind: str) -> list[str]:
        """Change the corpus, start two writers and kill both: "early" ones at random times
        in the first 40% of a run (imports: the model is loaded only once the lock is held),
        "locked" ones just after a writer took the lock (reading the index and corpus,
        embedding), "write" ones a few ms after it began to write a generation (~20 ms, so
        watched closely); the second writer of those dies waiting for the lock or redoing
        the work. Returns what each kill cut short."""
        op = change_corpus(self.corpus, self.rng, step)
        self.current = self.record_state()
        fractions = [self.rng.uniform(0.0, 0.4) for _ in range(2)]
        offsets = [self.rng.uniform(0.0, 0.008 if kind == "write" else 0.3)]
        offsets.append(self.rng.uniform(0.0, 1.5))
        before = entries(self.index)
        self.timeline.append(f"| {op}, {kind}:")
        pair = [self.spawn(*index_args(self.corpus, self.index)) for _ in range(2)]
        pids = {r.proc.pid for r in pair}
        start = time.monotonic()
        if kind == "early":
            moments = [start + f * self.scale for f in fractions]
        else:
            event = start + 0.8 * self.scale
            if Path("/proc/locks").is_file():
                event = wait_until(
                    lambda p=pids: lock_holder(self.index, p) is not None, pair, pause=0.002
                )
            if lock_holder(self.index, pids) == pair[1].proc.pid:
                pair.reverse()  # the writer holding the lock dies first
            if kind == "write":
                pause = 0.0 if Path("/proc/locks").is_file() else 0.001
                event = wait_until(lambda b=before: entries(self.index) != b, pair, pause)
                if any(r.proc.poll() is None for r in pair):
                    self.scale = (event - start) / 0.9  # model loaded, corpus read, embedded
            moments = [event + offset for offset in offsets]
        phases = []
        for moment, run in sorted(zip(moments, pair, strict=True), key=lambda item: item[0]):
            time.sleep(max(0.0, moment - time.monotonic()))
            phases.append(self.kill_and_check(run))
        return phases


def _uninterrupted_pair(kills: Kills) -> float:
    """One pair of writers run to the end (the kills also start writers in pairs, so two model
    loads share the two cores): the time scale of a run, and a check that of two writers on
    one change one writes and the other finds nothing to do."""
    change_corpus(kills.corpus, kills.rng, 0)
    kills.current = kills.record_state()
    pair = [kills.spawn(*index_args(kills.corpus, kills.index)) for _ in range(2)]
    done: dict[int, float] = {}
    hung = time.monotonic() + HANG
    while len(done) < 2:  # polled, not waited on in turn: each run's own end is timed
        assert time.monotonic() < hung, "the uninterrupted writers hang"
        for n, run in enumerate(pair):
            if n not in done and run.proc.poll() is not None:
                done[n] = time.monotonic() - run.started
        time.sleep(0.01)
    assert [run.proc.returncode for run in pair] == [0, 0], [r.stderr() for r in pair]
    reports = [json.loads(run.stdout()) for run in pair]
    changed = [bool(r["added"] or r["updated"] or r["removed"]) for r in reports]
    assert sorted(changed) == [False, True], reports  # one wrote, the other found nothing to do
    assert reports[0]["generation"] == reports[1]["generation"]
    kills.committed = kills.check([kills.current])
    return min(done.values())


def _plant_and_repair(kills: Kills) -> None:
    """Whether a kill landed inside the ~20 ms generation write is down to timing; plant what
    such a kill leaves (an unfinished .tmp generation and an uncommitted newer one), then a
    last run to completion repairs whatever the kills left behind."""
    index, corpus = kills.index, kills.corpus
    current_name = current_generation(index)
    # A killed writer may itself have left an uncommitted generation: plant past every one.
    number = max(int(p.name.split("-")[1]) for p in index.glob("gen-*"))
    shutil.copytree(index / current_name, index / f"gen-{number + 1:06d}")
    (index / f".gen-{number + 2:06d}.tmp").mkdir()
    (index / f".gen-{number + 2:06d}.tmp" / "manifest.json").write_text('{"half": ')
    final = kills.spawn(*index_args(corpus, index))
    assert final.wait(timeout=HANG) == 0, final.stderr()
    report = json.loads(final.stdout())
    assert "Traceback" not in final.stderr()
    files = snapshot(corpus)
    store = open_index(index)
    assert store.check() == []
    assert {s: i["sha256"] for s, i in store.manifest["documents"].items()} == files
    assert report["documents"] == len(files) and report["failed"] == []
    assert report["generation"] == store.generation == current_generation(index)
    gens, tmps = generation_dirs(index)
    assert tmps == [] and len(gens) <= 2 and store.generation in gens
    kills.check([files])


def test_writers_killed_at_random_moments_never_break_the_index(
    small_corpus: Path, tmp_path: Path, embedder: Embedder, spawn: Callable[..., Run]
) -> None:
    """Twenty SIGKILLs (ten corpus changes, two writers each) at random moments and at events
    (the lock taken, a generation's write begun), each followed by a full consistency check.
    Every phase of a writer is cut short at least once: a phase the planned kills missed (a
    loaded machine moves them) is targeted again until a kill lands in it, rather than the
    test asking timing for a share of kills per phase."""
    rng = random.Random(7)
    kills = Kills(small_corpus, tmp_path / "index", embedder, spawn, rng, scale=0.0)
    for step in (-2, -1):
        write_note(small_corpus / f"note-start{-step}.txt", rng, step)
    Service(Settings(corpus_dir=small_corpus, index_dir=kills.index), embedder).index(**quiet)
    kills.committed = kills.record_state()
    kills.check([kills.committed])
    kills.scale = duration = _uninterrupted_pair(kills)
    kills.seen = unfinished(kills.index)

    kinds = ["locked"] * 3 + ["early"] * 4 + ["write"] * 2
    rng.shuffle(kinds)
    kinds.insert(0, "write")  # first, to check the time scale against a run under way
    for step, kind in enumerate(kinds, start=1):
        kills.pair(step, kind)
    wanted = {(IMPORTING, WAITING): "early"}  # before the lock, and (below) holding it
    if Path("/proc/locks").is_file():
        wanted[(LOCKED,)] = "locked"
    step = len(kinds)
    for phases, kind in wanted.items():
        while not any(kills.phases[phase] for phase in phases):
            step += 1
            assert step <= len(kinds) + 20, f"no kill landed {phases}: {kills.timeline}"
            kills.pair(step, kind)
    _plant_and_repair(kills)
    print(
        f"\nuninterrupted run ~{duration:.1f} s, last scale {kills.scale:.1f} s; "
        f"{dict(kills.phases)}; {kills.interrupted_writes} kills left an unfinished "
        f"generation\nkills: {kills.timeline}"
    )
    assert sum(kills.phases.values()) == 2 * step


# ---------------------------------------------------------------------------------------------
# 2. A reader keeps answering while another process rebuilds, and then sees the new document.

NEW_DOCUMENT = "zhetisu-falconry.txt"
NEW_TEXT = (
    "The Zhetisu falconry compact commits the five governments to protect the nesting cliffs "
    "of the saker falcon. Rangers from each country will share satellite tags and patrol "
    "records every season, and the compact bans the export of wild-caught sakers.\n"
)
NEW_QUESTION = "What does the Zhetisu falconry compact protect?"


@dataclass
class Reader:
    """A thread asking both questions over and over through one long-lived Service, keeping
    (generation, question, top source) of every answer and every failure of any kind."""

    service: Service
    answers: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    answered: threading.Condition = field(default_factory=threading.Condition)

    def run(self) -> None:
        while not self.stop.is_set():
            for question in (QUESTION, NEW_QUESTION):
                try:
                    generation = self.service.store().generation
                    answer = self.service.ask(question)
                    if self.service.store().generation == generation:  # the one it used
                        with self.answered:
                            self.answers.append((generation, question, answer.passages[0].source))
                            self.answered.notify_all()
                except Exception as exc:  # any failure at all is what this test looks for
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                time.sleep(0.01)  # leave the writer a core

    def wait_for(self, enough: Callable[[list[tuple[str, str, str]]], bool]) -> None:
        """Block until the answers so far are ``enough`` (an event, not a time)."""
        with self.answered:
            done = self.answered.wait_for(lambda: enough(self.answers) or bool(self.errors), HANG)
        assert done and not self.errors, self.errors or "the reader hangs"


def test_reader_answers_throughout_a_rebuild_in_another_process(
    small_service: Service, spawn: Callable[..., Run]
) -> None:
    """The writer is stopped (SIGSTOP) once it holds the lock, in the middle of its rebuild,
    until the reader has answered ten more times: answers during a rebuild are guaranteed by
    events, not hoped for within a time."""
    service = small_service
    service.index(**quiet)
    corpus, index = service.settings.corpus_dir, service.settings.index_dir
    old = service.store().generation
    (corpus / NEW_DOCUMENT).write_text(NEW_TEXT)
    reader = Reader(service)
    thread = threading.Thread(target=reader.run, daemon=True)
    thread.start()
    try:
        writer = spawn(*index_args(corpus, index))
        if Path("/proc/locks").is_file():
            wait_until(lambda: lock_holder(index, {writer.proc.pid}) is not None, [writer], 0.002)
        writer.pause()
        assert writer.proc.poll() is None, "the writer finished before it could be paused"
        before = len(reader.answers)
        reader.wait_for(lambda answers: len(answers) >= before + 10)
        during = len(reader.answers) - before
        writer.resume()
        assert writer.wait(timeout=HANG) == 0, writer.stderr()
        new = current_generation(index)
        reader.wait_for(lambda answers: sum(g == new for g, _, _ in answers) >= 6)
    finally:
        reader.stop.set()
        thread.join(timeout=HANG)
    assert not thread.is_alive()
    assert reader.errors == []
    report = json.loads(writer.stdout())
    assert NEW_DOCUMENT in report["added"] and report["generation"] == new != old
    assert during >= 10 and all(g == old for g, _, _ in reader.answers[before : before + 10])
    assert {g for g, _, _ in reader.answers} == {old, new}
    for generation, question, top in reader.answers:
        if question == QUESTION:
            assert top == KAZAKHSTAN
        else:
            assert (top == NEW_DOCUMENT) == (generation == new), (generation, top)
    assert service.retrieve(NEW_QUESTION, k=1)[0].source == NEW_DOCUMENT  # same object, no restart


# ---------------------------------------------------------------------------------------------
# 3. One writer at a time: a second one gives up after --wait with one clear line.


def test_second_writer_gives_up_cleanly_while_the_lock_is_held(
    small_corpus: Path, tmp_path: Path, spawn: Callable[..., Run]
) -> None:
    index = tmp_path / "index"
    index.mkdir()
    args = index_args(small_corpus, index, "--wait", "1")
    lock = filelock.FileLock(str(index / ".lock"))
    lock.acquire(timeout=5)
    try:
        busy = spawn(*args)
        assert busy.wait(timeout=HANG) == 2, busy.stderr()
    finally:
        lock.release()
    assert busy.stdout() == ""
    line = assert_one_clean_line(busy.stderr(), "another", "index")
    assert line.startswith("c5qa index:")
    assert current_generation(index) is None and generation_dirs(index) == ([], [])

    again = spawn(*args)
    assert again.wait(timeout=HANG) == 0, again.stderr()
    report = json.loads(again.stdout())
    assert report["documents"] == 4 and report["embedded"] == report["chunks"] > 0
    assert open_index(index).check() == []


# ---------------------------------------------------------------------------------------------
# 4. A corrupted generation: `ask` refuses it in one line, `index` rebuilds it.


def test_corrupted_generation_is_refused_by_ask_and_rebuilt_by_index(
    small_service: Service, spawn: Callable[..., Run]
) -> None:
    small_service.index(**quiet)
    corpus, index = small_service.settings.corpus_dir, small_service.settings.index_dir
    broken = current_generation(index)
    assert broken is not None
    (documents,) = (index / broken).glob("seg-*/documents.json")
    records = json.loads(documents.read_text())
    documents.write_text(json.dumps(records[:-1]))  # cut at a record boundary: still valid JSON
    with pytest.raises(IndexCorrupt):
        open_index(index)

    ask = spawn("ask", "--corpus", str(corpus), "--index", str(index), QUESTION)
    assert ask.wait(timeout=HANG) == 2, ask.stderr()
    assert ask.stdout() == ""
    assert_one_clean_line(ask.stderr(), "corrupt")

    repair = spawn(*index_args(corpus, index))
    assert repair.wait(timeout=HANG) == 0, repair.stderr()
    assert_one_clean_line(repair.stderr(), "corrupt", "rebuild")
    report = json.loads(repair.stdout())
    assert report["documents"] == 4 and report["embedded"] == report["chunks"] > 0
    store = open_index(index)
    assert store.check() == [] and store.generation == report["generation"] != broken
    assert len(store.chunks) == report["chunks"]
    top = small_service.retrieve(QUESTION, k=1)[0]  # the long-lived service switches over
    assert top.source == KAZAKHSTAN and "Leidos" in top.text
