import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from c5qa.app.service import Service
from c5qa.faces.cli import main
from tests.conftest import BAD_QUESTIONS, KAZAKHSTAN, ROOT

INDEX_KEYS = {
    "added",
    "updated",
    "removed",
    "unchanged",
    "failed",
    "documents",
    "chunks",
    "embedded",
    "seconds",
    "ignored",
}
# The contract (question, answer, abstained, passages) and the structure beside it.
ANSWER_KEYS = {
    "question",
    "answer",
    "abstained",
    "passages",
    "verdict",
    "lead",
    "sections",
    "notes",
}
PASSAGE_KEYS = {
    "n",
    "source",
    "title",
    "date",
    "publisher",
    "location",
    "start",
    "end",
    "text",
    "score",
    "ocr",
}


def _check_answer(obj: dict, k: int) -> None:
    assert set(obj) == ANSWER_KEYS
    assert isinstance(obj["answer"], str) and isinstance(obj["abstained"], bool)
    assert len(obj["passages"]) == k
    for n, passage in enumerate(obj["passages"], start=1):
        assert set(passage) == PASSAGE_KEYS and passage["n"] == n
        assert isinstance(passage["start"], int) and isinstance(passage["score"], float)
        assert passage["location"].startswith(("p. ", "pp. ", "¶ "))
        assert passage["ocr"] is False  # no scan in these corpora
    for marker in {int(m) for m in __import__("re").findall(r"\[(\d+)\]", obj["answer"])}:
        assert 1 <= marker <= k


