"""Stage 1: files in the corpus become ``Document`` objects with metadata and full text.

Every loader returns the text that all later offsets refer to, so a citation's ``start``/``end``
always points into exactly what was extracted here. A file that cannot be read raises
``DocumentError`` with a one-line reason that the index report shows to the user.

Corpus folders hold whatever people drop into them, so every file is untrusted: size and location
are checked before a byte is read, nothing walks the input's structure recursively, and
``load_document`` turns any failure (parser bugs included) into a ``DocumentError``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import logging
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from c5qa.ingest.blocks import (
    BOILERPLATE,
    CAPTION,
    HEADING,
    LIST_ITEM,
    PARAGRAPH,
    Block,
    classify_text,
    merge,
)
from c5qa.ingest.ocr import Ocr

if TYPE_CHECKING:  # imported where used: most corpora need only one of them
    from bs4 import PageElement
    from pypdf import PageObject, PdfReader

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".html", ".htm", ".docx")

# pypdf logs each repair it attempts ("EOF marker not found", ...). Without a handler of its own
# these reach stderr through logging's last resort and bury the index report; they still
# propagate to whatever logging the application configures.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


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
    # What each stretch of ``text`` is (heading, paragraph, list item, caption, boilerplate), so
    # answers can leave out what is not the document's own statement; () when not recorded.
    blocks: tuple[Block, ...] = ()
    # What loading left out of the file's metadata, and why (front matter that is not YAML, a
    # date that is no date): the text is indexed all the same, and the index report says so.
    ignored: tuple[str, ...] = ()
    # The PDF pages (1-based) whose text was read by OCR from the page's image.
    ocr_pages: tuple[int, ...] = ()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(corpus_dir: Path) -> list[Path]:
    """Supported files below ``corpus_dir`` in a stable order; hidden files are ignored.

    Symlinked directories are listed but never entered, so a link cannot pull in files from
    outside the corpus or send the walk round a cycle. Anything with a supported suffix is
    listed, even a directory or a broken link, so that ``load_document`` can tell the user why
    it was not indexed instead of it silently going missing.
    """
    found = []
    for folder, dirnames, filenames in os.walk(corpus_dir):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        for name in [*dirnames, *filenames]:
            if not name.startswith(".") and Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(Path(folder, name))
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
    try:  # a month 13 or a 30 February is no date
        dt.date(int(year), int(month), int(day or 1))
    except ValueError:
        return ""
    if day:
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return f"{year}-{int(month):02d}"


def title_from_filename(path: Path) -> str:
    stem = re.sub(r"^\d{4}(-\d{2}){0,2}_", "", path.stem)
    return re.sub(r"[-_]+", " ", stem).strip().capitalize() or path.name


def _one_line(exc: BaseException, limit: int = 120) -> str:
    """An exception as a short single line: the report has one line per failed file."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def decode_text(data: bytes) -> str:
    """Decode bytes that claim to be text: UTF-8 (with or without BOM), UTF-16 with BOM, else
    Windows-1252 (what browsers read "Latin-1" as: the same letters, plus the curly quotes and
    dashes that Windows editors put in 0x80-0x9F) or Latin-1 — but only when the result still
    looks like text, so binary junk is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if text and controls / len(text) > 0.01:
        raise DocumentError("unreadable: binary content, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML as front matter is read: dates stay text (``normalise_date`` reads them), since
    PyYAML's own dates raise on "2023-13-01" and would cost the whole front matter."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def split_front_matter(text: str) -> tuple[dict, str]:
    """Front matter that is not valid YAML is refused rather than loaded without metadata: the
    metadata (date, partial, url) drives filtering and citations, so silently dropping it would
    index the file as something it is not; the reason tells the user which file to fix."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.load(match.group(1) or "", Loader=_FrontMatterLoader) or {}  # a SafeLoader
    except yaml.YAMLError as exc:
        raise DocumentError(f"front matter is not valid YAML: {_one_line(exc)}") from exc
    except RecursionError as exc:  # PyYAML's composer recurses once per nesting level
        raise DocumentError("front matter is not valid YAML: nested too deeply") from exc
    if not isinstance(meta, dict):
        raise DocumentError("front matter is not a YAML mapping")
    return meta, text[match.end() :]


