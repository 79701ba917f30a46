"""Do wrong logins stall everyone else? Issue #21, finding 7.

Serves a real chat (``c5qa serve`` as its own process, on a free loopback port, with a tiny
corpus and an auth file holding an scrypt hash), signs one probe client in, then times that
client's ordinary requests (``GET /gradio_api/info`` with its session) while 0, 8 and 32
parallel clients send wrong logins, each phase for a bounded time. The flood runs in another
process than the probe, so the probe's timings are not the bench's own GIL contention.

    .venv/bin/python bench/login_flood.py [--seconds 10] [--floods 0 8 32] [--rounds 1]
        [--names same|random] [--src DIR]

``--names random`` sends each wrong login under a fresh user name (a spray, which a per-user
limit alone does not stop); ``--src`` serves the ``c5qa`` package found in DIR instead of the
installed one (e.g. a copy of ``src`` taken before a change), to compare before and after;
``--rounds`` repeats the floods in turn and pools each size's probes, for a busy host.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from c5qa.measure.loadtest import free_port, stop_server, wait_until_up

USER, PASSWORD = "ann", "the-right-password-1"
TEXTS = {
    "2024-01-01_alpha.txt": "The C5+1 ministers met in Astana to discuss water and energy.",
    "2024-02-01_beta.txt": "Kazakhstan and the United States signed an aviation agreement.",
    "2024-03-01_gamma.txt": "A regional forum in Tashkent reviewed trade corridors and rail.",
}


def prepare(root: Path) -> Path:
    """A tiny corpus and an auth file with one scrypt-hashed user; returns the auth file."""
    from c5qa.app.auth import hash_password  # here, so flood processes never import c5qa

    (root / "corpus").mkdir()
    for name, text in TEXTS.items():
        (root / "corpus" / name).write_text(text + "\n", encoding="utf-8")
    users = root / "users"
    users.write_text(f"{USER}:{hash_password(PASSWORD)}\n", encoding="utf-8")
    return users


def start(root: Path, port: int, src: Path | None) -> subprocess.Popen:
    """``c5qa serve`` on 127.0.0.1 only, run from ``root`` so no project config is read."""
    env = {
        **os.environ,
        "C5QA_HOST": "127.0.0.1",
        "C5QA_AUTH_FILE": str(root / "users"),
        "C5QA_LOG_FILE": str(root / "server.log"),
    }
    if src is not None:
        env["PYTHONPATH"] = str(src.resolve())
    command = [sys.executable, "-m", "c5qa", "serve", "--port", str(port)]
    command += ["--corpus", str(root / "corpus"), "--index", str(root / "index")]
    with (root / "server.out").open("ab") as out:
        return subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)


def page_answers(url: str) -> None:
    """The login page answers: the server is up (the API needs a login)."""
    httpx.get(url, timeout=2).raise_for_status()


async def _flood(url: str, clients: int, seconds: float, names: str) -> dict[str, int]:
    """``clients`` loops posting wrong passwords until ``seconds`` pass; counts by status."""
    counts: dict[str, int] = {}
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients)

    async def one(http: httpx.AsyncClient, number: int) -> None:
        for attempt in range(10**7):  # bounded by the deadline long before this
            if time.monotonic() >= deadline:
                return
            user = USER if names == "same" else f"guess-{number}-{attempt}"
            form = {"username": user, "password": secrets.token_hex(8)}
            try:
                status = str((await http.post(url + "login", data=form)).status_code)
            except httpx.HTTPError as exc:
                status = exc.__class__.__name__
            counts[status] = counts.get(status, 0) + 1

    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        await asyncio.gather(*(one(http, n) for n in range(clients)))
    return counts


def _flood_process(url: str, clients: int, seconds: float, names: str, out: object) -> None:
    out.put(asyncio.run(_flood(url, clients, seconds, names)))  # type: ignore[attr-defined]


def phase(
    url: str, probe: httpx.Client, clients: int, seconds: float, names: str
) -> tuple[list[float], dict[str, int]]:
    """The probe's request times (ms) while ``clients`` flood for ``seconds``, and the flood's
    responses counted by status."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    flood = None
    if clients:
        args = (url, clients, seconds + 1.0, names, results)
        flood = context.Process(target=_flood_process, args=args)
        flood.start()
        time.sleep(1.0)  # let the flood reach full strength before timing
    times: list[float] = []
    deadline = time.monotonic() + seconds
    counts: dict[str, int] = {}
    while time.monotonic() < deadline and len(times) < 100_000:
        started = time.perf_counter()
        try:
            response = probe.get(url + "gradio_api/info")
        except httpx.TransportError:  # a kept-alive connection the server had just closed
            counts["probe_errors"] = counts.get("probe_errors", 0) + 1
            continue
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    if flood is not None:
        counts.update(results.get(timeout=seconds + 60))
        flood.join(timeout=30)
    return times, counts


def report(rows: dict[int, tuple[list[float], dict[str, int]]]) -> None:
    """One line per flood size: the probe's median, p90 and mean (the probe is sequential, so
    the mean is the phase's time over its probes: a stall shows there even when most probes
    slip through between stalls and keep the median low), the ratio of the median to idle,
    and the flood's answers by status."""
    idle = statistics.median(rows[min(rows)][0])
    for clients, (times, counts) in rows.items():
        median, mean = statistics.median(times), statistics.fmean(times)
        p90 = statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
        print(
            f"{clients:>3} flooding: median {median:7.1f} ms ({median / idle:6.2f}x idle), "
            f"p90 {p90:7.1f} ms, mean {mean:7.1f} ms, {len(times)} probes; "
            f"wrong logins answered {counts}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="each phase (default 10)")
    parser.add_argument("--floods", type=int, nargs="+", default=[0, 8, 32])
    parser.add_argument("--rounds", type=int, default=1, help="repeat the floods (noisy hosts)")
    parser.add_argument("--names", choices=("same", "random"), default="same")
    parser.add_argument("--src", type=Path, help="serve the c5qa package from this folder")
    args = parser.parse_args()
    rows: dict[int, tuple[list[float], dict[str, int]]] = {n: ([], {}) for n in args.floods}
    with tempfile.TemporaryDirectory(prefix="login-flood-") as tmp:
        root = Path(tmp)
        prepare(root)
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        server = start(root, port, args.src)
        try:
            wait_until_up(url, server, probe=page_answers)
            with httpx.Client(timeout=60) as probe:
                form = {"username": USER, "password": PASSWORD}
                probe.post(url + "login", data=form).raise_for_status()
                for _ in range(args.rounds):
                    for clients in args.floods:
                        times, counts = phase(url, probe, clients, args.seconds, args.names)
                        rows[clients][0].extend(times)
                        for status, count in counts.items():
                            rows[clients][1][status] = rows[clients][1].get(status, 0) + count
        finally:
            stop_server(server)
    report(rows)


if __name__ == "__main__":
    main()
