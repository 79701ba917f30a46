"""Diffs of the corpus's landmark sides: each class's topics (largest first, with how many
statements they hold) and the warm time of a diff (median of five after one warm-up).

    python bench/diff.py                     # 2015/2023, 2023/2025, the NYD and the summit
    python bench/diff.py "2019-2021" "2023"  # any two sides
    python bench/diff.py --record             # the Diplomat's claims against NYD -> summit
    python bench/diff.py --quotations         # commentary sentences that quote a side
    python bench/diff.py --topics eval/topic-classes.jsonl  # topic classes against labels

Uses the index in the configured index_dir (run `c5qa index` first).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections import Counter
from pathlib import Path

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
        (name, topic.label, s)
        for name in ("continued", "dropped", "new")
        for topic in getattr(result, name)
        for s in (*topic.a, *topic.b)
    ]
    for said, claim, pattern in RECORD:
        hits = [
            (name, label, s)
            for name, label, s in rows
            if re.search(pattern, store.documents[s.source].text[s.start : s.end], re.I)
        ]
        # A statement on several topics counts once per class.
        classes = Counter(name for name, _ in {(name, (s.source, s.start)) for name, _, s in hits})
        topics = Counter(f"{label} ({name})" for name, label, _ in hits)
        print(f"{said:8} {claim:32} {dict(classes.most_common())}  {dict(topics.most_common(3))}")


def topics(service: Service, path: Path) -> None:
    """Each labelled comparison of ``path`` (its sides as file lists, one theme per line:
    continued, dropped, new or neither) against the diff's class for that theme: a theme's
    class is the class of its topic (the first of continued, dropped, new when a diff puts it
    in several), "neither" when it has none. Prints the confusion and the accuracy."""
    from c5qa.answer.diff import diff as diff_of
    from c5qa.query.request import Period

    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    store = service.store()
    predicted: dict[str, str] = {}
    for key in dict.fromkeys(r["id"].split("-")[0] for r in rows):
        row = next(r for r in rows if r["id"].startswith(f"{key}-"))
        a = Period(f"{key} A", "", "", tuple(row["a"]))
        b = Period(f"{key} B", "", "", tuple(row["b"]))
        result = diff_of(a, b, store, service.embedder.encode, service.settings)
        classes: dict[str, str] = {}
        for name in ("continued", "dropped", "new"):
            for topic in getattr(result, name):
                classes.setdefault(topic.label, name)
        for r in rows:
            if r["id"].startswith(f"{key}-"):
                predicted[r["id"]] = classes.get(r["theme"], "neither")
    labels = ("continued", "dropped", "new", "neither")
    confusion = Counter((r["label"], predicted[r["id"]]) for r in rows)
    print("labelled \\ diff " + " ".join(f"{x:>9}" for x in labels))
    for truth in labels:
        print(f"{truth:>15} " + " ".join(f"{confusion[truth, x]:>9}" for x in labels))
    right = sum(confusion[x, x] for x in labels)
    print(f"accuracy {right / len(rows):.3f} ({right} of {len(rows)})")
    for r in rows:
        if predicted[r["id"]] != r["label"]:
            print(f"  {r['id']}: labelled {r['label']}, diff {predicted[r['id']]}")


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
    parser.add_argument("--topics", type=Path, help="labelled topic classes (JSON lines)")
    args = parser.parse_args()
    pairs = [tuple(args.sides)] if len(args.sides) == 2 else LANDMARKS
    service = Service(load_settings())
    if args.record:
        record(service)
        return
    if args.quotations:
        quotations(service)
        return
    if args.topics:
        topics(service, args.topics)
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
            shown = ", ".join(part.label for part in section.parts) or section.note
            if not section.parts and section.quotes:  # the commentary: its sentences, cut
                shown = " | ".join(q.text[:70] for q in section.quotes)
            print(f"  {section.label}: {shown}")


if __name__ == "__main__":
    main()
