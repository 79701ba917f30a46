from pathlib import Path

import pytest

from c5qa.app.upload import safe_filename, save_upload


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("statement.pdf", "statement.pdf"),
        ("Draft Statement.DOCX", "Draft Statement.docx"),  # #20: Word files upload too
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/abs/path/x.md", "x.md"),
        ("C:\\Users\\me\\doc.html", "doc.html"),
        ("nul\x00byte.txt", "nulbyte.txt"),
        ("..", None),
        ("script.sh", None),
        (".txt", None),
        ("a<b>|c?.TXT", "a_b__c.txt"),
        ("x" * 500 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_safe_filename(name: str, expected: str | None) -> None:
    assert safe_filename(name) == expected


def test_save_never_overwrites(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text("original")
    source = tmp_path / "upload"
    source.write_text("different")
    saved = save_upload(source, "note.txt", corpus)
    assert saved.name == "note-2.txt" and "saved as note-2.txt" in saved.note
    assert (corpus / "note.txt").read_text() == "original"
    same = tmp_path / "same"
    same.write_text("original")
    assert "identical" in save_upload(same, "note.txt", corpus).note
    refused = save_upload(source, "../../escape.sh", corpus)
    assert refused.name == "" and refused.note.startswith("refused")
    assert sorted(p.name for p in corpus.iterdir()) == ["note-2.txt", "note.txt"]
