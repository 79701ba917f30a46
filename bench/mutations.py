"""Do the tests guard the promises? Small mutations of the code, each run against its own
test modules (#21): a mutation the tests let pass is a promise nobody checks.

    python bench/mutations.py                      # this checkout
    python bench/mutations.py --tree /work/base    # another checkout (a git worktree), e.g. the
                                                   # commit before the hardening, for a baseline

Each mutation is a regular expression applied to one source file of the tree; the tree's
``src`` comes first on the path, so the tests run its code. The file is restored afterwards.
A mutation whose pattern is not in the tree is reported as such; the tests are first run
unmutated (the control), which must pass. The browser tests are left out (the promise is that a
fast test catches each mutation).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    pattern: str
    replacement: str
    tests: tuple[str, ...]


MUTATIONS = (
    Mutation(
        "abstention's similarity floor deleted",
        "src/c5qa/answer/plain.py",
        r"found\.support < settings\.abstain_below",
        "False",
        ("test_plain", "test_compare", "test_service", "test_cli", "test_evaluation", "test_ui"),
    ),
    Mutation(
        "server-side upload guard deleted",
        "src/c5qa/faces/ui.py",
        r"if not allowed:",
        "if False:",
        ("test_ui", "test_upload"),
    ),
    Mutation(
        "passage text in the source card not escaped",
        "src/c5qa/answer/render.py",
        r"escape_markdown\(((?:passage\.)?text\[[^\]]*\])\)",
        r"\1",
        ("test_render", "test_ui"),
    ),
    Mutation(
        "hybrid retrieval loses its lexical half",
        "src/c5qa/retrieve/search.py",
        r"\(1 - how\.alpha\) \* lexical\[i\] / top",
        "0.0",
        ("test_evaluation",),
    ),
)


def pytest(tree: Path, tests: tuple[str, ...]) -> tuple[int, str]:
    """Run test modules of ``tree`` against its own code; exit code and summary line."""
    files = [f"tests/{name}.py" for name in tests]
    env = os.environ | {"PYTHONPATH": str(tree / "src"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *files],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    return done.returncode, (done.stdout.strip().splitlines() or [""])[-1]


def run(tree: Path, mutation: Mutation) -> dict:
    """Apply, run the tests, restore; what happened."""
    path = tree / mutation.path
    original = path.read_text(encoding="utf-8")
    mutated, count = re.subn(mutation.pattern, mutation.replacement, original)
    row = {"mutation": mutation.name, "tests": list(mutation.tests), "applied": count}
    if not count:
        return row | {"result": "pattern not in this tree"}
    path.write_text(mutated, encoding="utf-8")
    started = time.perf_counter()
    try:
        code, summary = pytest(tree, mutation.tests)
    finally:
        path.write_text(original, encoding="utf-8")
    caught = code == 1 and "failed" in summary
    return row | {
        "result": "caught" if caught else "survived",
        "summary": summary,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout to mutate")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tree = args.tree.resolve()
    # The control: unmutated, the same tests pass, or a "caught" would mean nothing.
    every = tuple(dict.fromkeys(t for m in MUTATIONS for t in m.tests))
    code, summary = pytest(tree, every)
    control = {"mutation": "none (control)", "tests": list(every), "applied": 0}
    control |= {"result": "pass" if code == 0 else "FAIL unmutated", "summary": summary}
    rows = [control] + [run(tree, m) for m in MUTATIONS]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        print(f"{row['result']:>26}  {row['mutation']}  ({', '.join(row['tests'])})")
        if "summary" in row:
            print(f"{'':>28}{row['summary']}")


if __name__ == "__main__":
    main()
