"""Rendering: what the chat shows of an answer, and that nothing in a document can become live
markup in it (issue #21: document metadata is as untrusted as document text)."""

import dataclasses
import html
import re
from html.parser import HTMLParser

import pytest

from c5qa.answer.diff import Compared
from c5qa.answer.reader import Reading
from c5qa.answer.render import (
    chat_markdown,
    diff_columns,
    escape_markdown,
    markdown,
    page_html,
    passage_json,
    reader_head,
    reader_text,
    references,
    source_card,
    source_line,
    sources_markdown,
)
from c5qa.answer.types import Answer, Quote, Section
from c5qa.app.service import Service
from c5qa.ingest.documents import Document
from c5qa.ingest.pages import Box, PageImage
from c5qa.retrieve.search import Passage

BEACON = "![px](http://127.0.0.1:7870/gradio_api/startup-events?leak=1)"
PHISH = "[click](http://127.0.0.1:9/phish)"
HOSTILE_TITLE = f"{BEACON} {PHISH}"
HOSTILE_URLS = (
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://x/a)[y](z",
    "http://x/a b",
    'https://example.org/"onmouseover="alert(1)',
    "https://example.org/<img src=x>",
    "https://example.org/a`b",
    "https://user@127.0.0.1:9/phish",
    "https://www.congress.gov/bill/459 (text source: https://www.govinfo.gov/x.xml)",
)
SAFE_URL = "https://example.org/c5_plus_1/a-b?x=1&y=2#top"
# A passage whose text is hostile before, inside and after the sentence the answer quotes.
HEAD = "Intro ![beacon](http://127.0.0.1:7870/p.png) <img src=x onerror=alert(1)> text. "
QUOTED = "The [canals](javascript:alert(2)) need <script>alert(3)</script> repair."
TAIL = " See www.evil.example, http://127.0.0.1:9/phish or press@evil.example *now*."
START = 1000  # the passage's offset in its document

# Live (unescaped) markup: a pattern preceded by an even number of backslashes.
_LIVE = r"(?<!\\)(?:\\\\)*"
DANGER = {
    "link or image": re.compile(_LIVE + r"\]\("),
    "image": re.compile(_LIVE + r"!\["),
    "html tag": re.compile(r"<[a-zA-Z/!?]"),
    "bare url": re.compile(_LIVE + r"(?:https?|ftp)://", re.IGNORECASE),
    "www autolink": re.compile(_LIVE + r"www\.", re.IGNORECASE),
    "e-mail autolink": re.compile(r"[A-Za-z0-9]" + _LIVE + r"@[A-Za-z0-9]"),
}


def _passage(title: str, url: str, **meta: str) -> Passage:
    text = HEAD + QUOTED + TAIL
    return Passage(
        chunk_id=0,
        source=meta.get("source", "evil`![x](http://127.0.0.1:9/s.png)`.txt"),
        title=title,
        date=meta.get("date", "2024-05-01"),
        publisher=meta.get("publisher", "<img src=x onerror=alert(4)> [pub](http://127.0.0.1:9)"),
        url=url,
        partial=True,
        location=meta.get("location", "¶ 3 ![loc](http://127.0.0.1:9/l.png)"),
        start=START,
        end=START + len(text),
        text=text,
        score=0.5,
        sentences=(),
    )


def _answer(passage: Passage) -> Answer:
    """An answer that writes every untrusted field somewhere: a quote, a label and caption
    made of the title, a note naming the passage as the closest, a lead and a note."""
    start = START + len(HEAD)
    quote = Quote(1, passage.source, start, start + len(QUOTED), QUOTED, 0.9)
    sections = (
        Section(label=passage.title, quotes=(quote,), caption=passage.publisher),
        Section(label="2023", note=f"Nothing in {passage.title}", closest=1),
    )
    return Answer("q", "answered", passage.title, sections, (passage,), (passage.location,))


def _shown(text: str) -> str:
    """Roughly what markdown shows of escaped text: escapes and entities resolved."""
    return html.unescape(re.sub(r"\\(.)", r"\1", text))