def read_front_matter(text: str) -> tuple[dict, str, str]:
    """The metadata, the body, and why the front matter was ignored ("" when it was not): one
    typo in it must not lose the document's text, so front matter that ``split_front_matter``
    refuses is set aside whole (the file name becomes the title) and the reason kept for the
    index report."""
    match = _FRONT_MATTER.match(text)
    try:
        meta, body = split_front_matter(text)
    except DocumentError as exc:
        assert match is not None  # only front matter is refused
        return {}, text[match.end() :], f"front matter ignored: {exc}"
    return meta, body, ""


def _clean(value: str) -> str:
    """Metadata is shown on one line, so control characters (PDF titles end in NUL) and runs of
    whitespace go."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", value).split())


def _scalar(value: object) -> str | int | float | dt.date | None:
    """Only scalars are read from front matter: a list or mapping where a date or title belongs
    is a mistake, and ``str()`` of a YAML alias bomb would never finish."""
    return value if isinstance(value, (str, int, float, dt.date)) else None


def _metadata(meta: dict, path: Path) -> dict:
    def text(key: str) -> str:
        value = _scalar(meta.get(key))
        return "" if value is None else _clean(str(value))

    partial = _scalar(meta.get("partial"))
    return {
        "title": text("title") or title_from_filename(path),
        "date": normalise_date(_scalar(meta.get("date"))),
        "publisher": text("publisher"),
        "url": text("url"),
        "kind": text("kind"),
        "note": text("note"),
        "partial": partial is True or str(partial).lower() in {"true", "yes", "1"},
    }


def _ignored_date(meta: dict) -> str:
    """Why the front matter's date was left out ("" when it was read or there is none). A
    list or mapping is not shown: ``str()`` of a YAML alias bomb would never finish."""
    raw = meta.get("date")
    if raw is None or raw == "":
        return ""
    value = _scalar(raw)
    if value is not None and normalise_date(value):
        return ""
    shown = repr(str(value)[:40]) if value is not None else "(a list or mapping)"
    return f"date {shown} ignored: not a date (YYYY, YYYY-MM or YYYY-MM-DD)"


def load_text(data: bytes, path: Path, source: str) -> Document:
    meta, body, problem = read_front_matter(decode_text(data))
    metadata = _metadata(meta, path)
    blocks = classify_text(body, metadata["title"])
    ignored = tuple(x for x in (problem, _ignored_date(meta)) if x)
    return Document(source=source, text=body, blocks=blocks, ignored=ignored, **metadata)


def _pdf_date(value: object) -> str:
    match = re.match(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?", value if isinstance(value, str) else "")
    if not match:
        return ""
    return normalise_date("-".join(part for part in match.groups() if part))


def _not_a_pdf(data: bytes) -> str:
    head = data[:1024].lstrip().lower()
    if head.startswith(b"<") and (b"<html" in head or b"<!doctype" in head):
        return "unreadable: not a PDF (the file is HTML)"
    return "unreadable: not a PDF (no %PDF header)"


def _pdf_pages(reader: PdfReader) -> tuple[list[PageObject], bool]:
    """The pages in reading order, and whether they had to be recovered without a page tree."""
    try:
        pages = list(reader.pages)
        if pages:
            return pages, False
    except Exception:  # a broken page tree: look for the pages themselves
        pass
    return _scan_for_pages(reader), True


def _scan_for_pages(reader: PdfReader) -> list[PageObject]:
    """A file cut short can lose its page tree while page objects survive (the linearised
    ``unreadablemetadata.pdf`` sample is one). Every object that says it is a page is taken,
    in file order, which is reading order for the producers we have seen."""
    from pypdf import PageObject
    from pypdf.generic import DictionaryObject, IndirectObject

    positions = {}  # (number, generation) -> where the object sits: (file offset, index)
    for gen, table in reader.xref.items():
        positions.update({(num, gen): (offset, 0) for num, offset in table.items()})
    for num, (stream, index) in reader.xref_objStm.items():  # objects packed in a stream
        positions[(num, 0)] = (positions.get((stream, 0), (0, 0))[0], index + 1)
    found = []
    for (num, gen), position in positions.items():
        ref = IndirectObject(num, gen, reader)
        try:
            obj = ref.get_object()
        except Exception:  # a damaged object is simply not a page we can use
            continue
        if isinstance(obj, DictionaryObject) and obj.get("/Type") == "/Page":
            page = PageObject(reader, ref)
            page.update(obj)
            found.append((position, page))
    return [page for _, page in sorted(found, key=lambda item: item[0])]


def _page_text(page: PageObject) -> str:
    text = (page.extract_text() or "").replace("\r\n", "\n").replace("\x00", "").strip()
    # Glyphs whose font lost its Unicode map come out as U+FFFD: such a page has no usable text.
    if text.count("\ufffd") * 2 > len(text) - text.count(" ") - text.count("\n"):
        raise ValueError("text is undecodable (fonts without a Unicode map)")
    return text


def _pdf_metadata(reader: PdfReader) -> tuple[str, str]:
    """Title and date from the document information; unreadable metadata just means none."""
    try:
        info = reader.metadata
        title, created = (info.title, info.get("/CreationDate")) if info else (None, None)
    except Exception:
        return "", ""
    title = _clean(title) if isinstance(title, str) else ""
    if title.lower() in {"untitled", "unknown"}:  # producers' placeholders, not titles
        title = ""
    return title, _pdf_date(created)


def _read_by_ocr(data: bytes, parts: list[str], ocr: Ocr | None) -> tuple[int, ...]:
    """Fill the pages without text from OCR, where it is available; the pages it filled."""
    empty = [i for i, text in enumerate(parts) if not text.strip()]
    if not empty or ocr is None or ocr.missing():
        return ()
    read = ocr.pages(data)
    filled = [i for i in empty if i < len(read) and read[i]]
    for i in filled:
        parts[i] = read[i]
    return tuple(i + 1 for i in filled)


def _no_text(failures: list[str], ocr: Ocr | None) -> DocumentError:
    """Why a PDF yields no text at all."""
    if failures:
        return DocumentError(f"unreadable: no page could be extracted ({failures[0]})")
    if ocr is None:
        return DocumentError("no text layer (scanned? needs OCR)")
    if ocr.missing():
        return DocumentError(f"no text layer (scanned? OCR needs: {ocr.missing()})")
    return DocumentError("no text: an image-only PDF in which OCR found no text")


def load_pdf(data: bytes, path: Path, source: str, ocr: Ocr | None = None) -> Document:
    """A page that fails to extract costs only that page (the document is marked partial);
    pages without a text layer are read by ``ocr`` when given; the file is refused only when
    no page yields text."""
    from pypdf import PdfReader

    if b"%PDF-" not in data[:1024]:
        raise DocumentError(_not_a_pdf(data))
    try:
        reader = PdfReader(io.BytesIO(data))
    except Exception as exc:
        raise DocumentError(f"unreadable: damaged PDF ({_one_line(exc)})") from exc
    if reader.is_encrypted:  # many are locked only against editing, with an empty password
        try:
            opened = reader.decrypt("")
        except Exception as exc:  # e.g. an algorithm pypdf cannot handle without extras
            raise DocumentError(f"encrypted: cannot decrypt ({_one_line(exc)})") from exc
        if not opened:
            raise DocumentError("encrypted: the PDF needs a password")
    pages, recovered = _pdf_pages(reader)
    if not pages:
        raise DocumentError("unreadable: damaged PDF (no pages found)")
    texts: list[str] = []
    failures: list[str] = []
    for number, page in enumerate(pages, 1):
        try:
            texts.append(_page_text(page))
        except Exception as exc:
            texts.append("")
            failures.append(f"page {number}: {_one_line(exc)}")
    read_by_ocr = _read_by_ocr(data, texts, ocr)
    text, starts = _joined(texts)
    if not text.strip():
        raise _no_text(failures, ocr)
    title, date = _pdf_metadata(reader)
    title = title or title_from_filename(path)
    return Document(
        source=source,
        text=text,
        title=title,
        date=date,
        partial=recovered or bool(failures),
        pages=tuple(starts),
        blocks=classify_text(text, title),
        ocr_pages=read_by_ocr,
    )


def _joined(texts: list[str]) -> tuple[str, list[int]]:
    """The pages' text as one, joined by ``page_separator``, and where each page starts."""
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for page_text in texts:
        if parts:
            separator = page_separator(parts[-1], page_text)
            parts.append(separator)
            offset += len(separator)
        starts.append(offset)
        parts.append(page_text)
        offset += len(page_text)
    return "".join(parts), starts


