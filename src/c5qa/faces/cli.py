"""The ``c5qa`` command: index, ask, eval, serve. Thin: everything goes through ``Service``."""

from __future__ import annotations

import argparse
import getpass
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from c5qa.answer.render import terminal, to_json
from c5qa.answer.types import Answer
from c5qa.app.logs import configure
from c5qa.app.service import IndexProblem, IndexReport, Service
from c5qa.query.request import Request
from c5qa.settings import Settings, load_settings


def _settings(args: argparse.Namespace) -> Settings:
    """The layered settings, with logging set up from them (every command logs alike)."""
    settings = load_settings(
        corpus_dir=getattr(args, "corpus", None),
        index_dir=getattr(args, "index", None),
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
    )
    configure(settings)
    return settings


def _print_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def _print_report(report: IndexReport, as_json: bool) -> None:
    if as_json:
        _print_json(report.to_json())
        return
    print(
        f"{report.documents} documents, {report.chunks} chunks ({report.embedded} embedded) "
        f"in {report.seconds:.1f} s — added {len(report.added)}, updated {len(report.updated)}, "
        f"removed {len(report.removed)}, unchanged {report.unchanged}"
    )
    for failure in report.failed:
        print(f"skipped {failure.source}: {failure.error}")
    for group in report.duplicates:
        print(f"identical content: {', '.join(group)}")
    for source, why in report.ignored:  # indexed, without this part of its metadata
        print(f"indexed {source}, {why}")


def cmd_index(args: argparse.Namespace) -> int:
    service = Service(_settings(args))
    notice = (lambda m: print(m, file=sys.stderr)) if args.json else print

    def update() -> IndexReport:
        return service.index(progress=sys.stderr.isatty(), wait=args.wait, on_notice=notice)

    if args.watch:
        from c5qa.app.watch import watch

        print(f"watching {service.settings.corpus_dir} (Ctrl-C to stop)", file=sys.stderr)
        watch(
            str(service.settings.corpus_dir),
            update,
            lambda report: _print_report(report, args.json),
        )
        return 0
    _print_report(update(), args.json)
    return 0


def _read_batch(path: Path) -> list[dict]:
    items = []
    stream = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
    with stream:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                try:
                    item = json.loads(line)
                    if not isinstance(item, dict) or not isinstance(item.get("question"), str):
                        raise ValueError("needs a string 'question'")
                except ValueError as exc:
                    raise SystemExit(f"c5qa ask: {path}:{number}: {exc}") from exc
                items.append(item)
    return items


def cmd_ask(args: argparse.Namespace) -> int:
    service = Service(_settings(args))
    Request.of(service.settings, "", k=args.k)  # a bad --k is refused before anything loads
    if args.batch:
        items = _read_batch(args.batch)
        service.store(), service.encoder  # load before timing: model load is not per question
        seconds = []
        for item in items:
            started = time.perf_counter()
            answer = service.ask(item["question"], history=item.get("history") or (), k=args.k)
            seconds.append(time.perf_counter() - started)
            _print_json(to_json(answer))
        if seconds:
            p95 = statistics.quantiles(seconds, n=20)[-1] if len(seconds) > 1 else seconds[0]
            print(
                f"answered {len(seconds)} questions: median {statistics.median(seconds):.4f} s, "
                f"p95 {p95:.4f} s, max {max(seconds):.4f} s per question (model load excluded)",
                file=sys.stderr,
            )
        return 0
    if not args.question:
        print("c5qa ask: give a QUESTION or --batch FILE", file=sys.stderr)
        return 2
    question = " ".join(args.question)
    if args.llm or service.settings.llm:
        answer = _written(service, question, args.k, args.json)
    else:
        answer = service.ask(question, k=args.k)
    print(json.dumps(to_json(answer), ensure_ascii=False) if args.json else terminal(answer))
    return 0


def _written(service: Service, question: str, k: int | None, quiet: bool) -> Answer:
    """The written answer; on a terminal the sentences show as the model writes them (on
    stderr, so that stdout holds the final answer alone), each verdict as it ends."""
    if not service.settings.llm_url:
        raise SystemExit("c5qa ask --llm: set llm_url (C5QA_LLM_URL) to an OpenAI-compatible URL")
    shown = 0
    for draft in service.write(question, k=k):
        for sentence in draft.answer.written[shown:]:
            if not quiet:
                mark = "ok" if sentence.verified else f"left out: {sentence.reason}"
                print(f"  [{mark}] {sentence.text}", file=sys.stderr)
        shown = len(draft.answer.written)
        if draft.done:
            return draft.answer
    raise AssertionError("the written answer ended without a final draft")


