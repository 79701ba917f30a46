"""Loading never fails with anything but a one-line ``DocumentError``, and loads every good file.

Real PDFs from producers other than ours come from ../shared/pdf-samples; junk of every kind the
corpus folder can receive is generated here.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c5qa.ingest.documents import (
    SUPPORTED_SUFFIXES,
    Document,
    DocumentError,
    discover,
    load_document,
)
from c5qa.ingest.ocr import Ocr
from tests.conftest import ROOT, SHARED, shared_path

ARTIFACTS = ROOT / "test-artifacts"

# files.json records encryption but not whether a page carries text: these hold only images.
NO_TEXT_LAYER = {
    "cmyk-image.pdf",
    "grayscale-image.pdf",
    "imagemagick-ASCII85Decode.pdf",
    "imagemagick-CCITTFaxDecode.pdf",
    "imagemagick-lzw.pdf",
}
# Text that must survive, for the files whose structure makes extraction most fragile.
EXPECTED_TEXT = {
    "unreadablemetadata.pdf": "Wirewound",  # page tree lost; pages recovered from the objects
    "GeoTopo-komprimiert.pdf": "Topologie",  # 117 pages, compressed object streams
    "habibi.pdf": "habibi",  # Arabic with a ToUnicode map
    "multicolumn.pdf": "Lorem",
}


def _sample_names() -> list[str]:
    names = sorted(p.name for p in (SHARED / "pdf-samples").glob("*.pdf"))
    return names or ["<no samples>"]  # one case, so that shared_path reports the absence


def _refused(path: Path, corpus: Path, reason: str, **kwargs: int) -> str:
    """Assert the file is refused with ``reason`` in a message fit for one report line."""
    with pytest.raises(DocumentError) as info:
        load_document(path, corpus, **kwargs)
    message = str(info.value)
    assert reason in message
    assert "\n" not in message and "\r" not in message and len(message) <= 200
    return message


def _pdf_bytes(pages: list[str], compress: bool = True) -> bytes:
    pdf = FPDF()
    pdf.set_compression(compress)
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def _break_page_stream(data: bytes, text: str) -> bytes:
    """Give one page's content stream a filter its bytes do not satisfy (pypdf raises on it)."""
    start = data.rindex(b"<<", 0, data.index(text.encode()))
    end = data.index(b"endstream", start)
    header = data[start : data.index(b"stream", start)]
    length = int(re.search(rb"/Length (\d+)", header).group(1))
    broken = b"<</Length %d/Filter/ASCIIHexDecode>>\nstream\n" % length + b"z" * length + b"\n"
    return data[:start] + broken + data[end:]


# --- real PDFs from other producers -------------------------------------------------------------


@pytest.mark.parametrize("name", _sample_names())
def test_pdf_sample_loads_or_gives_the_right_reason(name: str) -> None:
    folder = shared_path("pdf-samples")
    facts = {
        Path(entry["path"]).name: entry
        for entry in json.loads((folder / "files.json").read_text())["data"]
    }
    assert name in facts, f"{name} is not described in files.json"
    started = time.monotonic()
    if facts[name]["encrypted"]:
        _refused(folder / name, folder, "encrypted")
    elif name in NO_TEXT_LAYER:
        _refused(folder / name, folder, "no text layer (scanned? needs OCR)")
    else:
        doc = load_document(folder / name, folder)
        assert doc.text.strip() and doc.title and "\x00" not in doc.title
        assert EXPECTED_TEXT.get(name, "") in doc.text
        # Only a document rebuilt from a damaged file may lack pages, and it says so.
        assert len(doc.pages) == facts[name]["pages"] or doc.partial
    # Not a performance limit (bench/ measures speed): a bound on a parser lost in a damaged
    # file's structure, which takes minutes. The slowest sample (GeoTopo, 117 pages) loads in
    # about 4 s on a loaded 2-core machine.
    assert time.monotonic() - started < 60


def test_pdf_with_lost_page_tree_keeps_the_surviving_pages() -> None:
    folder = shared_path("pdf-samples")
    doc = load_document(folder / "unreadablemetadata.pdf", folder)
    assert doc.partial and len(doc.pages) == 3
    assert doc.text.startswith("Industrial\n24mm Diameter")
    assert doc.title == "Unreadablemetadata" and doc.date == ""  # its metadata is gone


# --- generated junk -----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
def test_empty_file_is_empty(tmp_path: Path, suffix: str) -> None:
    (tmp_path / f"nothing{suffix}").write_bytes(b"")
    _refused(tmp_path / f"nothing{suffix}", tmp_path, "empty")


