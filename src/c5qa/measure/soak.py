"""A long run of mixed traffic on a served chat, with the server's resident memory sampled
over time: whether memory grows without bound (a leak in sessions, caches or histories) or
settles at a plateau after warm-up.

A real ``c5qa serve`` process on loopback answers clients that come and go (a new session every
few requests, as browsers do): plain questions, follow-ups with a history, questions about
change (answered period by period) and passage retrieval. Every loop is bounded by the run's
duration; the server is stopped at the end.
"""

from __future__ import annotations

import random
import shutil
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from c5qa.measure.loadtest import free_port, start_server, stop_server, wait_until_up

CHANGE = (
    "How did cooperation on {} change between 2023 and 2025?",
    "Does the 2025 statement mention {}?",
)
THEMES = ("water", "security", "critical minerals", "Afghanistan", "trade", "energy")


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass
class SoakResult:
    minutes: float
    clients: int
    samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds, RSS MB)
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    warmup: float = 0.0  # seconds counted as warm-up
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, error: str = "") -> None:
        with self.lock:
            if error:
                self.errors.append(error)
            else:
                self.requests += 1

    def _second_half(self) -> float | None:
        """RSS growth from the run's middle to its end (medians of a tenth of the run's samples)."""
        half = [mb for t, mb in self.samples if t >= self.minutes * 30]
        if len(half) < 2:
            return None
        n = max(1, len(half) // 5)
        return round(statistics.median(half[-n:]) / statistics.median(half[:n]) - 1, 3)

    def to_json(self) -> dict:
        after = [mb for t, mb in self.samples if t >= self.warmup]
        settled = statistics.median(after[: max(1, len(after) // 10)]) if after else None
        last = statistics.median(after[-max(1, len(after) // 10) :]) if after else None
        return {
            "minutes": self.minutes,
            "clients": self.clients,
            "requests": self.requests,
            "errors": len(self.errors),
            "first_errors": self.errors[:3],
            "rss_start_mb": round(self.samples[0][1], 1) if self.samples else None,
            "rss_after_warmup_mb": round(settled, 1) if settled else None,
            "rss_end_mb": round(last, 1) if last else None,
            "rss_max_mb": round(max(mb for _, mb in self.samples), 1) if self.samples else None,
            "growth_after_warmup": round(last / settled - 1, 3) if settled and last else None,
            # Gradio keeps up to `sessions` sessions: memory rises until they are all held, so
            # the second half says whether it then holds still.
            "growth_second_half": self._second_half(),
            "samples": [[round(t), round(mb, 1)] for t, mb in self.samples],
        }


def _client(url: str, questions: list[str], until: float, result: SoakResult, seed: int) -> None:
    """One user after another: a new session every 20 requests."""
    from gradio_client import Client

    rng = random.Random(seed)
    while time.monotonic() < until:
        try:
            client = Client(url, verbose=False)
        except Exception as exc:  # the server is going away at the end of the run
            result.count(f"connect: {exc}")
            return
        history: list[dict] = []
        for _ in range(20):
            if time.monotonic() >= until:
                return
            _request(client, rng, questions, history, result)


def _request(client, rng: random.Random, questions: list[str], history: list, result) -> None:
    kind = rng.random()
    question = rng.choice(questions)
    try:
        if kind < 0.15:
            client.predict(question, 5, None, api_name="/retrieve")
        elif kind < 0.3:
            change = rng.choice(CHANGE).format(rng.choice(THEMES))
            client.predict(change, [], 5, None, api_name="/ask")
        else:
            answer = client.predict(question, history[-6:], 5, None, api_name="/ask")
            history.extend(
                [
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": answer["answer"]},
                ]
            )
        result.count()
    except Exception as exc:
        result.count(f"{question[:40]!r}: {exc}")


def run_soak(
    corpus: Path,
    workdir: Path,
    questions: list[str],
    minutes: float = 60.0,
    clients: int = 4,
    every: float = 10.0,
    warmup: float = 0.1,
) -> SoakResult:
    """Serve a copy of ``corpus`` for ``minutes`` of traffic from ``clients`` at once,
    sampling the server's RSS every ``every`` seconds; the first ``warmup`` share of the run
    is warm-up (model, index and caches loading)."""
    work_corpus, index = workdir / "corpus", workdir / "index"
    if not work_corpus.exists():
        shutil.copytree(corpus, work_corpus)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = start_server(work_corpus, index, port, 2, workdir / "server.log")
    result = SoakResult(minutes, clients, warmup=warmup * minutes * 60)
    try:
        wait_until_up(url, server)
        started = time.monotonic()
        until = started + minutes * 60
        threads = [
            threading.Thread(target=_client, args=(url, questions, until, result, i), daemon=True)
            for i in range(clients)
        ]
        for thread in threads:
            thread.start()
        while time.monotonic() < until and server.poll() is None:
            result.samples.append((time.monotonic() - started, rss_mb(server.pid)))
            time.sleep(min(every, max(0.0, until - time.monotonic())))
        result.samples.append((time.monotonic() - started, rss_mb(server.pid)))
        for thread in threads:
            thread.join(timeout=120)
    finally:
        stop_server(server)
    return result