def _assert_inert(text: str, allowed_link: str = "") -> None:
    if allowed_link:
        assert text.count(allowed_link) == 1
        text = text.replace(allowed_link, "")
    for what, pattern in DANGER.items():
        found = pattern.search(text)
        assert found is None, f"live {what} at {text[max(0, found.start() - 30) :][:80]!r}"


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_metadata_and_text_stay_inert_in_the_chat(url: str) -> None:
    passage = _passage(HOSTILE_TITLE, url)
    answer = _answer(passage)
    body = source_card(answer, 1)
    for text in (chat_markdown(answer), body):
        _assert_inert(text)
    assert f"{HOSTILE_TITLE}" in _shown(chat_markdown(answer))
    shown = _shown(body)
    assert url in shown and passage.publisher in shown and passage.source in shown
    assert HEAD + "**" + QUOTED + "**" + TAIL in shown  # the quoted sentence in bold


def test_a_plain_http_url_is_still_a_link() -> None:
    answer = _answer(_passage(HOSTILE_TITLE, SAFE_URL))
    body = source_card(answer, 1)
    link = f"[{escape_markdown(SAFE_URL)}]({SAFE_URL})"
    _assert_inert(body, allowed_link=link)
    assert _shown(escape_markdown(SAFE_URL)) == SAFE_URL


def test_plain_metadata_reads_as_it_is() -> None:
    """Escaping must not garble ordinary titles: nothing in them is markup."""
    passage = _passage(
        "A New Era in U.S.-Kazakhstan Relations (fact sheet)", SAFE_URL, location="¶ 3"
    )
    line = (
        "[1] A New Era in U.S.-Kazakhstan Relations (fact sheet) (partial text) — 2024-05-01 · ¶ 3"
    )
    assert source_line(passage, 1) == line
    shown = sources_markdown(_answer(passage))
    assert html.unescape(shown.split("<summary>")[1].split("</summary>")[0]) == line


def test_json_answer_stays_verbatim() -> None:
    """``ask --json`` is data for programs, not markup: it is never escaped."""
    answer = _answer(_passage(HOSTILE_TITLE, "javascript:alert(1)"))
    assert markdown(answer).startswith(f"{HOSTILE_TITLE}\n\n**{HOSTILE_TITLE}** (")
    assert QUOTED + " [1]" in markdown(answer)


def test_untrusted_text_is_escaped() -> None:
    hostile = "<script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3))"
    escaped = escape_markdown(hostile)
    assert "<script>" not in escaped and "<img" not in escaped
    assert re.search(r"(?<!\\)\]\(", escaped) is None  # no unescaped "](": no link


def test_sources_show_metadata_and_highlight_quotes(corpus_service: Service) -> None:
    answer = corpus_service.ask(
        "Which firm will upgrade Kazakhstan's air traffic management system?"
    )
    assert "**[1]**" in chat_markdown(answer)
    body = source_card(answer, 1)
    assert source_line(answer.passages[0], 1).startswith("[1] A New Era")
    assert "2025-11-07" in body and "Partial text" in body and "https://" in body
    assert "**A $200 million contract awarded to U.S. firm Leidos" in body


def test_retrieval_scores_stay_out_of_the_answer_text(corpus_service: Service) -> None:
    """A score means nothing to a reader ("score 0.10" was shown, #15): the chat, its source
    cards and the terminal show none; the JSON keeps them for tools."""
    from c5qa.answer.render import terminal, to_json

    answer = corpus_service.compare("security cooperation", None)
    shown = [chat_markdown(answer), terminal(answer)]
    shown += [sources_markdown(answer)]
    assert not [text for text in shown if re.search(r"\bscore\b", text)]
    assert all("score" in p for p in to_json(answer)["passages"])