# A page that stops mid-sentence (no closing punctuation) and a next page that goes on in
# lower case: one sentence runs across the page break, and is quoted whole (#17: a quote
# crossing a page is highlighted on both pages).
_ENDS_SENTENCE = re.compile(r"[.!?:;…\"'”’)\]]$")
_GOES_ON = re.compile(r"[a-z(,;–-]")


def page_separator(before: str, after: str) -> str:
    """What joins two pages' text: a line break where a sentence runs on from ``before`` into
    ``after`` (so the sentence splitter reads it as wrapping), a blank line everywhere else
    (which ends every sentence and block)."""
    runs_on = bool(before) and not _ENDS_SENTENCE.search(before) and _GOES_ON.match(after)
    return "\n" if runs_on else "\n\n"


_BLOCK_TAGS = {
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
}
_INVISIBLE_TAGS = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
_DATE_META = ("article:published_time", "date", "dc.date", "dcterms.date", "citation_date")


def _visible_text(root: PageElement) -> Iterator[str]:
    """The page's visible strings with block breaks, walked with an explicit stack: pages nest
    arbitrarily deep (100,000 ``<div>`` is a valid file) and editing the tree in place, as
    ``insert_before`` does, costs time quadratic in the depth."""
    from bs4 import CData, NavigableString, Tag

    stack: list[PageElement | str] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node.name in _INVISIBLE_TAGS:
                continue
            if node.name == "br":
                yield "\n"
            elif node.name in _BLOCK_TAGS:
                yield "\n\n"
                stack.append("\n\n")  # a plain str: emitted once the block's content is done
            stack.extend(reversed(node.contents))
        elif type(node) in (str, NavigableString, CData):  # not comments, doctypes, scripts
            yield str(node)


