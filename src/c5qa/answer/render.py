"""An ``Answer`` as people and programs read it: markdown with ``[n]`` markers (the JSON's
``answer``), escaped chat markdown, terminal text, JSON. The only place answers become text.

Document text and metadata are untrusted: in the chat every piece of them is escaped, and only
the markup written here (bold labels and markers, italic notes) is live.
"""

from __future__ import annotations

import base64
import html
import itertools
import re
from collections.abc import Callable

from c5qa.answer.diff import CLASSES, Compared
from c5qa.answer.reader import Reading
from c5qa.answer.types import Answer, Quote, Section, Written
from c5qa.ingest.pages import PageImage
from c5qa.retrieve.search import Passage

# A URL we link to: http(s), a plain host, and none of the characters that could end a markdown
# link destination or start markup ( ) [ ] < > " ' ` * \ spaces); anything else is shown as text.
_SAFE_URL = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][A-Za-z0-9\-._~/?#%&=+;,:@!$]*)?",
    re.IGNORECASE,
)


def escape_markdown(text: str) -> str:
    """Corpus text and metadata are untrusted: render them as literal text, never as HTML,
    images or links. Gradio's markdown (marked, GFM) also turns bare ``http://``, ``www.`` and
    e-mail addresses into live links, so those are broken with escapes that render invisibly."""
    text = html.escape(text, quote=False)
    text = re.sub(r"([\\`*_\[\]<>#|~!@])", r"\\\1", text)
    text = re.sub(r":(?=//)", r"\\:", text)
    return re.sub(r"(?i)(www)\.", r"\1\\.", text)


def safe_link(url: str) -> str:
    """A metadata URL for the chat: a link only when it is a plain http(s) URL (a
    ``javascript:`` or ``data:`` URL, or one that could break out of the link, is shown as
    escaped text and not linked)."""
    if _SAFE_URL.fullmatch(url):
        return f"[{escape_markdown(url)}]({url})"
    return escape_markdown(url)


def _plain(text: str) -> str:
    return text


class _Style:
    """How the pieces of an answer are written: verbatim (``markdown``) or escaped for the
    chat (``chat_markdown``), where markers are bold too."""

    def __init__(self, chat: bool) -> None:
        self.text: Callable[[str], str] = escape_markdown if chat else _plain
        self.chat = chat

    def marker(self, n: int) -> str:
        return f"**[{n}]**" if self.chat else f"[{n}]"

    def quote(self, quote: Quote) -> str:
        return f"{self.text(quote.text)} {self.marker(quote.n)}"


def _note(section: Section, passages: tuple[Passage, ...], style: _Style) -> str:
    if not section.closest:
        return style.text(section.note)
    near = passages[section.closest - 1]
    return (
        f"{style.text(section.note)} (closest: {style.text(near.title)}, "
        f"{style.text(near.location)} {style.marker(section.closest)})."
    )


def _section(section: Section, passages: tuple[Passage, ...], style: _Style) -> str:
    if section.bulleted:
        return "\n".join(f"- {style.quote(q)}" for q in section.quotes)
    inline = [] if section.itemised else [p for p in section.parts if not p.bulleted]
    pieces = [style.quote(q) for q in section.quotes]
    pieces += [_section(part, passages, style) for part in inline]
    body = " ".join(pieces) if pieces else _note(section, passages, style)
    # A list's items follow its lead-in, one per line; so do a diff's topics, each a bullet.
    body += "".join(
        f"\n{_section(part, passages, style)}" for part in section.parts if part.bulleted
    )
    if section.itemised:
        body = "".join(f"\n- {_section(part, passages, style)}" for part in section.parts)
    space = "" if body.startswith("\n") else " "
    if section.caption:
        return f"**{style.text(section.label)}** ({style.text(section.caption)}):{space}{body}"
    return f"**{style.text(section.label)}:**{space}{body}" if section.label else body


def _lead(answer: Answer, style: _Style) -> str:
    if answer.verdict == "yes":
        return "**Yes.**" + (f" {style.text(answer.lead)}" if answer.lead else "")
    if answer.verdict == "no":
        return "**No**" + (f" — {style.text(answer.lead)}" if answer.lead else "")
    return style.text(answer.lead)


def _paragraphs(answer: Answer, style: _Style) -> list[str]:
    if any(w.verified for w in answer.written):  # a written answer stands in for the quotes
        paragraphs = [" ".join(_sentence(w, style) for w in answer.written if w.verified)]
    else:
        leads = answer.lead or answer.verdict in ("yes", "no")
        paragraphs = [_lead(answer, style)] if leads else []
        paragraphs += [_section(s, answer.passages, style) for s in answer.sections]
    paragraphs += [f"*{style.text(note)}*" for note in answer.notes]
    unsupported = [w for w in answer.written if not w.verified]
    if unsupported:
        paragraphs.append(_unsupported(unsupported, style))
    return paragraphs