def test_itemised_parts_come_one_per_line_with_their_labels() -> None:
    """A diff's topics (#16): each on its own bullet line, its label first."""
    quote = Quote(1, "a.txt", 0, 5, "Water", 0.0)
    topics = (Section("water (2)", (quote,)), Section("trade (1)", (quote,)))
    answer = Answer("q", "answered", "", (Section("Dropped", parts=topics, itemised=True),), ())
    assert (
        markdown(answer) == "**Dropped:**\n- **water (2):** Water [1]\n- **trade (1):** Water [1]"
    )
    captioned = Section(
        "Continued", caption="each earlier statement", parts=topics[:1], itemised=True
    )
    answer = Answer("q", "answered", "", (captioned,), ())
    assert markdown(answer) == "**Continued** (each earlier statement):\n- **water (2):** Water [1]"


# The markup the Compare tab's folds are made of: ours, the only live HTML in them.
FOLD_TAGS = ("<details>", "</details>", "<summary>", "</summary>", "<b>", "</b>")


@pytest.mark.parametrize("url", HOSTILE_URLS[:3])
def test_the_compare_tab_s_folds_keep_hostile_text_inert(url: str) -> None:
    """A quote opens onto its passage (#16): the quote and date in our HTML summary, the
    passage with the quote in bold under it; nothing of the document is live in either."""
    passage = _passage(HOSTILE_TITLE, url, date="2024 <img src=x onerror=alert(5)>")
    start = START + len(HEAD)
    quote = Quote(1, passage.source, start, start + len(QUOTED), QUOTED, 0.9)
    topic = Section(f"{HOSTILE_TITLE} (1)", (quote,))
    sections = (
        Section("Continued", parts=(topic,), itemised=True),
        Section("Dropped", note="none"),
        Section("New", note="none"),
        Section("Commentary", (quote,), caption="analysis, not evidence"),
    )
    answer = Answer("q", "answered", "lead", sections, (passage,))
    columns = diff_columns(Compared(answer, "a", "b", (), (1,)))
    continued, dropped, new, commentary = columns
    assert (dropped, new) == ("*none*", "*none*")
    for column in (continued, commentary):
        inert = column
        for tag in FOLD_TAGS:
            inert = inert.replace(tag, "")
        _assert_inert(inert)
        assert column.count("<details>") == 1 and "<b>[1]</b>" in column
        assert html.unescape(column.split("<summary>")[1].split(" <b>")[0]) == (
            f"{passage.date} — {QUOTED}"
        )
        assert HEAD + "**" + QUOTED + "**" + TAIL in _shown(column)


@pytest.mark.parametrize("url", HOSTILE_URLS[:3])
def test_sources_are_one_line_each_and_open_onto_their_card(url: str) -> None:
    """Under a chat answer (#17): a fold per passage, its line "[n] title — date ·
    location" (a long title cut, whole in its card), its card the passage with the quote in
    bold; nothing of the document is live."""
    passage = _passage(HOSTILE_TITLE, url)
    shown = sources_markdown(_answer(passage))
    inert = shown
    for tag in FOLD_TAGS:
        inert = inert.replace(tag, "")
    _assert_inert(inert)
    summary = html.unescape(shown.split("<summary>")[1].split("</summary>")[0])
    assert summary == f"[1] {HOSTILE_TITLE[:63]}… (partial text) — 2024-05-01 · {passage.location}"
    assert HOSTILE_TITLE in _shown(shown)  # whole, in the card
    assert HEAD + "**" + QUOTED + "**" + TAIL in _shown(shown)


def test_a_passage_read_by_ocr_says_so_on_its_card() -> None:
    """#20: text OCR read from a page's image may hold misread words: its card says so."""
    passage = dataclasses.replace(_passage("Title", SAFE_URL), ocr=True)
    assert "Text read by OCR from the page's image" in source_card(_answer(passage), 1)
    assert "OCR" not in source_card(_answer(_passage("Title", SAFE_URL)), 1)
    assert passage_json(passage, 1)["ocr"] is True