def test_whitespace_and_tags_only_are_empty(tmp_path: Path) -> None:
    (tmp_path / "blank.txt").write_text(" \n\t\n")
    _refused(tmp_path / "blank.txt", tmp_path, "empty")
    (tmp_path / "blank.html").write_text("<html><head><title>T</title></head><body> </body>")
    _refused(tmp_path / "blank.html", tmp_path, "empty")


def test_md_with_only_front_matter_is_empty(tmp_path: Path) -> None:
    (tmp_path / "meta.md").write_text("---\ntitle: Only metadata\ndate: 2024-01-01\n---\n")
    _refused(tmp_path / "meta.md", tmp_path, "empty")


def test_truncated_pdf_is_unreadable(tmp_path: Path) -> None:
    data = _pdf_bytes(["A page of text that is cut off."])
    for n, cut in enumerate((len(data) // 2, 200, 12)):
        (tmp_path / f"cut{n}.pdf").write_bytes(data[:cut])
        _refused(tmp_path / f"cut{n}.pdf", tmp_path, "unreadable")


def test_html_named_pdf_is_not_a_pdf(tmp_path: Path) -> None:
    (tmp_path / "download.pdf").write_text("<!DOCTYPE html><html><body>Sign in</body></html>")
    message = _refused(tmp_path / "download.pdf", tmp_path, "unreadable")
    assert "not a PDF" in message and "HTML" in message


def test_random_bytes_are_binary(tmp_path: Path) -> None:
    data = random.Random(7).randbytes(8192)
    for suffix in (".txt", ".md", ".html", ".pdf"):
        (tmp_path / f"noise{suffix}").write_bytes(data)
        _refused(tmp_path / f"noise{suffix}", tmp_path, "unreadable")
    assert "binary" in _refused(tmp_path / "noise.txt", tmp_path, "unreadable")


def test_latin1_and_windows_1252_text_load(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes("Café in Almaty, naïve façade.".encode("latin-1"))
    assert load_document(tmp_path / "latin1.txt", tmp_path).text == "Café in Almaty, naïve façade."
    (tmp_path / "cp1252.txt").write_bytes("“Quoted” – and €5.".encode("cp1252"))
    assert load_document(tmp_path / "cp1252.txt", tmp_path).text == "“Quoted” – and €5."


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom_loads(tmp_path: Path, encoding: str) -> None:
    bom = {"utf-16": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[encoding]
    text = "---\ntitle: Ташкент\n---\nВстреча в Ташкенте.\r\nSecond line.\n"
    (tmp_path / "u16.md").write_bytes(bom + text.encode(encoding))
    doc = load_document(tmp_path / "u16.md", tmp_path)
    assert doc.title == "Ташкент" and doc.text == "Встреча в Ташкенте.\nSecond line.\n"


def test_utf8_bom_is_not_in_the_text(tmp_path: Path) -> None:
    (tmp_path / "bom.txt").write_bytes("\ufeffPlain text.".encode())
    assert load_document(tmp_path / "bom.txt", tmp_path).text == "Plain text."
    (tmp_path / "bom.md").write_bytes("\ufeff---\ntitle: With BOM\n---\nBody.".encode())
    doc = load_document(tmp_path / "bom.md", tmp_path)
    assert (doc.title, doc.text) == ("With BOM", "Body.")


def test_too_large_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as fh:
        fh.truncate(200_000_000)  # sparse: no disk used, but reading it would take a while

    def no_reading(self: Path, *args: object, **kwargs: object) -> None:
        raise AssertionError(f"{self.name} was opened")

    monkeypatch.setattr(Path, "open", no_reading)
    message = _refused(path, tmp_path, "too large", max_bytes=50_000_000)
    assert "200.0 MB" in message and "50.0 MB" in message


def test_deeply_nested_html_loads_its_text(tmp_path: Path) -> None:
    depth = 100_000
    (tmp_path / "deep.html").write_text("<div>" * depth + "Deep text." + "</div>" * depth)
    assert load_document(tmp_path / "deep.html", tmp_path).text == "Deep text."
    (tmp_path / "open.html").write_text("<p><b><i>" * (depth // 3) + "Never closed.")
    assert load_document(tmp_path / "open.html", tmp_path).text == "Never closed."


def test_malformed_html_keeps_its_visible_text(tmp_path: Path) -> None:
    (tmp_path / "bad.html").write_text(
        "<html><body><p>Visible <b>text</i></p></table><<>><div class='x\n"
        "<!-- a comment --><script>var hidden=1"
    )
    doc = load_document(tmp_path / "bad.html", tmp_path)
    assert doc.text.startswith("Visible text") and "hidden" not in doc.text


def test_invalid_yaml_front_matter_is_set_aside_and_the_body_kept(tmp_path: Path) -> None:
    # #20: the text is indexed under the file's name; the report says what was ignored.
    (tmp_path / "bad.md").write_text("---\ntitle: [unclosed\ndate: 2024\n---\nBody.\n")
    (tmp_path / "deep.md").write_text("---\nx: " + "[" * 5000 + "]" * 5000 + "\n---\nBody.\n")
    (tmp_path / "list.md").write_text("---\n- a\n- b\n---\nBody.\n")
    expected = {
        "bad.md": "front matter is not valid YAML",
        "deep.md": "front matter is not valid YAML: nested too deeply",
        "list.md": "front matter is not a YAML mapping",
    }
    for name, why in expected.items():
        doc = load_document(tmp_path / name, tmp_path)
        assert (doc.text, doc.title, doc.date) == ("Body.\n", name[:-3].capitalize(), "")
        assert len(doc.ignored) == 1 and why in doc.ignored[0]


def test_front_matter_with_odd_types_loads(tmp_path: Path) -> None:
    (tmp_path / "odd.md").write_text(
        "---\ndate: [2020-01-01, 2021]\ntitle: 42\npartial: 'yes'\npublisher: {a: 1}\n---\nBody.\n"
    )
    doc = load_document(tmp_path / "odd.md", tmp_path)
    assert (doc.title, doc.date, doc.partial, doc.publisher) == ("42", "", True, "")
    (tmp_path / "more.md").write_text("---\ntitle: [a, b]\ndate: 2019\npartial: 0\n---\nBody.\n")
    doc = load_document(tmp_path / "more.md", tmp_path)
    assert (doc.title, doc.date, doc.partial) == ("More", "2019", False)


def test_yaml_alias_bomb_in_front_matter_is_harmless(tmp_path: Path) -> None:
    levels = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
    bomb = f"---\nl0: &l0 [lol]\n{levels}title: *l9\ndate: *l9\npartial: *l9\n---\nBody.\n"
    (tmp_path / "bomb.md").write_text(bomb)
    started = time.monotonic()
    doc = load_document(tmp_path / "bomb.md", tmp_path)
    assert (doc.title, doc.date, doc.text) == ("Bomb", "", "Body.\n")
    # Not a performance limit: expanding the aliases (9**9 items) would take minutes and
    # gigabytes; refusing to expand them takes milliseconds.
    assert time.monotonic() - started < 60


def test_directory_named_like_a_document_is_not_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "x.pdf").mkdir()
    _refused(tmp_path / "x.pdf", tmp_path, "not a regular file")


def test_symlinks_outside_the_corpus_are_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (tmp_path / "secret.txt").write_text("Outside the corpus.")
    (corpus / "inside.txt").write_text("Inside the corpus.")
    (corpus / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (corpus / "alias.txt").symlink_to(corpus / "inside.txt")
    (corpus / "relative.txt").symlink_to("../secret.txt")
    (corpus / "broken.txt").symlink_to(corpus / "gone.txt")
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    _refused(corpus / "leak.txt", corpus, "outside corpus")
    _refused(corpus / "relative.txt", corpus, "outside corpus")
    assert load_document(corpus / "alias.txt", corpus).text == "Inside the corpus."
    _refused(corpus / "broken.txt", corpus, "not a regular file")
    _refused(corpus / "loop.txt", corpus, "unreadable")
    _refused(tmp_path / "secret.txt", corpus, "outside corpus")  # not below corpus_dir at all


def test_discover_stays_in_the_corpus_and_survives_cycles(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "secret.txt").write_text("Outside.")
    (corpus / "sub" / "a.txt").write_text("A.")
    (corpus / "out").symlink_to(tmp_path / "elsewhere")
    (corpus / "sub" / "cycle").symlink_to(corpus)
    (corpus / "sub" / "self").symlink_to(corpus / "sub")
    (corpus / "leak.md").symlink_to(tmp_path / "elsewhere" / "secret.txt")
    names = [p.relative_to(corpus).as_posix() for p in discover(corpus)]
    assert names == ["leak.md", "sub/a.txt"]  # the leak is listed so the report can say why
    _refused(corpus / "leak.md", corpus, "outside corpus")


def test_pdf_page_that_fails_costs_only_that_page(tmp_path: Path) -> None:
    pages = ["First page text.", "Second page text.", "Third page text."]
    data = _break_page_stream(_pdf_bytes(pages, compress=False), "Second page text.")
    (tmp_path / "one-bad-page.pdf").write_bytes(data)
    doc = load_document(tmp_path / "one-bad-page.pdf", tmp_path)
    assert doc.partial and len(doc.pages) == 3
    assert doc.text == "First page text.\n\n\n\nThird page text."
    assert doc.text[doc.pages[2] :] == "Third page text."


def test_pdf_whose_every_page_fails_is_unreadable(tmp_path: Path) -> None:
    data = _break_page_stream(_pdf_bytes(["Only page."], compress=False), "Only page.")
    (tmp_path / "all-bad.pdf").write_bytes(data)
    message = _refused(tmp_path / "all-bad.pdf", tmp_path, "unreadable")
    assert "page 1" in message


def test_pdf_page_without_unicode_map_is_dropped_not_indexed_as_garbage(tmp_path: Path) -> None:
    data = _pdf_bytes(["Readable page.", "Unmapped page."], compress=False)
    # Point the second page's text at a font that does not exist: pypdf yields only U+FFFD.
    at = data.index(b"(Unmapped page.)")
    font = data.rindex(b"/F1 12.00 Tf", 0, at)
    data = data[:font] + b"/F9" + data[font + 3 :]
    (tmp_path / "unmapped.pdf").write_bytes(data)
    doc = load_document(tmp_path / "unmapped.pdf", tmp_path)
    assert doc.text.strip() == "Readable page." and "\ufffd" not in doc.text and doc.partial


# --- whatever arrives: a Document or a DocumentError, nothing else ------------------------------


LOADS = "loads"


def _junk() -> dict[str, tuple[Callable[[Path], object], str]]:
    """Every junk class above: how to build the file, and the outcome (a reason word, or
    ``LOADS``)."""
    pdf = _pdf_bytes(["Some text."])
    noise = random.Random(3).randbytes(4096)
    bad_page = _break_page_stream(_pdf_bytes(["Text.", "Gone."], compress=False), "Gone.")
    return {
        **{f"empty{s}": (lambda p: p.write_bytes(b""), "empty") for s in SUPPORTED_SUFFIXES},
        "only-front-matter.md": (lambda p: p.write_text("---\ntitle: T\n---\n"), "empty"),
        "cut.pdf": (lambda p: p.write_bytes(pdf[: len(pdf) // 2]), "unreadable"),
        "html.pdf": (lambda p: p.write_text("<html><body>Hi</body></html>"), "not a PDF"),
        "noise.txt": (lambda p: p.write_bytes(noise), "binary"),
        "noise.pdf": (lambda p: p.write_bytes(b"%PDF-1.7\n" + noise), "unreadable"),
        "noise.html": (lambda p: p.write_bytes(noise), "binary"),
        "utf16-no-bom.txt": (lambda p: p.write_bytes("Текст".encode("utf-16-le")), "binary"),
        "latin1.txt": (lambda p: p.write_bytes("Café".encode("latin-1")), LOADS),
        "utf16.txt": (lambda p: p.write_bytes("Текст".encode("utf-16")), LOADS),
        "bom.txt": (lambda p: p.write_bytes("\ufeffText".encode()), LOADS),
        "big.txt": (lambda p: p.write_text("word " * 300_000), "too large"),
        "deep.html": (lambda p: p.write_text("<div>" * 20_000 + "x"), LOADS),
        "bad.html": (lambda p: p.write_text("<p>a</b></table><<>><div class='"), LOADS),
        "bad-yaml.md": (lambda p: p.write_text("---\ntitle: [\n---\nB"), LOADS),
        "noise.docx": (lambda p: p.write_bytes(noise), "not a Word file"),
        "zip.docx": (lambda p: p.write_bytes(b"PK\x03\x04" + noise), "damaged Word file"),
        "odd-yaml.md": (lambda p: p.write_text("---\ndate: [1]\ntitle: 4\n---\nB"), LOADS),
        "dir.pdf": (lambda p: p.mkdir(), "not a regular file"),
        "leak.txt": (lambda p: p.symlink_to(p.parent.parent / "outside.txt"), "outside corpus"),
        "loop.txt": (lambda p: p.symlink_to(p), "unreadable"),
        "bad-page.pdf": (lambda p: p.write_bytes(bad_page), LOADS),
    }


def test_any_junk_gives_a_document_or_a_document_error(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (tmp_path / "outside.txt").write_text("Outside.")
    junk = _junk()
    for name, (build, _) in junk.items():
        build(corpus / name)
    paths = discover(corpus)
    assert sorted(p.name for p in paths) == sorted(junk)
    for path in paths:
        try:
            outcome: Document | DocumentError = load_document(path, corpus, max_bytes=1_000_000)
        except DocumentError as exc:
            outcome = exc
        except Exception as exc:
            pytest.fail(f"{path.name}: {type(exc).__name__} escaped: {exc}")
        expected = junk[path.name][1]
        if expected == LOADS:
            assert isinstance(outcome, Document) and outcome.text.strip(), (path.name, outcome)
        else:
            assert isinstance(outcome, DocumentError), (path.name, outcome)
            assert expected in str(outcome) and "\n" not in str(outcome), (path.name, outcome)


_VALID_PDF = _pdf_bytes(["Fuzzed page one.", "Fuzzed page two."])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    suffix=st.sampled_from(SUPPORTED_SUFFIXES),
    prefix=st.sampled_from([b"", b"%PDF-1.4\n", b"---\n", b"<html><body>", b"\xff\xfe"]),
    body=st.binary(max_size=3000),
    flips=st.lists(st.tuples(st.integers(0, len(_VALID_PDF) - 1), st.integers(0, 255)), max_size=8),
    cut=st.integers(0, len(_VALID_PDF)),
)
def test_fuzzed_bytes_give_a_document_or_a_document_error(
    suffix: str, prefix: bytes, body: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    damaged = bytearray(_VALID_PDF)
    for at, value in flips:
        damaged[at] = value
    for name, data in ((f"f{suffix}", prefix + body), ("damaged.pdf", bytes(damaged[:cut]))):
        with tempfile.TemporaryDirectory() as folder:
            corpus = Path(folder)
            (corpus / name).write_bytes(data)
            try:
                assert isinstance(load_document(corpus / name, corpus), Document)
            except DocumentError as exc:
                assert "\n" not in str(exc)


# --- the whole mess through `c5qa index --json`: good files indexed, each bad one on one line ----


def test_index_run_over_every_sample_and_junk_reports_each_failure(tmp_path: Path) -> None:
    """Writes the outcome table to test-artifacts/bad-documents.md."""
    samples = shared_path("pdf-samples")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (tmp_path / "outside.txt").write_text("Outside.")
    expected: dict[str, str] = {}
    facts = {
        Path(e["path"]).name: e for e in json.loads((samples / "files.json").read_text())["data"]
    }
    # #20: the image-only samples are read by OCR (a photo, a 4x4 pixel image: no text in
    # them), or the reason says what to install for it.
    scanned = "OCR needs" if Ocr.missing() else "an image-only PDF in which OCR found no text"
    for pdf in sorted(samples.glob("*.pdf")):
        shutil.copy(pdf, corpus / pdf.name)
        encrypted = facts[pdf.name]["encrypted"]
        no_text = pdf.name in NO_TEXT_LAYER
        expected[pdf.name] = "encrypted" if encrypted else scanned if no_text else LOADS
    for name, (build, outcome) in _junk().items():
        if name == "big.txt":  # made for a 1 MB limit; the 200 MB file below meets the default
            continue
        build(corpus / f"junk-{name}")
        expected[f"junk-{name}"] = outcome
    with (corpus / "huge-200mb.txt").open("wb") as fh:  # sparse: 200 MB on paper, no disk
        fh.truncate(200_000_000)
    expected["huge-200mb.txt"] = "too large"
    run = subprocess.run(
        [
            *(sys.executable, "-m", "c5qa", "index", "--json"),
            *("--corpus", str(corpus), "--index", str(tmp_path / "index")),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "C5QA_MAX_FILE_MB": "50"},
        timeout=900,
    )
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-2000:]
    report = json.loads(run.stdout)
    failed = {f["source"]: f["error"] for f in report["failed"]}
    rows = []
    for name, outcome in sorted(expected.items()):
        got = f"skipped: {failed[name]}" if name in failed else "indexed"
        rows.append(f"| `{name}` | {got} |")
        if outcome == LOADS:
            assert name not in failed, (name, failed.get(name))
        else:
            assert outcome in failed.get(name, ""), (name, failed.get(name))
            assert "\n" not in failed[name]  # one report line
    loads = sum(outcome == LOADS for outcome in expected.values())
    assert report["documents"] == loads and len(failed) == len(expected) - loads
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "bad-documents.md").write_text(
        "| file | outcome |\n|---|---|\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
