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
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


def wait_until(event: Callable[[], bool], runs: list[Run], limit: float, pause: float) -> float:
    """Poll until ``event()`` or until all ``runs`` have exited; the time it happened."""
    while not event() and any(r.proc.poll() is None for r in runs):
        assert time.monotonic() < limit, "the writers hang"
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


def test_writers_killed_at_random_moments_never_break_the_index(
    small_corpus: Path, tmp_path: Path, embedder: Embedder, spawn: Callable[..., Run]
) -> None:
    began = time.monotonic()
    corpus, index = small_corpus, tmp_path / "index"
    rng = random.Random(7)
    needles: dict[str, str] = {}

    def record_state() -> dict[str, str]:
        state = snapshot(corpus)
        for path in corpus.iterdir():
            needles.setdefault(state[path.name], last_line(path.read_text()))
        return state

    for step in (-2, -1):
        write_note(corpus / f"note-start{-step}.txt", rng, step)
    Service(Settings(corpus_dir=corpus, index_dir=index), embedder).index(**quiet)
    committed = record_state()
    assert_consistent(index, corpus, embedder, [committed], needles)

    # One uninterrupted pair of writers (the loop below also starts writers in pairs, so two
    # model loads share the two cores) gives the time scale for the kills.
    change_corpus(corpus, rng, 0)
    current = record_state()
    pair = [spawn(*index_args(corpus, index)), spawn(*index_args(corpus, index))]
    done: dict[int, float] = {}
    while len(done) < 2:
        assert time.monotonic() - began < 600, "the uninterrupted writers hang"
        for n, run in enumerate(pair):
            if n not in done and run.proc.poll() is not None:
                done[n] = time.monotonic() - run.started
        time.sleep(0.01)
    assert [run.proc.returncode for run in pair] == [0, 0], [r.stderr() for r in pair]
    reports = [json.loads(run.stdout()) for run in pair]
    changed = [bool(r["added"] or r["updated"] or r["removed"]) for r in reports]
    assert sorted(changed) == [False, True], reports  # one wrote, the other found nothing to do
    assert reports[0]["generation"] == reports[1]["generation"]
    duration = min(done.values())
    committed = assert_consistent(index, corpus, embedder, [current], needles)

    # The time scale of one run, corrected as the loop learns more: a shared machine's load
    # changes, and a scale that is too long lets the writers finish before their kill.
    scale = duration
    can_see_locks = Path("/proc/locks").is_file()
    phases: collections.Counter[str] = collections.Counter()
    interrupted_writes = 0
    seen = unfinished(index)
    timeline: list[str] = []

    def kill_and_check(run: Run) -> None:
        nonlocal committed, interrupted_writes, seen, scale
        at = time.monotonic() - run.started
        if lock_holder(index, {run.proc.pid}):
            phase = "holding the lock"  # reading the old index, the corpus; embedding; writing
        elif run.stderr().strip():
            phase = "loading the model or waiting for the lock"  # the loader drew its bar
        else:
            phase = "importing"
        if not run.kill():
            assert run.proc.returncode == 0, run.stderr()
            json.loads(run.stdout())
            phase = "finished"
            scale = min(scale, at)
        phases[phase] += 1
        timeline.append(f"{at:.1f}s {phase}")
        left = unfinished(index)
        if left - seen:
            interrupted_writes += 1  # this kill left a half-written or uncommitted generation
        seen |= left
        committed = assert_consistent(index, corpus, embedder, [committed, current], needles)

    # Ten corpus changes, each indexed by two writers started together and both killed: twenty
    # kills. Two model loads share the two cores, so a pair costs about one run. "early" kills
    # land at random times in the first 40% of a run (imports: the model is loaded only once
    # the lock is held); "locked" ones just
    # after a writer took the lock (reading the index and corpus, embedding), "write" ones a few
    # ms after it began to write a generation; the second writer of those pairs dies while it
    # waits for the lock or while it redoes the work.
    kinds = ["locked"] * 3 + ["early"] * 4 + ["write"] * 2
    rng.shuffle(kinds)
    kinds.insert(0, "write")  # first, to check the time scale against a run under way
    for step, kind in enumerate(kinds, start=1):
        op = change_corpus(corpus, rng, step)
        current = record_state()
        fractions = [rng.uniform(0.0, 0.4) for _ in range(2)]
        offsets = [rng.uniform(0.0, 0.008 if kind == "write" else 0.3), rng.uniform(0.0, 1.5)]
        before = entries(index)
        timeline.append(f"| {op}, {kind}:")
        pair = [spawn(*index_args(corpus, index)), spawn(*index_args(corpus, index))]
        pids = {r.proc.pid for r in pair}
        start = time.monotonic()
        limit = start + 10 * scale + 60
        if kind == "early":
            moments = [start + f * scale for f in fractions]
        else:
            # A writer takes the lock, reads the index and the corpus, loads the model when it
            # has text to embed, embeds the change and writes a generation (the write takes
            # ~20 ms, so its start is watched closely: a busy poll, but only for the last
            # fraction of a second).
            event = start + 0.8 * scale
            if can_see_locks:
                event = wait_until(
                    lambda p=pids: lock_holder(index, p) is not None, pair, limit, pause=0.002
                )
            if lock_holder(index, pids) == pair[1].proc.pid:
                pair.reverse()  # the writer holding the lock dies first
            if kind == "write":
                pause = 0.0 if can_see_locks else 0.001
                event = wait_until(lambda b=before: entries(index) != b, pair, limit, pause)
                if any(r.proc.poll() is None for r in pair):
                    scale = (event - start) / 0.9  # model loaded, corpus read, change embedded
            moments = [event + offset for offset in offsets]
        for moment, run in sorted(zip(moments, pair, strict=True), key=lambda item: item[0]):
            time.sleep(max(0.0, moment - time.monotonic()))
            kill_and_check(run)

    # Whether a kill landed inside the ~20 ms generation write is down to timing; plant what
    # such a kill leaves (an unfinished .tmp generation and an uncommitted newer one) so the
    # repair below is always exercised.
    current_name = current_generation(index)
    # A killed writer may itself have left an uncommitted generation: plant past every one.
    number = max(int(p.name.split("-")[1]) for p in index.glob("gen-*"))
    shutil.copytree(index / current_name, index / f"gen-{number + 1:06d}")
    (index / f".gen-{number + 2:06d}.tmp").mkdir()
    (index / f".gen-{number + 2:06d}.tmp" / "manifest.json").write_text('{"half": ')
    # A last run to completion repairs whatever the kills left behind.
    final = spawn(*index_args(corpus, index))
    assert final.wait(timeout=300) == 0, final.stderr()
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
    assert_consistent(index, corpus, embedder, [files], needles)

    print(
        f"\nuninterrupted run {duration:.1f} s, last scale {scale:.1f} s; {dict(phases)}; "
        f"{interrupted_writes} kills left an unfinished generation; "
        f"test took {time.monotonic() - began:.0f} s\nkills: {timeline}"
    )
    # The kills really cut writers short, early and late (timing-dependent, so these only ask
    # for a fair share: on a loaded machine more writers finish before their kill).
    assert sum(phases.values()) == 20
    assert phases["finished"] <= 8, phases
    assert phases["importing"] + phases["loading the model or waiting for the lock"] >= 2, phases
    if can_see_locks:
        assert phases["holding the lock"] >= 3, phases