# Elements whose kind the markup states; the outermost one decides (an ``li`` in a ``nav`` is
# navigation, not a list item of the page).
_TAG_KINDS = {
    **dict.fromkeys(("h1", "h2", "h3", "h4", "h5", "h6"), HEADING),
    "li": LIST_ITEM,
    "figcaption": CAPTION,
    "footer": BOILERPLATE,
    "nav": BOILERPLATE,
}
_CLOSE = object()  # on the walk's stack: the labelled element being read is done
MAX_TAGGED_ELEMENTS = 20_000  # beyond this the text's own structure has to do


def _tagged_pieces(root: PageElement) -> list[tuple[str, str]]:
    """The page's visible words in order, as (kind, words) pieces: the words of each outermost
    labelled element (kind from ``_TAG_KINDS``) and of the stretches between them (kind "").
    One walk with an explicit stack, like ``_visible_text``, so deep pages cost linear time."""
    from bs4 import CData, NavigableString, Tag

    pieces: list[tuple[str, str]] = []
    words: list[str] = []
    kind = ""
    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        if node is _CLOSE:
            pieces.append((kind, "".join(words)))
            words, kind = [], ""
        elif isinstance(node, Tag):
            if node.name in _INVISIBLE_TAGS:
                continue
            if node.name in _TAG_KINDS and not kind:
                pieces.append((kind, "".join(words)))
                words, kind = [], _TAG_KINDS[node.name]
                stack.append(_CLOSE)
            if node.name == "br" or node.name in _BLOCK_TAGS:
                words.append(" ")  # what separates text in the page separates words here
            stack.extend(reversed(node.contents))
        elif type(node) in (str, NavigableString, CData):
            words.append(str(node))
    pieces.append((kind, "".join(words)))
    return [(k, " ".join(w.split())) for k, w in pieces if w.strip()]


