"""Stage 1: files in the corpus become ``Document`` objects with metadata and full text.

Every loader returns the text that all later offsets refer to, so a citation's ``start``/``end``
always points into exactly what was extracted here. A file that cannot be read raises
``DocumentError`` with a one-line reason that the index report shows to the user.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".html", ".htm")


class DocumentError(Exception):
    """A file that cannot become a document; the message is shown to users as is."""


@dataclass(frozen=True)
class Document:
    source: str  # corpus-relative POSIX path: the document's identity
    text: str
    title: str
    date: str = ""  # "YYYY-MM-DD", "YYYY-MM" or "" when unknown
    publisher: str = ""
    url: str = ""
    kind: str = ""
    note: str = ""
    partial: bool = False
    sha256: str = ""
    # Start offset in ``text`` of each PDF page; empty for formats without pages.
    pages: tuple[int, ...] = ()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(corpus_dir: Path) -> list[Path]:
    """Supported files below ``corpus_dir`` in a stable order; hidden files are ignored."""
    found = []
    for path in corpus_dir.rglob("*"):
        rel = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() in SUPPORTED_SUFFIXES and (path.is_file() or path.is_dir()):
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(corpus_dir).as_posix())


def normalise_date(value: object) -> str:
    """Dates as the corpus writes them: full ``YYYY-MM-DD`` or month-only ``YYYY-MM``."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    match = re.match(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", text)
    if not match:
        match = re.match(r"^(\d{4})$", text)
        return match.group(1) if match else ""
    year, month, day = match.groups()
    if day:
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return f"{year}-{int(month):02d}"


def title_from_filename(path: Path) -> str:
    stem = re.sub(r"^\d{4}(-\d{2}){0,2}_", "", path.stem)
    return re.sub(r"[-_]+", " ", stem).strip().capitalize() or path.name


def decode_text(data: bytes) -> str:
    """Decode bytes that claim to be text: UTF-8 (with or without BOM), UTF-16 with BOM, else
    Latin-1 — but only when the result still looks like text, so binary junk is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if text and controls / len(text) > 0.01:
        raise DocumentError("unreadable: binary content, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)


def split_front_matter(text: str) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1) or "") or {}
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "parse error"
        raise DocumentError(f"front matter is not valid YAML: {first}") from exc
    if not isinstance(meta, dict):
        raise DocumentError("front matter is not a YAML mapping")
    return meta, text[match.end() :]


def _metadata(meta: dict, path: Path) -> dict:
    def text(key: str) -> str:
        value = meta.get(key)
        return "" if value is None else str(value).strip()

    partial = meta.get("partial", False)
    return {
        "title": text("title") or title_from_filename(path),
        "date": normalise_date(meta.get("date")),
        "publisher": text("publisher"),
        "url": text("url"),
        "kind": text("kind"),
        "note": text("note"),
        "partial": partial is True or str(partial).lower() in {"true", "yes", "1"},
    }


def load_text(path: Path, source: str, sha256: str) -> Document:
    meta, body = split_front_matter(decode_text(path.read_bytes()))
    return Document(source=source, text=body, sha256=sha256, **_metadata(meta, path))


def _pdf_date(value: str | None) -> str:
    match = re.match(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?", value or "")
    if not match:
        return ""
    return normalise_date("-".join(part for part in match.groups() if part))


def load_pdf(path: Path, source: str, sha256: str) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError("encrypted: the PDF needs a password")
        pages: list[int] = []
        parts: list[str] = []
        offset = 0
        for page in reader.pages:
            page_text = (page.extract_text() or "").replace("\r\n", "\n").strip()
            pages.append(offset)
            parts.append(page_text)
            offset += len(page_text) + 2
    except DocumentError:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise DocumentError(f"unreadable PDF: {exc}") from exc
    text = "\n\n".join(parts)
    if not text.strip():
        raise DocumentError("no text layer (scanned? needs OCR)")
    title = date = ""
    try:
        info = reader.metadata
        if info is not None:
            title = (info.title or "").strip()
            date = _pdf_date(info.get("/CreationDate"))
    except Exception:
        title = date = ""
    return Document(
        source=source,
        text=text,
        title=title or title_from_filename(path),
        date=date,
        sha256=sha256,
        pages=tuple(pages),
    )


_BLOCK_TAGS = [
    "address",
    "article",
    "aside",
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
]
_INVISIBLE_TAGS = ["script", "style", "noscript", "template", "head", "svg", "iframe", "object"]
_DATE_META = ("article:published_time", "date", "dc.date", "dcterms.date", "citation_date")


def load_html(path: Path, source: str, sha256: str) -> Document:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(path.read_bytes()), "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    date = ""
    for tag in soup.find_all("meta"):
        key = (tag.get("property") or tag.get("name") or "").lower()
        if key in _DATE_META and not date:
            date = normalise_date(tag.get("content"))
    for tag in soup.find_all(_INVISIBLE_TAGS):
        tag.decompose()
    for tag in soup.find_all("br"):
        tag.replace_with("\n")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    raw = soup.get_text()
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in raw.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not text:
        raise DocumentError("no visible text in the HTML")
    return Document(
        source=source,
        text=text,
        title=title or title_from_filename(path),
        date=date,
        sha256=sha256,
    )


_LOADERS: dict[str, Callable[[Path, str, str], Document]] = {
    ".txt": load_text,
    ".md": load_text,
    ".pdf": load_pdf,
    ".html": load_html,
    ".htm": load_html,
}


def load_document(path: Path, corpus_dir: Path, max_bytes: int | None = None) -> Document:
    """Load any supported file; every failure becomes a ``DocumentError`` with a short reason."""
    source = path.relative_to(corpus_dir).as_posix()
    loader = _LOADERS.get(path.suffix.lower())
    if loader is None:
        raise DocumentError(f"unsupported file type {path.suffix!r}")
    if not path.is_file():
        raise DocumentError("not a regular file")
    if max_bytes is not None and path.stat().st_size > max_bytes:
        raise DocumentError(f"too large: over the {max_bytes / 1e6:.0f} MB limit")
    try:
        document = loader(path, source, file_sha256(path))
    except DocumentError:
        raise
    except (OSError, UnicodeError, RecursionError) as exc:
        raise DocumentError(f"unreadable: {exc}") from exc
    if not document.text.strip():
        raise DocumentError("empty: no text to index")
    return document
