"""Diffs of the corpus's landmark sides: each class's topics (largest first, with how many
statements they hold) and the warm time of a diff (median of five after one warm-up).

    python bench/diff.py                     # 2015/2023, 2023/2025, the NYD and the summit
    python bench/diff.py "2019-2021" "2023"  # any two sides

Uses the index in the configured index_dir (run `c5qa index` first).
"""

from __future__ import annotations

import argparse
import statistics
import time

from c5qa.app.service import Service
from c5qa.settings import load_settings

LANDMARKS = (("2015", "2023"), ("2023", "2025"), ("New York Declaration", "2025-11-07"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sides", nargs="*", help="A B (default: the landmark pairs)")
    args = parser.parse_args()
    pairs = [tuple(args.sides)] if len(args.sides) == 2 else LANDMARKS
    service = Service(load_settings())
    service.warm()
    for a, b in pairs:
        compared = service.diff(a, b)
        seconds = []
        for _ in range(5):
            started = time.perf_counter()
            service.diff(a, b)
            seconds.append(time.perf_counter() - started)
        print(f"== {a} -> {b}: warm median {statistics.median(seconds):.3f} s")
        print(compared.answer.lead)
        for section in compared.answer.sections:
            topics = ", ".join(part.label for part in section.parts) or section.note
            print(f"  {section.label}: {topics}")


if __name__ == "__main__":
    main()
