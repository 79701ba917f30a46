"""Cold start to first answer: `python app.py` with the index already built, timed until the
first `/ask` through gradio_client returns a cited answer; and `c5qa index` as a process when
nothing changed (what `make run` spends checking the index before the chat starts).

    python bench/startup.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

QUESTION = "Which firm will upgrade Kazakhstan's air traffic management system?"


def once(root: Path) -> float:
    from gradio_client import Client

    from c5qa.measure.loadtest import free_port

    port = free_port()
    env = {**os.environ, "C5QA_PORT": str(port)}
    started = time.perf_counter()
    app = subprocess.Popen(
        [sys.executable, str(root / "app.py")],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < 120:
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                answer = client.predict(QUESTION, [], 5, None, api_name="/ask")
                if "Leidos" in answer["answer"]:
                    return time.perf_counter() - started
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
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    noop_index(root)  # bring the index up to date first
    index_runs = [noop_index(root) for _ in range(args.runs)]
    print(
        f"`c5qa index` with nothing to do: median {statistics.median(index_runs):.2f} s "
        f"(runs: {', '.join(f'{s:.2f}' for s in index_runs)})"
    )
    seconds = [once(root) for _ in range(args.runs)]
    print(
        f"cold start to first answer: median {statistics.median(seconds):.2f} s "
        f"(runs: {', '.join(f'{s:.2f}' for s in seconds)})"
    )


if __name__ == "__main__":
    main()