def cmd_eval(args: argparse.Namespace) -> int:
    from c5qa.measure.evaluation import evaluate, format_report, load_questions

    service = Service(_settings(args))
    questions = _first_of_each_kind(load_questions(args.file), args.per_kind)[: args.limit]
    if args.llm:
        return _eval_written(service, questions, args.json)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    reports = {mode: evaluate(service, questions, k=args.k, mode=mode) for mode in modes}
    if args.json:
        _print_json({"k": args.k, "questions": len(questions), "modes": reports})
        return 0
    for mode, report in reports.items():
        print(f"== {mode} ==")
        print(format_report(report))
        print()
    return 0


def _first_of_each_kind(questions: list, n: int | None) -> list:
    """The first ``n`` questions of each kind, in file order (all when ``n`` is None): a
    written answer takes seconds, so a sample across kinds is what can be run."""
    if n is None:
        return questions
    counts: Counter[str] = Counter()
    kept = []
    for question in questions:
        counts[question.kind] += 1
        if counts[question.kind] <= n:
            kept.append(question)
    return kept


def _eval_written(service: Service, questions: list, as_json: bool) -> int:
    from c5qa.measure.written_eval import evaluate_written, format_written

    if not service.settings.llm_url:
        raise SystemExit("c5qa eval --llm: set llm_url (C5QA_LLM_URL) to an OpenAI-compatible URL")
    report = evaluate_written(service, questions)
    if as_json:
        _print_json({"questions": len(questions), "kinds": report})
    else:
        print(format_written(report))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from c5qa.measure.benchmark import beir_benchmark

    service = Service(_settings(args))
    log = (lambda m: print(m, file=sys.stderr)) if args.json else print
    result = beir_benchmark(args.path, service, args.cache, progress=sys.stderr.isatty(), log=log)
    if args.json:
        _print_json(result)
        return 0
    print(
        f"{result['documents']} documents, {result['queries']} test queries, {result['seconds']} s"
    )
    print(f"{'':<8} {'nDCG@10':>8} {'recall@100':>11}")
    for name in ("bm25", "dense", "hybrid"):
        row = result[name]
        print(f"{name:<8} {row['ndcg@10']:>8.4f} {row['recall@100']:>11.4f}")
    print(f"hybrid fusion (chosen on train qrels): {result['hybrid']['fusion']}")
    return 0


def cmd_bench_load(args: argparse.Namespace) -> int:
    """Concurrent users against a served copy of the corpus while generations are committed,
    once per concurrency limit, after a baseline of one user with no rebuild."""
    import tempfile

    from c5qa.measure.evaluation import load_questions
    from c5qa.measure.loadtest import run_load

    settings = _settings(args)
    questions = [q.question for q in load_questions(args.questions)]
    embedder = Service(settings).embedder
    runs = [("baseline", 1, args.each, False, settings.concurrency)]
    runs += [("load", args.users, args.each, True, int(c)) for c in args.concurrency.split(",")]
    results = []
    for name, users, each, rebuild, limit in runs:
        with tempfile.TemporaryDirectory() as tmp:
            result = run_load(
                settings.corpus_dir, Path(tmp), questions, embedder, users, each, limit, rebuild
            )
        results.append({"run": name, **result.to_json()})
        if not args.json:
            row = results[-1]
            print(
                f"{name:<8} {users:>2} users × {each:>2}, concurrency {limit}: "
                f"p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms (in the server: "
                f"p50 {row['server_ask_p50_ms']} ms, p95 {row['server_ask_p95_ms']} ms), "
                f"{row['answers_per_s']} answers/s, errors {row['errors']}, "
                f"bad citations {row['bad_citations']}, "
                f"rebuilds during load {row['rebuilds_during_load']}",
                flush=True,
            )
    if args.json:
        _print_json(results)
    return 0 if all(r["errors"] == 0 and r["bad_citations"] == 0 for r in results) else 1