def test_references_give_each_passage_with_what_was_quoted_from_it() -> None:
    """What an exported conversation lists (#17): every passage, numbered, its metadata and
    the sentences quoted from it (none for a passage shown but not quoted)."""
    passage = _passage("Title", SAFE_URL)
    answer = _answer(passage)
    (reference,) = references(answer)
    assert reference["n"] == 1 and reference["title"] == "Title"
    assert reference["url"] == SAFE_URL and reference["source"] == passage.source
    assert reference["quoted"] == [QUOTED]
    start = START + len(HEAD)
    assert reference["spans"] == [[start, start + len(QUOTED)]]  # where the reader opens
    assert (reference["start"], reference["end"]) == (passage.start, passage.end)


class _Tags(HTMLParser):
    """The tags and attributes of some HTML, and its text as a browser shows it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.marked: dict[str, str] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open.append(dict(attrs).get("data-quote") if tag == "mark" else None)

    def handle_endtag(self, tag: str) -> None:
        self._open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for quote in filter(None, self._open):
            self.marked[quote] = self.marked.get(quote, "") + data


def _parsed(markup: str) -> _Tags:
    parser = _Tags()
    parser.feed(markup)
    return parser


def _reading(url: str, marks: tuple, passage: tuple = (0, 0)) -> Reading:
    document = Document(
        source="evil`![x](http://127.0.0.1:9/s.png)`<b>.txt",
        title=HOSTILE_TITLE + " <script>alert(5)</script>",
        publisher="<img src=x onerror=alert(4)>",
        date="2024-05-01",
        kind="statement",
        url=url,
        note="<a href=javascript:alert(6)>note</a>",
        partial=True,
        text=HEAD + QUOTED + TAIL,
    )
    return Reading(document, marks, passage, lost=2)


@pytest.mark.parametrize("url", (*HOSTILE_URLS, SAFE_URL))
def test_the_reader_heading_shows_every_field_as_text_and_links_only_safe_urls(url: str) -> None:
    shown = _parsed(reader_head(_reading(url, ())))
    assert {tag for tag, _ in shown.tags} <= {"div", "p", "strong", "code", "a"}
    links = [attrs for tag, attrs in shown.tags if tag == "a"]
    assert links == (
        [{"href": url, "target": "_blank", "rel": "noopener noreferrer"}] if url == SAFE_URL else []
    )
    assert all(set(attrs) <= {"class", "href", "target", "rel"} for _, attrs in shown.tags)
    text = "".join(shown.text)
    for field in (HOSTILE_TITLE, "<img src=x onerror=alert(4)>", url, "<b>.txt", "alert(6)"):
        assert field in text
    assert "Partial text" in text and "2 quoted sentences are no longer in this document" in text


def test_the_reader_text_marks_exactly_the_quotes_and_nothing_else_is_markup() -> None:
    text = HEAD + QUOTED + TAIL
    quoted = (len(HEAD), len(HEAD) + len(QUOTED))
    tail = (len(HEAD) + len(QUOTED) + 1, len(text))
    # The passage ends inside the second quote: that quote is cut in two pieces, one number.
    shown = _parsed(reader_text(_reading("", (quoted, tail), (5, len(text) - 10))))
    assert {tag for tag, _ in shown.tags} == {"div", "span", "mark"}
    assert "".join(shown.text) == text  # the whole document, as it is
    assert shown.marked == {"0": QUOTED, "1": text[tail[0] : tail[1]]}
    assert sum(tag == "mark" for tag, _ in shown.tags) == 3


def test_a_page_picture_carries_its_boxes_and_says_what_it_missed() -> None:
    image = PageImage(2, 3, b"\x89PNG fake", 893, 1263, (Box(0.1, 0.2, 0.5, 0.02),), 1)
    shown = page_html(image)
    parsed = _parsed(shown)
    [img] = [attrs for tag, attrs in parsed.tags if tag == "img"]
    assert img["src"].startswith("data:image/png;base64,") and img["alt"] == "page 2 of 3"
    [box] = [attrs for tag, attrs in parsed.tags if attrs.get("class") == "reader-box"]
    assert box["style"] == "left:10.000%;top:20.000%;width:50.000%;height:2.000%"
    assert "Page 2 of 3" in "".join(parsed.text) and "1 quoted part not found" in shown
