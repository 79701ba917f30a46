"""Diffs of the corpus's landmark sides: each class's topics (largest first, with how many
statements they hold) and the warm time of a diff (median of five after one warm-up).

    python bench/diff.py                     # 2015/2023, 2023/2025, the NYD and the summit
    python bench/diff.py "2019-2021" "2023"  # any two sides
    python bench/diff.py --record             # the Diplomat's claims against NYD -> summit
    python bench/diff.py --quotations         # commentary sentences that quote a side

Uses the index in the configured index_dir (run `c5qa index` first).
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections import Counter

from c5qa.app.service import Service
from c5qa.settings import load_settings

LANDMARKS = (("2015", "2023"), ("2023", "2025"), ("New York Declaration", "2025-11-07"))
# The Diplomat's account of 2023 -> 2025 (kept, dropped, new), each claim as the words that
# mark its statements.
RECORD = (
    ("kept", "economic cooperation / trade", r"econom|trade"),
    ("kept", "Middle Corridor / Trans-Caspian", r"Trans-Caspian|Middle Corridor"),
    ("kept", "Critical Minerals Dialogue", r"critical minerals"),
    ("kept", "B5+1 business platform", r"business platform|CIPE|B5\+1"),
    ("dropped", "security cooperation", r"security cooperation|regional security"),
    ("dropped", "counterterrorism", r"terror"),
    ("dropped", "climate change", r"climate"),
    ("dropped", "water", r"\bwater"),
    ("dropped", "Afghanistan", r"Afghan"),
    ("dropped", "'challenges'", r"challenge"),
    ("new", "cultural heritage", r"cultural heritage"),
    ("new", "deals with dollar values", r"\$"),
)


def record(service: Service) -> None:
    """Where the diff of the New York Declaration against the 2025-11-07 summit documents
    puts the statements each of the Diplomat's claims is about: counts per class."""
    from c5qa.answer.diff import diff
    from c5qa.query.sides import side

    store, corpus = service.library.current()
    limit = service.settings.max_named_documents
    a, b = side("New York Declaration", corpus, limit), side("2025-11-07", corpus, limit)
    result = diff(a, b, store, service.embedder.encode, service.settings)
    rows = [
        (name, store.documents[s.source].text[s.start : s.end])
        for name in ("continued", "dropped", "new")
        for topic in getattr(result, name)
        for s in (topic.b if name == "new" else topic.a)
    ]
    for said, claim, pattern in RECORD:
        found = Counter(name for name, text in rows if re.search(pattern, text, re.I))
        print(f"{said:8} {claim:32} {dict(found)}")


def quotations(service: Service) -> None:
    """Each sentence of the commentary against 2023 and 2025: the largest share of its
    terms one side statement holds (quotations near 1), highest first."""
    from c5qa.answer.diff import side_sources
    from c5qa.answer.statements import containment, side_statements
    from c5qa.query.request import COMMENTARY
    from c5qa.query.sides import side

    store, corpus = service.library.current()
    limit = service.settings.max_named_documents
    sources = [s for p in ("2023", "2025") for s in side_sources(side(p, corpus, limit), store)]
    quoted = side_statements(sources, store)
    notes = [s for s, d in store.documents.items() if d.kind in COMMENTARY]
    rows = [
        (containment(s, quoted), store.documents[s.source].text[s.start : s.end])
        for s in side_statements(notes, store)
    ]
    for share, text in sorted(rows, reverse=True):
        print(f"{share:.2f}  {text[:90]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sides", nargs="*", help="A B (default: the landmark pairs)")
    parser.add_argument("--record", action="store_true", help="the Diplomat's claims")
    parser.add_argument(
        "--quotations", action="store_true", help="commentary sentences quoting a side"
    )
    args = parser.parse_args()
    pairs = [tuple(args.sides)] if len(args.sides) == 2 else LANDMARKS
    service = Service(load_settings())
    if args.record:
        record(service)
        return
    if args.quotations:
        quotations(service)
        return
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
            if not section.parts and section.quotes:  # the commentary: its sentences, cut
                topics = " | ".join(q.text[:70] for q in section.quotes)
            print(f"  {section.label}: {topics}")


if __name__ == "__main__":
    main()