def _html_blocks(text: str, pieces: list[tuple[str, str]]) -> tuple[Block, ...]:
    """Find each piece's words, in order, in the loader's normalised ``text`` (whitespace is all
    that differs); the labelled ones become blocks. A piece not found is skipped."""
    if sum(1 for kind, _ in pieces if kind) > MAX_TAGGED_ELEMENTS:
        return ()
    blocks, cursor = [], 0
    for kind, words in pieces:
        pattern = r"\s+".join(re.escape(word) for word in words.split())
        match = re.compile(pattern).search(text, cursor)
        if match is None:
            continue
        cursor = match.end()
        if kind:
            blocks.append(Block(match.start(), match.end(), kind))
    return tuple(blocks)


def load_html(data: bytes, path: Path, source: str) -> Document:
    from bs4 import BeautifulSoup

    markup = decode_text(data)
    try:
        soup = BeautifulSoup(markup, "html.parser")
        title = _clean(soup.title.get_text(" ")) if soup.title else ""
        date = ""
        for tag in soup.find_all("meta"):
            key = str(tag.get("property") or tag.get("name") or "").lower()
            if key in _DATE_META and not date:
                date = normalise_date(str(tag.get("content") or ""))
        raw = "".join(_visible_text(soup))
        pieces = _tagged_pieces(soup)
    except Exception as exc:
        raise DocumentError(f"unreadable: malformed HTML ({_one_line(exc)})") from exc
    raw = re.sub(r"\n{3,}", "\n\n", raw)  # deep nesting leaves a break per level
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in raw.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not text:
        raise DocumentError("empty: no visible text in the HTML")
    title = title or title_from_filename(path)
    blocks = merge(_html_blocks(text, pieces), classify_text(text, title))
    return Document(source=source, text=text, title=title, date=date, blocks=blocks)


def _docx_pieces(data: bytes) -> tuple[list[tuple[str, str]], object]:
    """A Word file's paragraphs and table rows in reading order, each with its block kind
    (a heading or a list item by its style, a row's cells joined by " | "), and its core
    properties."""
    import docx

    word = docx.Document(io.BytesIO(data))
    pieces: list[tuple[str, str]] = []
    for item in word.iter_inner_content():
        if isinstance(item, docx.table.Table):
            for row in item.rows:
                cells = [" ".join(c.text.split()) for c in row.cells]
                pieces.append((PARAGRAPH, " | ".join(dict.fromkeys(c for c in cells if c))))
            continue
        style = (item.style.name if item.style is not None else "").lower()
        kind = HEADING if style.startswith(("heading", "title")) else PARAGRAPH
        if style.startswith("list"):  # Word's list styles: "List Paragraph", "List Bullet", …
            kind = LIST_ITEM
        pieces.append((kind, item.text.strip()))
    return [(kind, text) for kind, text in pieces if text], word.core_properties


