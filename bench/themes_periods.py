"""Which periods speak to each default theme, and how long a warm compare takes.

    python bench/themes_periods.py [--periods 2015-2022,2023,2025]

For every default theme: `Service.compare` per period (each period's own documents, analysis
excluded) → present / absent, printed as a table to set beside the seed article's claims; then
the median and p95 latency of those compare calls (model and index loaded beforehand).
"""

from __future__ import annotations

import argparse
import statistics
import time

from c5qa.answer.themes import DEFAULT_THEMES
from c5qa.app.service import Service
from c5qa.query.request import parse_periods
from c5qa.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--periods", default="2015-2022,2023,2025")
    args = parser.parse_args()
    periods = parse_periods(args.periods)
    service = Service(load_settings())
    service.compare("warm up", periods)
    print(f"| theme | {' | '.join(p.label for p in periods)} |")
    print(f"|---|{'---|' * len(periods)}")
    seconds = []
    for label, query in DEFAULT_THEMES:
        started = time.perf_counter()
        answer = service.compare(query, periods)
        seconds.append(time.perf_counter() - started)
        quoted = {s.label: bool(s.all_quotes()) for s in answer.sections}
        cells = ["present" if quoted.get(p.label) else "absent" for p in periods]
        print(f"| {label} | {' | '.join(cells)} |")
    print(
        f"\ncompare latency (warm, {len(seconds)} themes × {len(periods)} periods): median "
        f"{statistics.median(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