def _sentence(written: Written, style: _Style) -> str:
    markers = " ".join(style.marker(n) for n in written.cites)
    return f"{style.text(written.text)} {markers}".strip()


def _unsupported(sentences: list[Written], style: _Style) -> str:
    """What the model wrote that its sources do not back: apart, each with why (folded in the
    chat, so that a reader sees it only by asking to)."""
    heading = f"Not supported by the sources ({len(sentences)})"
    items = "\n".join(f"- {_sentence(w, style)} — {style.text(w.reason)}" for w in sentences)
    return _folded(_entities(heading), items) if style.chat else f"{heading}:\n{items}"


def markdown(answer: Answer) -> str:
    """The answer with ``[n]`` markers, quotes verbatim: ``ask --json``'s ``answer``."""
    return "\n\n".join(_paragraphs(answer, _Style(chat=False)))


def chat_markdown(answer: Answer, before: str = "") -> str:
    """The answer for the chat: document text escaped, markers and labels bold; ``before``
    (markdown of ours, such as which filters applied) comes first."""
    body = "\n\n".join(_paragraphs(answer, _Style(chat=True)))
    return f"{before}\n\n{body}" if before else body


def source_card(answer: Answer, n: int) -> str:
    """Passage ``n``'s card, markdown: its publisher, date and location, the partial-text
    warning, the passage with the quoted sentences in bold, URL and file."""
    passage = answer.passages[n - 1]
    quoted = sorted(
        (c.start - passage.start, c.end - passage.start) for c in answer.citations if c.n == n
    )
    meta = " · ".join(x for x in (passage.publisher, passage.date, passage.location) if x)
    lines = [f"*{escape_markdown(meta)}*"] if meta else []
    if passage.partial:
        lines.append("*Partial text: the corpus holds only part of this document.*")
    if passage.ocr:
        lines.append("*Text read by OCR from the page's image: check it against the file.*")
    lines.append(_marked(passage.text, quoted))
    if passage.url:
        lines.append(safe_link(passage.url))
    lines.append(escape_markdown(passage.source))
    return "\n\n".join(lines)


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` escaped, with the (sorted) ``spans`` quoted from it in bold."""
    parts, cursor = [], 0
    for start, end in spans:
        parts.append(escape_markdown(text[cursor:start]))
        parts.append("**" + escape_markdown(text[start:end]) + "**")
        cursor = end
    parts.append(escape_markdown(text[cursor:]))
    return "".join(parts)


def source_line(passage: Passage, n: int) -> str:
    """The source's one line under an answer, as plain text: "[n] title (partial text) —
    date · location", a title longer than ``SOURCE_TITLE_CHARS`` cut (its card names it
    whole)."""
    where = " · ".join(x for x in (passage.date, passage.location) if x)
    partial = " (partial text)" if passage.partial else ""
    title = passage.title
    if len(title) > SOURCE_TITLE_CHARS:
        title = title[: SOURCE_TITLE_CHARS - 1] + "…"
    return f"[{n}] {title}{partial}" + (f" — {where}" if where else "")


def terminal(answer: Answer) -> str:
    """The answer and its sources as ``c5qa ask`` prints them."""
    lines = [markdown(answer), "", "Sources:" if not answer.abstained else "Closest material:"]
    for n, p in enumerate(answer.passages, start=1):
        meta = ", ".join(x for x in (p.publisher, p.date, p.location) if x)
        partial = " (partial text)" if p.partial else ""
        lines.append(f"[{n}] {p.title}{partial} — {meta} — {p.source}")
        lines.append("    " + " ".join(p.text.split()))
    return "\n".join(lines)


def passage_json(passage: Passage, n: int) -> dict:
    return {
        "n": n,
        "source": passage.source,
        "title": passage.title,
        "date": passage.date,
        "publisher": passage.publisher,
        "location": passage.location,
        "start": passage.start,
        "end": passage.end,
        "text": passage.text,
        "score": round(float(passage.score), 4),
        "ocr": passage.ocr,  # its text was read by OCR from a page's image
    }


def _section_json(section: Section) -> dict:
    return {
        "label": section.label,
        "note": section.note,
        "closest": section.closest,
        "caption": section.caption,
        "quotes": [
            {"n": q.n, "source": q.source, "start": q.start, "end": q.end, "text": q.text}
            for q in section.quotes
        ],
        "parts": [_section_json(part) for part in section.parts],
        "bulleted": section.bulleted,
        "itemised": section.itemised,
    }


def to_json(answer: Answer) -> dict:
    """``ask --json``: the contract's question, answer, abstained and passages, plus the
    structure (verdict, lead, sections, notes) and, for a written answer, each sentence with
    the passages it cites and whether it was verified."""
    shaped = {
        "question": answer.question,
        "answer": markdown(answer),
        "abstained": answer.abstained,
        "passages": [passage_json(p, n) for n, p in enumerate(answer.passages, start=1)],
        "verdict": answer.verdict,
        "lead": answer.lead,
        "sections": [_section_json(s) for s in answer.sections],
        "notes": list(answer.notes),
    }
    if answer.written:
        shaped["written"] = [
            {"text": w.text, "cites": list(w.cites), "verified": w.verified, "reason": w.reason}
            for w in answer.written
        ]
    return shaped


def diff_columns(compared: Compared) -> tuple[str, ...]:
    """The Compare tab's columns, one per class in ``CLASSES`` order, then the commentary:
    each topic a heading, each quote a fold that opens its passage (the quote in bold, the
    document, date and location under it)."""
    answer = compared.answer
    sections = {s.label.lower(): s for s in answer.sections}
    columns = []
    for name in CLASSES:
        section = sections[name]
        topics = [
            f"#### {escape_markdown(part.label)}\n\n"
            + "\n\n".join(_fold(answer, q) for q in part.quotes)
            for part in section.parts
        ]
        columns.append("\n\n".join(topics) or f"*{section.note}*")
    notes = sections.get("commentary")
    quotes = notes.quotes if notes else ()
    columns.append("\n\n".join(_fold(answer, q) for q in quotes) or "*none*")
    return tuple(columns)


def _fold(answer: Answer, quote: Quote) -> str:
    """A quote that opens onto its passage: the summary is HTML (``_entities``), the passage
    under it markdown, escaped as everywhere in the chat."""
    passage = answer.passages[quote.n - 1]
    body = _marked(passage.text, [(quote.start - passage.start, quote.end - passage.start)])
    where = " · ".join(x for x in (passage.title, passage.date, passage.location) if x)
    summary = f"{_entities(passage.date)} — {_entities(quote.text)} <b>[{quote.n}]</b>"
    return _folded(summary, f"{body}\n\n*{escape_markdown(where)}*")


def _folded(summary: str, body: str) -> str:
    """A fold: ``summary`` (our HTML) shown, ``body`` (markdown) under it when opened."""
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def sources_markdown(answer: Answer) -> str:
    """The chat's sources under an answer: one line per passage ("[n] title — date ·
    location"), each opening onto its card (``source_card``: publisher, partial-text
    warning, the passage with the quoted sentences in bold, URL, file). One line each keeps
    the answer above them in view; sixteen open cards did not (#17)."""
    folds = []
    for n, passage in enumerate(answer.passages, start=1):
        body = source_card(answer, n)
        if len(passage.title) > SOURCE_TITLE_CHARS:  # cut on its line: the card names it whole
            body = f"*{escape_markdown(passage.title)}*\n\n{body}"
        folds.append(_folded(_entities(source_line(passage, n)), body))
    return "\n\n".join(folds)


def references(answer: Answer) -> list[dict]:
    """The answer's numbered references as data: each passage's title, publisher, date,
    location, URL, file and the sentences quoted from it (what an exported conversation
    lists)."""
    return [
        {
            "n": n,
            "title": p.title,
            "publisher": p.publisher,
            "date": p.date,
            "location": p.location,
            "url": p.url,
            "source": p.source,
            "quoted": [q.text for q in answer.citations if q.n == n],
            # Where the passage and each quoted sentence stand: the reader opens there.
            "start": p.start,
            "end": p.end,
            "spans": [[q.start, q.end] for q in answer.citations if q.n == n],
        }
        for n, p in enumerate(answer.passages, start=1)
    ]


# --- the reader (#17): HTML of our own, every piece of the document escaped -----------------


def _link(url: str) -> str:
    """A document's URL in the reader: a live link only when it is a plain http(s) URL."""
    shown = html.escape(url)
    if _SAFE_URL.fullmatch(url):
        return f'<a href="{shown}" target="_blank" rel="noopener noreferrer">{shown}</a>'
    return shown


def reader_head(reading: Reading) -> str:
    """The reader's heading: title, publisher · date · kind, the partial-text warning, quotes
    no longer in the document, its note, URL and file."""
    document = reading.document
    meta = " · ".join(x for x in (document.publisher, document.date, document.kind) if x)
    lines = [f'<div class="reader-title"><strong>{html.escape(document.title)}</strong></div>']
    if meta:
        lines.append(f'<p class="reader-meta">{html.escape(meta)}</p>')
    if document.partial:
        lines.append(
            '<p class="reader-warning">Partial text: the corpus holds only part of this '
            "document.</p>"
        )
    if document.ocr_pages:
        pages = ", ".join(str(n) for n in document.ocr_pages)
        lines.append(
            f'<p class="reader-warning">Text of page {pages} read by OCR from the page\'s '
            "image: check it against the file.</p>"
        )
    if reading.lost:
        lost = f"{reading.lost} quoted sentence{'s are' if reading.lost > 1 else ' is'}"
        lines.append(
            f'<p class="reader-warning">{lost} no longer in this document: it changed '
            "after the answer was given.</p>"
        )
    if document.note:
        lines.append(f'<p class="reader-note">{html.escape(document.note)}</p>')
    if document.url:
        lines.append(f'<p class="reader-url">{_link(document.url)}</p>')
    lines.append(f'<p class="reader-file"><code>{html.escape(document.source)}</code></p>')
    return "\n".join(lines)


def reader_text(reading: Reading) -> str:
    """The document's whole text, escaped, its line breaks kept, the passage shaded and each
    quoted sentence in a ``<mark>`` (``data-quote`` its number, a sentence cut by the passage's
    edge stays one number), for the reader to scroll to."""
    text, passage = reading.text, reading.passage
    cuts = sorted({0, len(text), *passage, *(i for mark in reading.marks for i in mark)})
    pieces = []
    for a, b in itertools.pairwise(cuts):
        piece = html.escape(text[a:b])
        quote = next((i for i, (s, e) in enumerate(reading.marks) if s <= a and b <= e), None)
        if quote is not None:
            piece = f'<mark data-quote="{quote}">{piece}</mark>'
        if passage[0] <= a and b <= passage[1]:
            piece = f'<span class="reader-passage">{piece}</span>'
        pieces.append(piece)
    return f'<div class="reader-body">{"".join(pieces)}</div>'


def page_html(image: PageImage) -> str:
    """A PDF page as the reader shows it: the picture, the quoted text's boxes laid over it
    (fractions of the page, so they follow the picture's size), and what could not be boxed."""
    data = base64.b64encode(image.png).decode()
    boxes = "".join(
        f'<div class="reader-box" style="left:{b.left:.3%};top:{b.top:.3%};'
        f'width:{b.width:.3%};height:{b.height:.3%}"></div>'
        for b in image.boxes
    )
    missed = (
        f'<p class="reader-warning">{image.missed} quoted part'
        f"{'s' if image.missed > 1 else ''} not found on the page picture: see the text "
        "below.</p>"
        if image.missed
        else ""
    )
    return (
        f'<p class="reader-pageno">Page {image.number} of {image.count}</p>{missed}'
        f'<div class="reader-sheet" data-page="{image.number}">'
        f'<img src="data:image/png;base64,{data}" width="{image.width}" '
        f'height="{image.height}" alt="page {image.number} of {image.count}">{boxes}</div>'
    )


# A source's title on its one line under an answer: with its date and location, it fits the
# chat at 1400 px ("C5+1 Leaders' Joint Statement (The New York Declaration: C5+1 Re…").
SOURCE_TITLE_CHARS = 64


def _entities(text: str) -> str:
    """Text for inside our HTML: every character but letters, digits and spaces as a numeric
    entity, so no markup, markdown or autolink can start in it (backslash escapes would
    show there)."""
    return "".join(c if c.isalnum() or c == " " else f"&#{ord(c)};" for c in text)


def diff_json(compared: Compared) -> dict:
    """``diff --json``: each class's topics with the passage numbers quoted on each side, the
    commentary's, and the passages in the ``ask`` contract (plus the answer as markdown)."""
    classes: dict[str, list[dict]] = {name: [] for name in CLASSES}
    for name, topic, a, b in compared.topics:
        classes[name].append({"topic": topic, "a": list(a), "b": list(b)})
    answer = compared.answer
    return {
        "a": compared.a,
        "b": compared.b,
        "theme": compared.theme,
        **classes,
        "commentary": list(compared.commentary),
        "lead": answer.lead,
        "answer": markdown(answer),
        "passages": [passage_json(p, n) for n, p in enumerate(answer.passages, start=1)],
    }
