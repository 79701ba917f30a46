"""Cold starts, this checkout beside a baseline checkout in one run (#18):

- a single `c5qa ask --json` as a process (a terminal user's one question), and its split:
  imports, index load, model load, first answer (measured inside a fresh process);
- `python app.py` with the index built, until the first `/ask` through gradio_client returns a
  cited answer, and the served chat's resident memory then;
- `c5qa index` as a process when nothing changed (what `make run` spends first).

    python bench/startup.py [--runs 3] [--baseline ../base]

``--baseline`` is another checkout (e.g. `git worktree add ../base <commit>`): its own code
(PYTHONPATH) and index folder, measured the same way, interleaved with this one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

QUESTION = "Which firm will upgrade Kazakhstan's air traffic management system?"
# Run inside a fresh process: each stage of a cold question, timed.
SPLIT = f"""
import json, time
started = time.perf_counter()
from c5qa.app.service import Service
from c5qa.settings import load_settings
service = Service(load_settings())
imported = time.perf_counter()
service.store()
indexed = time.perf_counter()
model = service.encoder if hasattr(type(service), "encoder") else service.embedder
model.encode_query("warm")
loaded = time.perf_counter()
assert "Leidos" in service.ask({QUESTION!r}).citations[0].text
answered = time.perf_counter()
print(json.dumps({{"imports": imported - started, "index load": indexed - imported,
                  "model load": loaded - indexed, "first answer": answered - loaded}}))
"""


def _env(root: Path, **extra: str) -> dict[str, str]:
    """The environment that runs ``root``'s own code."""
    return {**os.environ, "PYTHONPATH": str(root / "src"), "HF_HUB_OFFLINE": "1", **extra}


def cold_ask(root: Path) -> float:
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "c5qa", "ask", "--json", QUESTION],
        cwd=root,
        env=_env(root),
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Leidos" in json.loads(run.stdout)["answer"]
    return time.perf_counter() - started


def split(root: Path) -> dict[str, float]:
    run = subprocess.run(
        [sys.executable, "-c", SPLIT], cwd=root, env=_env(root), capture_output=True, text=True
    )
    if run.returncode:
        raise RuntimeError(run.stderr[-2000:])
    return json.loads(run.stdout.strip().splitlines()[-1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def chat(root: Path) -> tuple[float, float]:
    """Seconds from `python app.py` to a first cited answer, and its RSS (MB) then."""
    from gradio_client import Client

    from c5qa.measure.loadtest import free_port

    port = free_port()
    started = time.perf_counter()
    app = subprocess.Popen(
        [sys.executable, str(root / "app.py")],
        cwd=root,
        env=_env(root, C5QA_PORT=str(port)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < 120:
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                answer = client.predict(QUESTION, [], 5, None, api_name="/ask")
                if "Leidos" in answer["answer"]:
                    return time.perf_counter() - started, _rss_mb(app.pid)
            except Exception:  # not up yet
                time.sleep(0.2)
        raise RuntimeError("no answer within 120 s")
    finally:
        app.terminate()
        app.wait(timeout=30)


def noop_index(root: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "c5qa", "index"],
        cwd=root,
        env=_env(root),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another checkout to measure beside")
    args = parser.parse_args()
    roots = {"this": Path(__file__).resolve().parent.parent}
    if args.baseline:
        roots["baseline"] = args.baseline.resolve()
    figures: dict[str, dict[str, list]] = {name: {} for name in roots}
    for root in roots.values():
        noop_index(root)  # bring each index up to date first
    for _ in range(args.runs):  # interleaved: both see the same machine
        for name, root in roots.items():
            runs = figures[name]
            runs.setdefault("index (nothing to do), s", []).append(noop_index(root))
            runs.setdefault("cold `c5qa ask`, s", []).append(cold_ask(root))
            for stage, seconds in split(root).items():
                runs.setdefault(f"  {stage}, s", []).append(seconds)
            seconds, rss = chat(root)
            runs.setdefault("chat start to first answer, s", []).append(seconds)
            runs.setdefault("chat RSS after it, MB", []).append(rss)
    print(f"medians of {args.runs} runs: " + " | ".join(roots))
    for measure in figures["this"]:
        values = [_median(figures[name][measure]) for name in roots]
        ratio = ""
        if args.baseline:
            this, base = (statistics.median(figures[n][measure]) for n in ("this", "baseline"))
            ratio = f"  ({this / base:.2f}x)" if base else ""
        print(f"{measure:34} " + " | ".join(values) + ratio)


if __name__ == "__main__":
    main()