# ---------------------------------------------------------------------------------------------
# 2. A reader keeps answering while another process rebuilds, and then sees the new document.

NEW_DOCUMENT = "zhetisu-falconry.txt"
NEW_TEXT = (
    "The Zhetisu falconry compact commits the five governments to protect the nesting cliffs "
    "of the saker falcon. Rangers from each country will share satellite tags and patrol "
    "records every season, and the compact bans the export of wild-caught sakers.\n"
)
NEW_QUESTION = "What does the Zhetisu falconry compact protect?"


def test_reader_answers_throughout_a_rebuild_in_another_process(
    small_service: Service, spawn: Callable[..., Run]
) -> None:
    service = small_service
    service.index(**quiet)
    corpus, index = service.settings.corpus_dir, service.settings.index_dir
    old = service.store().generation
    (corpus / NEW_DOCUMENT).write_text(NEW_TEXT)

    errors: list[str] = []
    answers: list[tuple[str, str, str]] = []  # (generation, question, top source)
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            for question in (QUESTION, NEW_QUESTION):
                try:
                    generation = service.store().generation
                    answer = service.ask(question)
                    if service.store().generation == generation:  # the generation it used
                        answers.append((generation, question, answer.passages[0].source))
                except Exception as exc:  # any failure at all is what this test looks for
                    errors.append(f"{type(exc).__name__}: {exc}")
                time.sleep(0.01)  # leave the writer a core

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        writer = spawn(*index_args(corpus, index))
        assert writer.wait(timeout=300) == 0, writer.stderr()
        during = len(answers)
        new = current_generation(index)
        deadline = time.monotonic() + 60
        while sum(g == new for g, _, _ in answers) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive()
    assert errors == []
    report = json.loads(writer.stdout())
    assert NEW_DOCUMENT in report["added"] and report["generation"] == new != old
    assert during >= 10, f"the reader answered only {during} times during the rebuild"
    assert {g for g, _, _ in answers} == {old, new}
    for generation, question, top in answers:
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
        assert busy.wait(timeout=300) == 2, busy.stderr()
    finally:
        lock.release()
    assert busy.stdout() == ""
    line = assert_one_clean_line(busy.stderr(), "another", "index")
    assert line.startswith("c5qa index:")
    assert current_generation(index) is None and generation_dirs(index) == ([], [])

    again = spawn(*args)
    assert again.wait(timeout=300) == 0, again.stderr()
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
    assert ask.wait(timeout=300) == 2, ask.stderr()
    assert ask.stdout() == ""
    assert_one_clean_line(ask.stderr(), "corrupt")

    repair = spawn(*index_args(corpus, index))
    assert repair.wait(timeout=300) == 0, repair.stderr()
    assert_one_clean_line(repair.stderr(), "corrupt", "rebuild")
    report = json.loads(repair.stdout())
    assert report["documents"] == 4 and report["embedded"] == report["chunks"] > 0
    store = open_index(index)
    assert store.check() == [] and store.generation == report["generation"] != broken
    assert len(store.chunks) == report["chunks"]
    top = small_service.retrieve(QUESTION, k=1)[0]  # the long-lived service switches over
    assert top.source == KAZAKHSTAN and "Leidos" in top.text
