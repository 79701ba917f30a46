"""Files from a browser become corpus files, under names that cannot escape ``corpus/``.

The client's file name is untrusted: only its last path component survives, reduced to safe
characters, with a supported suffix; an existing file is never overwritten — the upload gets a
numbered name and the result says so.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from c5qa.ingest.documents import SUPPORTED_SUFFIXES, file_sha256

MAX_NAME = 120


@dataclass(frozen=True)
class Saved:
    original: str
    name: str  # corpus-relative name it was saved under ("" when refused)
    note: str  # why it was renamed or refused; "" when saved as named


def safe_filename(name: str) -> str | None:
    """A plain file name for ``name`` with a supported suffix, or None when nothing is left."""
    base = re.split(r"[\\/]", name.replace("\x00", ""))[-1]
    base = unicodedata.normalize("NFKC", base)
    base = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in base).strip(" ._")
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in SUPPORTED_SUFFIXES or not stem.strip(" ._"):
        return None
    stem = re.sub(r"\s+", " ", stem)[: MAX_NAME - len(suffix)].strip(" ._")
    return f"{stem}{suffix}" if stem else None


def save_upload(source: Path, original: str, corpus_dir: Path) -> Saved:
    name = safe_filename(original)
    if name is None:
        return Saved(original, "", "refused: not a PDF, .docx, .txt, .md or .html file name")
    target = corpus_dir / name
    note = "" if name == Path(original).name else f"saved as {name}"
    if target.exists():
        if target.is_file() and file_sha256(target) == file_sha256(source):
            return Saved(original, name, "already in the corpus (identical content)")
        stem, suffix = target.stem, target.suffix
        number = 2
        while (corpus_dir / f"{stem}-{number}{suffix}").exists():
            number += 1
        target = corpus_dir / f"{stem}-{number}{suffix}"
        note = f"a different {name} exists: saved as {target.name}"
    if target.resolve().parent != corpus_dir.resolve():
        return Saved(original, "", "refused: unsafe file name")
    try:
        with source.open("rb") as src, target.open("xb") as dst:  # never overwrite
            shutil.copyfileobj(src, dst)
    except FileExistsError:
        return Saved(original, "", f"refused: {target.name} appeared meanwhile; try again")
    return Saved(original, target.name, note)