def load_docx(data: bytes, path: Path, source: str) -> Document:
    """Word files via python-docx: paragraphs, headings and list items as blocks, tables as
    rows, one paragraph each (locations count them); title and date from the core
    properties."""
    if not data.startswith(b"PK"):
        raise DocumentError("unreadable: not a Word file (no zip header)")
    try:
        pieces, properties = _docx_pieces(data)
    except Exception as exc:
        raise DocumentError(f"unreadable: damaged Word file ({_one_line(exc)})") from exc
    blocks, parts, offset = [], [], 0
    for kind, text in pieces:
        blocks.append(Block(offset, offset + len(text), kind))
        parts.append(text)
        offset += len(text) + 2
    text = "\n\n".join(parts)
    title = _clean(properties.title or "") or title_from_filename(path)  # type: ignore[attr-defined]
    when = properties.created or properties.modified  # type: ignore[attr-defined]
    return Document(
        source=source,
        text=text,
        title=title,
        date=normalise_date(when),
        # Headings and list items as Word marks them; a paragraph's kind (a caption, a
        # dateline, boilerplate) is read from its text, as for a plain text file.
        blocks=merge(tuple(b for b in blocks if b.kind != PARAGRAPH), classify_text(text, title)),
    )


_LOADERS: dict[str, Callable[[bytes, Path, str], Document]] = {
    ".docx": load_docx,
    ".txt": load_text,
    ".md": load_text,
    ".pdf": load_pdf,
    ".html": load_html,
    ".htm": load_html,
}


def _check_file(path: Path, corpus_dir: Path, max_bytes: int | None) -> None:
    """Refuse what must not be read at all, before reading it. Symlinks inside the
    corpus are fine, but one that leads out of it would index (and quote) a file the user
    never put in the corpus."""
    try:
        inside = path.resolve().is_relative_to(corpus_dir.resolve())
    except RuntimeError as exc:  # how Python before 3.13 reports a symlink loop
        raise DocumentError("unreadable: symbolic link loop") from exc
    except OSError as exc:
        raise DocumentError(f"unreadable: {exc.strerror or _one_line(exc)}") from exc
    if not inside:
        raise DocumentError("outside corpus: a link to a file outside the corpus folder")
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        raise DocumentError("not a regular file: a broken link") from exc
    except OSError as exc:
        raise DocumentError(f"unreadable: {exc.strerror or _one_line(exc)}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise DocumentError("not a regular file")
    if max_bytes is not None and info.st_size > max_bytes:
        raise DocumentError(f"too large: {_size(info.st_size)}, over the {_size(max_bytes)} limit")
    if info.st_size == 0:
        raise DocumentError("empty: the file is 0 bytes")


def load_document(
    path: Path, corpus_dir: Path, max_bytes: int | None = None, ocr: Ocr | None = None
) -> Document:
    """Load any supported file; every failure becomes a ``DocumentError`` with a short reason.
    ``ocr`` reads a PDF's pages that have no text layer.

    The file is read once, so the text and its ``sha256`` always describe the same bytes even
    if the file changes meanwhile.
    """
    try:
        source = path.relative_to(corpus_dir).as_posix()
    except ValueError as exc:
        raise DocumentError("outside corpus: the path is not below the corpus folder") from exc
    loader = _LOADERS.get(path.suffix.lower())
    if loader is None:
        raise DocumentError(f"unsupported file type {path.suffix!r}")
    _check_file(path, corpus_dir, max_bytes)
    try:
        with path.open("rb") as fh:
            data = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
        if max_bytes is not None and len(data) > max_bytes:
            raise DocumentError(f"too large: over the {_size(max_bytes)} limit")
        document = (
            load_pdf(data, path, source, ocr) if loader is load_pdf else loader(data, path, source)
        )
    except DocumentError:
        raise
    except OSError as exc:
        raise DocumentError(f"unreadable: {exc.strerror or _one_line(exc)}") from exc
    except Exception as exc:  # a parser bug on odd input must not stop the whole build
        raise DocumentError(f"unreadable: {type(exc).__name__}: {_one_line(exc)}") from exc
    if not document.text.strip():
        raise DocumentError("empty: no text to index")
    return dataclasses.replace(document, sha256=hashlib.sha256(data).hexdigest())