def test_console_script_index_then_ask(tmp_path: Path, small_corpus: Path) -> None:
    """The installed `c5qa` command end to end, in real processes."""
    env = {**os.environ, "C5QA_CONFIG": str(tmp_path / "none.toml")}
    index = tmp_path / "index"
    exe = Path(sys.executable).with_name("c5qa")
    run = subprocess.run(
        [str(exe), "index", "--corpus", str(small_corpus), "--index", str(index), "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    report = json.loads(run.stdout)
    assert set(report) >= INDEX_KEYS
    assert len(report["added"]) == 4 and report["embedded"] == report["chunks"]
    assert report["failed"] == [] and report["unchanged"] == 0
    run = subprocess.run(
        [
            str(exe),
            "ask",
            "--index",
            str(index),
            "--corpus",
            str(small_corpus),
            "--json",
            "Which firm will upgrade Kazakhstan's air traffic management system?",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    answer = json.loads(run.stdout)
    _check_answer(answer, 5)
    assert "Leidos" in answer["answer"]
    assert any(p["source"] == KAZAKHSTAN and "Leidos" in p["text"] for p in answer["passages"])
    # #18: a question loads none of torch, gradio, matplotlib or pandas (the encoder's ONNX
    # export exists now: the first question made it).
    args = ["ask", "--index", str(index), "--corpus", str(small_corpus), "--json", "Leidos"]
    probe = (
        "import sys\n"
        "from c5qa.faces.cli import main\n"
        f"main({args!r})\n"
        "heavy = ('torch', 'sentence_transformers', 'gradio', 'matplotlib', 'pandas')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert run.stdout.strip().splitlines()[-1] == "[]"


def _cli(capsys: pytest.CaptureFixture, service: Service, *args: str) -> tuple[int, str, str]:
    settings = service.settings
    code = main(
        [
            args[0],
            "--corpus",
            str(settings.corpus_dir),
            "--index",
            str(settings.index_dir),
            *args[1:],
        ]
    )
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_batch_keeps_order_and_uses_history(
    capsys: pytest.CaptureFixture, corpus_service: Service, tmp_path: Path
) -> None:
    batch = tmp_path / "questions.jsonl"
    items = [
        {"question": "Which firm will upgrade Kazakhstan's air traffic management system?"},
        {
            "question": "What about Turkmenistan?",
            "history": [
                {"role": "user", "content": "What deals did Kazakhstan sign in Washington?"},
                {"role": "assistant", "content": "Boeing, Wabtec and Leidos deals."},
            ],
        },
        {"question": "What is a good recipe for plov?"},
    ]
    batch.write_text("\n".join(json.dumps(i) for i in items) + "\n")
    code, out, err = _cli(
        capsys, corpus_service, "ask", "--json", "--batch", str(batch), "--k", "3"
    )
    assert code == 0
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a["question"] for a in answers] == [i["question"] for i in items]
    for answer in answers:
        _check_answer(answer, 3)
    assert "Turkmenistan" in " ".join(p["text"] for p in answers[1]["passages"])
    assert answers[2]["abstained"] is True
    assert "median" in err


def test_ask_human_output_and_index_text(
    capsys: pytest.CaptureFixture, corpus_service: Service
) -> None:
    code, out, _ = _cli(capsys, corpus_service, "ask", "Who", "makes", "the", "locomotives?")
    assert code == 0 and "Sources:" in out and "[1]" in out
    code, out, _ = _cli(capsys, corpus_service, "index")
    assert code == 0 and "17 documents" in out and "unchanged 17" in out


def test_index_says_which_metadata_it_left_out(
    capsys: pytest.CaptureFixture, small_service: Service
) -> None:
    corpus = small_service.settings.corpus_dir
    (corpus / "typo.md").write_text("---\ntitle: [oops\n---\nThe Zeravshan weir.\n")
    code, out, _ = _cli(capsys, small_service, "index")
    assert code == 0 and "indexed typo.md, front matter ignored: front matter is not" in out
    (corpus / "late.md").write_text("---\ndate: soon\n---\nText.\n")
    code, out, _ = _cli(capsys, small_service, "index", "--json")
    ignored = json.loads(out)["ignored"]
    assert [i["source"] for i in ignored] == ["late.md"] and "not a date" in ignored[0]["ignored"]


def test_diff_prints_the_lead_and_json_with_its_classes(
    capsys: pytest.CaptureFixture, corpus_service: Service
) -> None:
    code, out, _ = _cli(capsys, corpus_service, "diff", "2015", "2023")
    assert code == 0 and out.startswith("Compared with 2015, 2023 continues") and "[1]" in out
    code, out, _ = _cli(capsys, corpus_service, "diff", "2015", "2023", "--json")
    shape = json.loads(out)
    assert code == 0 and (shape["a"], shape["b"]) == ("2015", "2023")
    assert shape["continued"] and shape["passages"]
    code, _, err = _cli(capsys, corpus_service, "diff", "2016", "2023")
    assert code == 2 and "no document of the corpus is dated 2016" in err
    code, out, _ = _cli(capsys, corpus_service, "diff", "2023", "2025", "--theme", "water")
    assert code == 0 and out.startswith("On water, compared with 2023, 2025")


def test_clear_errors_exit_2(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    code = main(["ask", "--index", str(tmp_path / "none"), "anything"])
    assert code == 2 and "c5qa index" in capsys.readouterr().err
    code = main(["index", "--corpus", str(tmp_path / "absent"), "--index", str(tmp_path / "i")])
    assert code == 2 and "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("k", ["-3", "0", "1000"])
def test_a_k_out_of_bounds_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture, tmp_path: Path, k: str
) -> None:
    """Refused before anything loads (there is no index here), with the bounds named: it
    used to return 51 passages for -3."""
    for extra in ([], ["--json"], ["--batch", "-"]):
        code = main(["ask", "--index", str(tmp_path / "none"), "--k", k, *extra, "anything"])
        err = capsys.readouterr().err
        assert code == 2 and err == f"c5qa ask: k must be a whole number from 1 to 50, not {k}\n"
    code = main(["compare", "--index", str(tmp_path / "none"), "--k", k, "security"])
    assert code == 2 and "k must be a whole number from 1 to 50" in capsys.readouterr().err


def test_eval_command_prints_recall_and_mrr(
    capsys: pytest.CaptureFixture, corpus_service: Service, tmp_path: Path
) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps(
            {
                "id": "leidos",
                "kind": "fact",
                "expect": ["Leidos"],
                "sources": [KAZAKHSTAN],
                "question": "Which firm will upgrade Kazakhstan's air traffic management system?",
            }
        )
        + "\n"
    )
    code, out, _ = _cli(capsys, corpus_service, "eval", str(questions), "--json")
    report = json.loads(out)
    assert code == 0 and set(report["modes"]) == {"dense", "bm25", "hybrid"}
    for mode in report["modes"].values():
        assert mode["kinds"]["fact"]["recall@1"] == 1.0 and mode["kinds"]["fact"]["mrr"] == 1.0
    code, out, _ = _cli(capsys, corpus_service, "eval", str(questions), "--modes", "bm25")
    assert code == 0 and "== bm25 ==" in out and "recall@1" in out and "dense" not in out


def test_readme_documents_the_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    for needle in ("make run", "make test", "c5qa index", "c5qa ask", "c5qa eval", "C5QA_"):
        assert needle in readme


def test_bad_questions_get_replies_not_errors(
    capsys: pytest.CaptureFixture, corpus_service: Service, tmp_path: Path
) -> None:
    batch = tmp_path / "bad.jsonl"
    batch.write_text("\n".join(json.dumps({"question": q}) for q in BAD_QUESTIONS) + "\n")
    code, out, err = _cli(capsys, corpus_service, "ask", "--json", "--batch", str(batch))
    assert code == 0 and "Traceback" not in err
    answers = [json.loads(line) for line in out.splitlines()]
    assert len(answers) == len(BAD_QUESTIONS)
    for answer in answers:
        assert set(answer) == ANSWER_KEYS and answer["answer"].strip()
        assert answer["question"].isprintable()
    assert len(answers[4]["question"]) == corpus_service.settings.max_question_chars
    assert "Leidos" in answers[5]["answer"]
    code, out, _ = _cli(capsys, corpus_service, "ask", "   ")
    assert code == 0 and out.startswith("Please type a question")


def test_serve_refuses_an_exposed_address_without_auth(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C5QA_")}
    run = subprocess.run(
        [sys.executable, "-m", "c5qa", "serve", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        "c5qa serve: refusing to serve on 0.0.0.0 without auth; set C5QA_AUTH=user:password or "
        "C5QA_AUTH_FILE (lines made by `c5qa passwd USER`), or pass --insecure if this is "
        "really meant"
    ]
    bad_file = subprocess.run(
        [sys.executable, "-m", "c5qa", "serve", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
        env={**env, "C5QA_AUTH_FILE": str(tmp_path / "absent")},
        cwd=tmp_path,
        timeout=120,
    )
    assert bad_file.returncode == 1 and "cannot read it" in bad_file.stderr
    assert "Traceback" not in bad_file.stderr