def cmd_bench_soak(args: argparse.Namespace) -> int:
    """Mixed traffic on a served copy of the corpus, the server's memory sampled over time."""
    import tempfile

    from c5qa.measure.evaluation import load_questions
    from c5qa.measure.soak import run_soak

    settings = _settings(args)
    questions = [q.question for q in load_questions(args.questions) if q.kind != "followup"]
    with tempfile.TemporaryDirectory() as tmp:
        result = run_soak(
            settings.corpus_dir, Path(tmp), questions, args.minutes, args.clients, args.every
        ).to_json()
    if args.json:
        _print_json(result)
    else:
        step = max(1, len(result["samples"]) // 12)
        for seconds, mb in result["samples"][::step]:
            print(f"{seconds / 60:6.1f} min  RSS {mb:7.1f} MB")
        print(
            f"{result['requests']} requests, {result['errors']} errors; RSS after warm-up "
            f"{result['rss_after_warmup_mb']} MB, at the end {result['rss_end_mb']} MB "
            f"({result['growth_after_warmup']:+.1%}), max {result['rss_max_mb']} MB"
        )
    return 0 if result["errors"] == 0 else 1


def cmd_compare(args: argparse.Namespace) -> int:
    from c5qa.query.request import parse_periods

    service = Service(_settings(args))
    s = service.settings
    periods = (
        parse_periods(args.periods, s.max_periods, s.max_periods_chars) if args.periods else None
    )
    answer = service.compare(" ".join(args.theme), periods, k=args.k)
    print(json.dumps(to_json(answer), ensure_ascii=False) if args.json else terminal(answer))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from c5qa.answer.render import diff_json

    compared = Service(_settings(args)).diff(args.a, args.b, args.theme or "")
    answer = compared.answer
    print(json.dumps(diff_json(compared), ensure_ascii=False) if args.json else terminal(answer))
    return 0


def cmd_themes(args: argparse.Namespace) -> int:
    from c5qa.answer.themes import DEFAULT_THEMES, parse_themes, render_png

    service = Service(_settings(args))
    limit = service.settings.max_themes
    themes = parse_themes(args.themes, limit) if args.themes else DEFAULT_THEMES
    theme_map = service.themes(themes)
    if args.out:
        print(f"wrote {render_png(theme_map, args.out)}", file=sys.stderr)
    if args.json:
        _print_json(
            {
                "themes": list(theme_map.themes),
                "documents": [
                    {"source": s, "date": d, "title": t} for s, d, t in theme_map.documents
                ],
                "threshold": theme_map.threshold,
                "cells": [
                    [
                        {
                            "score": round(c.score, 4),
                            "source": c.source,
                            "start": c.start,
                            "end": c.end,
                            "sentence": c.sentence,
                        }
                        for c in row
                    ]
                    for row in theme_map.cells
                ],
            }
        )
    elif not args.out:
        for theme, row in zip(theme_map.themes, theme_map.cells, strict=True):
            present = sum(c.score >= theme_map.threshold for c in row)
            print(f"{theme:<32} present in {present:>2} of {len(row)} documents")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from c5qa.faces.ui import serve

    serve(_settings(args), insecure=args.insecure)
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    """Print an auth-file line with an scrypt hash, so the file never holds the password."""
    from c5qa.app.auth import hash_password

    if ":" in args.user or not args.user.strip():
        print("c5qa passwd: a user name cannot be empty or contain ':'", file=sys.stderr)
        return 2
    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("c5qa passwd: the passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        print("c5qa passwd: use at least 8 characters", file=sys.stderr)
        return 2
    print(f"{args.user}:{hash_password(password)}")
    return 0


Subcommands = argparse._SubParsersAction  # argparse names no public type for it


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", type=Path, help="corpus folder (default: setting corpus_dir)")
    p.add_argument("--index", type=Path, help="index folder (default: setting index_dir)")


def _add_index(sub: Subcommands) -> None:
    p = sub.add_parser("index", help="build or update the index from the corpus")
    _common(p)
    p.add_argument("--json", action="store_true", help="print one JSON report")
    p.add_argument(
        "--watch",
        action="store_true",
        help="keep running and update the index whenever the corpus changes",
    )
    p.add_argument(
        "--wait",
        type=float,
        default=60.0,
        help="seconds to wait for another running index update (default 60)",
    )
    p.set_defaults(func=cmd_index)


def _add_ask(sub: Subcommands) -> None:
    p = sub.add_parser("ask", help="answer a question with cited passages")
    _common(p)
    p.add_argument("--k", type=int, default=None, help="passages to retrieve (default 5)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument("--batch", type=Path, help="JSON Lines of questions ('-' for stdin)")
    p.add_argument(
        "--llm",
        action="store_true",
        help="a written answer from the language model at llm_url, every sentence verified",
    )
    p.add_argument("question", nargs="*")
    p.set_defaults(func=cmd_ask)


def _add_eval(sub: Subcommands) -> None:
    p = sub.add_parser("eval", help="recall@1/@5 and MRR on a question set")
    _common(p)
    p.add_argument("file", type=Path)
    p.add_argument(
        "--llm",
        action="store_true",
        help="written answers instead: sentences verified, citation precision, times",
    )
    p.add_argument("--limit", type=int, default=None, help="the first N questions only")
    p.add_argument("--per-kind", type=int, default=None, help="the first N questions of each kind")
    p.add_argument("--k", type=int, default=5)
    p.add_argument(
        "--modes",
        default="dense,bm25,hybrid",
        help="retrieval modes to compare, side by side (default all three)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)


def _add_compare(sub: Subcommands) -> None:
    p = sub.add_parser("compare", help="evidence for a theme per period, side by side")
    _common(p)
    p.add_argument("theme", nargs="+")
    p.add_argument("--periods", help="e.g. 2015-2022,2023,2025 (default: one per year)")
    p.add_argument("--k", type=int, default=None)
    p.add_argument("--json", action="store_true", help="the same object shape as ask --json")
    p.set_defaults(func=cmd_compare)


def _add_diff(sub: Subcommands) -> None:
    p = sub.add_parser("diff", help="what continued, was dropped or is new from A to B")
    _common(p)
    p.add_argument("a", help="a period (2023, 2015-2022, 2025-11) or documents (title words)")
    p.add_argument("b", help="the same, for the later side")
    p.add_argument("--theme", help="only this theme's topics: a label, label=search text allowed")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_diff)


def _add_themes(sub: Subcommands) -> None:
    p = sub.add_parser("themes", help="the theme × document map")
    _common(p)
    p.add_argument("--out", type=Path, help="write the map as a PNG")
    p.add_argument("--themes", help="comma-separated labels, label=search text allowed")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_themes)


def _add_bench(sub: Subcommands) -> None:
    p = sub.add_parser("bench", help="benchmarks")
    bench = p.add_subparsers(dest="benchmark", required=True)
    p = bench.add_parser("beir", help="BM25, dense and hybrid on a BEIR dataset (test split)")
    p.add_argument("path", type=Path, help="folder with corpus.jsonl, queries.jsonl, qrels/")
    p.add_argument(
        "--cache",
        type=Path,
        default=Path(".cache/beir"),
        help="where corpus embeddings are cached between runs",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench)
    p = bench.add_parser(
        "load", help="concurrent users on the served chat while the index is rebuilt"
    )
    p.add_argument("--corpus", type=Path, help="corpus to copy and serve (default: corpus_dir)")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--each", type=int, default=10, help="questions per user")
    p.add_argument(
        "--concurrency",
        default="1,2,4",
        help="comma-separated queue concurrency limits to compare (default 1,2,4)",
    )
    p.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench_load)
    p = bench.add_parser("soak", help="mixed traffic on the served chat, memory over time")
    p.add_argument("--corpus", type=Path, help="corpus to copy and serve (default: corpus_dir)")
    p.add_argument("--minutes", type=float, default=60.0)
    p.add_argument("--clients", type=int, default=4, help="users asking at once")
    p.add_argument("--every", type=float, default=10.0, help="seconds between memory samples")
    p.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench_soak)


def _add_serve(sub: Subcommands) -> None:
    p = sub.add_parser("serve", help="start the web chat")
    _common(p)
    p.add_argument("--host", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    p.add_argument(
        "--insecure", action="store_true", help="allow serving beyond this machine without auth"
    )
    p.set_defaults(func=cmd_serve)


def _add_passwd(sub: Subcommands) -> None:
    p = sub.add_parser(
        "passwd", help="print a user line for C5QA_AUTH_FILE (password read from the terminal)"
    )
    p.add_argument("user")
    p.set_defaults(func=cmd_passwd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="c5qa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (
        _add_index,
        _add_ask,
        _add_eval,
        _add_compare,
        _add_diff,
        _add_themes,
        _add_bench,
        _add_serve,
        _add_passwd,
    ):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (IndexProblem, ValueError, OSError) as exc:
        print(f"c5qa {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
