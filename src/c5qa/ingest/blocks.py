"""Block kinds: which stretches of a document's text are statements and which are not.

Answers quote sentences verbatim, so every line of a file is a candidate quote. Some are not
statements of the document at all: a photo caption and its credit, a bill's header, the
"Listen to this article" button of the page a copy came from, a title line repeated in the
body, the list of signatories. Headings are not statements either, but they name the section a
statement stands in. Loaders record the kind of each block once, here, so that later stages
can leave captions and boilerplate out and use headings as labels without re-reading files.

Every rule is structural and general (the shape of a line, where it stands, conventions that
press releases, bills and news pages share); each rule's docstring names the real case in the
corpus it exists for, and ``tests/test_blocks.py`` shows it on that case and on a near miss.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass

HEADING = "heading"
PARAGRAPH = "paragraph"
LIST_ITEM = "list_item"
CAPTION = "caption"
BOILERPLATE = "boilerplate"
# A dateline ("SEPTEMBER 24, 2019", "2:57 P.M. EDT", "New York, New York" above it) and a
# signature block are no statements either, but they are what "When did Biden speak?" and
# "Who signed the New York Declaration?" ask for: kinds of their own, quotable.
DATELINE = "dateline"
SIGNATURE = "signature"
KINDS = (HEADING, PARAGRAPH, LIST_ITEM, CAPTION, BOILERPLATE, DATELINE, SIGNATURE)
# Kinds that are never the document's own statements: answers must not quote them as content.
NOT_CONTENT = frozenset({CAPTION, BOILERPLATE})
# The version of the rules below: an index built under other rules re-reads its documents,
# since kinds are stored with them and sentences end where blocks start (``index.store``).
# 2: lines after a lead-in are a list without bullets (``mark_unmarked_items``).
RULES = 2
# Kinds quoted only for a question that asks for what they hold (a photo, a date or place, who
# signed): "SEPTEMBER 24, 2019" does not answer how the 2019 meeting was numbered.
QUOTED_WHEN_ASKED = frozenset({CAPTION, DATELINE, SIGNATURE})


@dataclass(frozen=True)
class Block:
    """A stretch ``text[start:end]`` (trimmed, exact offsets) of one kind."""

    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Line:
    """One non-blank line: its trimmed span, its text, its indentation and which
    blank-line-separated paragraph it belongs to."""

    start: int
    end: int
    text: str
    indent: int
    paragraph: int


@dataclass(frozen=True)
class Context:
    """What rules need to know beyond the line itself: the document's title (normalised and
    as tokens) and whether the document is mostly written in Latin script."""

    title: str
    title_tokens: frozenset[str]
    latin: bool


# --- helpers ---------------------------------------------------------------------------------

# Words a title leaves in lower case ("Partnership through People").
_SMALL = (
    "a an and as at but by for from in into nor of on or over per the to through up via vs with"
)
_SMALL_WORDS = frozenset(_SMALL.split())
_TERMINAL = ".!?;,…—–-。！？"
MAX_HEADING_WORDS = 12
MAX_HEADING_CHARS = 100


def normalise(value: str) -> str:
    """Words only, case-folded: "Joint Statement On The …" and "Joint Statement on the …"
    are the same title."""
    return " ".join(re.findall(r"\w+", value.casefold()))


def latin_share(value: str) -> float:
    """The share of letters that are Latin (basic, Latin-1 and Latin Extended), 1.0 when the
    text has no letters."""
    letters = [ch for ch in value if ch.isalpha()]
    if not letters:
        return 1.0
    return sum(1 for ch in letters if ord(ch) < 0x250) / len(letters)


def title_case(line: str) -> bool:
    """Whether most significant words start with a capital (or a digit): "Partnership through
    People", "RESOLUTION", "C5+1 Program of Work" — and not a sentence that lost its period."""
    words = [w for w in line.split() if any(ch.isalpha() for ch in w)]
    significant = [w for w in words if w.strip("\"'“”‘’(").casefold() not in _SMALL_WORDS]
    if not significant:
        return False
    capitals = sum(1 for w in significant if w.lstrip("\"'“‘(")[:1].isupper() or w[:1].isdigit())
    return capitals >= 0.75 * len(significant)


def heading_shaped(line: str) -> bool:
    """A short title-case line that does not end a sentence or run on (";", ",", a dash): the
    shape of a heading. A trailing colon is allowed ("Economic Cooperation:")."""
    return (
        len(line) <= MAX_HEADING_CHARS
        and len(line.split()) <= MAX_HEADING_WORDS
        and line[-1] not in _TERMINAL
        and (line[:1].isupper() or line[:1].isdigit())
        and title_case(line)
    )


# --- line rules ------------------------------------------------------------------------------

_PRESS_MARKER = re.compile(
    r"(?:begin text|end text|begin excerpt|end excerpt|#{3}|-\s*30\s*-|\*\s*\*\s*\*)\s*:?", re.I
)


def is_press_marker(line: str) -> bool:
    """Press-release markup: State Department releases wrap the statement in "Begin Text:" (the
    2019, 2020, 2021, 2022 and 2023 joint statements) and White House releases end with "###"
    (the 2021 NSC statement, the 2023 readout, remarks and New York Declaration)."""
    return bool(_PRESS_MARKER.fullmatch(line))


_PAGE_FURNITURE = re.compile(
    r"listen to (?:this|the) (?:article|story)|share(?: this(?: article| story| page)?)?"
    r"|print(?: this(?: article| page)?)?|e-?mail|advertisement|skip to (?:main )?content"
    r"|read more|subscribe|back to top|related(?: articles| stories)?"
    r"|(?:category|categories|tags?|filed under|topics?):[^.!?]{1,60}"
    r"|(?:page\s+)?\d{1,4}(?:\s+of\s+\d{1,4})?",
    re.I,
)


def is_page_furniture(line: str) -> bool:
    """Controls and labels of the web page a copy was taken from: "Listen to this article" (the
    Diplomat article), "Print" and "Category: World News" (the Samarkand declaration's
    republication), and the usual "Share", "Advertisement", bare page numbers."""
    return bool(_PAGE_FURNITURE.fullmatch(line))


_BILL_HEADER = re.compile(
    r"(?-i:[IVXLC]{1,6})"  # the print's Roman-numeral line ("Civil" is no numeral)
    r"|\d{1,3}(?:st|nd|rd|th) congress(?:,? \d(?:st|nd|rd|th) session)?"
    r"|\d(?:st|nd|rd|th) session"
    r"|[SH]\.? ?(?:(?:con|j)\.? ?)?(?:res|r)?\.? ?\d{1,5}"  # S. RES. 459, H. R. 1, S. 12
    r"|in the (?:senate|house of representatives) of the united states"
    r"|calendar no\. ?\d{1,5}",
    re.I,
)


def is_bill_header(line: str) -> bool:
    """The header of a congressional bill or resolution as congress.gov prints it: "III",
    "119th CONGRESS", "1st Session", "S. RES. 459", "IN THE SENATE OF THE UNITED STATES"
    (S. Res. 459). The sponsor and action lines after it are the bill's history and stay."""
    return bool(_BILL_HEADER.fullmatch(line))


_AGENCIES = (
    r"Reuters|AP|AFP|Associated Press|Agence France-Presse|Xinhua|TASS|Interfax|Bloomberg|UPI"
    r"|MENAFN|dpa|EFE|Kyodo|Yonhap|Anadolu|PTI|IANS|Kazinform|AKIpress|Trend"
)
_WIRE_CREDIT = re.compile(
    rf"\(?(?:{_AGENCIES})\)?(?:\s*[-–—:]\s*.*)?"  # "MENAFN - U.S. Department of State)"
    rf"|[A-Z][A-Z .,'-]*\((?:{_AGENCIES})\)\s*[-–—]?"  # "WASHINGTON (Reuters) -"
    r"|.*\b(?:AP Photo|AFP Photo|Reuters/|Getty Images|via Reuters)\b.*"
)


def is_wire_credit(line: str) -> bool:
    """A syndication or wire-service credit standing as its own line: "MENAFN - U.S. Department
    of State)" opens the two 2025 fact sheets and the cultural-heritage statement as
    republished; "(Reuters)" and "AP Photo/…" lines are the same kind of credit. A sentence
    that names an agency ("Reuters reported that …") ends with a period and stays."""
    return len(line.split()) <= 12 and line[-1] not in ".!?" and bool(_WIRE_CREDIT.fullmatch(line))


_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE_LINE = re.compile(
    rf"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}"
    rf"|\d{{1,2}}\s+{_MONTH}\s+\d{{4}}"
    r"|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}",
    re.I,
)
_TIME_STAMP = re.compile(r"\d{1,2}:\d{2}\s*(?:[ap]\.?\s?m\.?)?\s*(?:[A-Z]{2,4})?", re.I)


def is_time_stamp(line: str) -> bool:
    """The time line of a White House transcript: "2:57 P.M. EDT" (the 2023 remarks)."""
    return bool(_TIME_STAMP.fullmatch(line))


def is_dateline(line: str) -> bool:
    """A line that is only a date or a time: "SEPTEMBER 24, 2019" (2019 statement),
    "10.07.2020" (2020 press statement), "September 21, 2023" above the New York Declaration's
    signatures, "2:59 P.M. EDT". A date that opens a statement ("On September 22, …" or the
    resolution's "November 4, 2025 Committee discharged; …") is content and stays."""
    return bool(_DATE_LINE.fullmatch(line)) or is_time_stamp(line)


def repeats_title(line: str, context: Context) -> bool:
    """A line that restates the document's title: the Diplomat article prints its title twice in
    the body, the joint statements open with it, the New York Declaration with the part of its
    title in brackets. A title line does not end a sentence: the resolution's "Honoring the
    strategic importance … Uzbekistan." sits inside its title but ends with a period, and stays."""
    if not context.title or line[-1] in ".!?;" or len(line.split()) < 2:
        return False
    words = normalise(line)
    return words == context.title or (
        len(words.split()) >= 4 and f" {words} " in f" {context.title} "
    )


def restates_title_in_other_script(line: str, context: Context) -> bool:
    """A short line in another script than the document's that shares the title's Latin names
    or numbers: the Diplomat copy opens with its Chinese title "C5+1或5 C1+1:美国中亚政策的新逻辑".
    A sentence in another script (it ends with "。" or a period) or one unrelated to the title
    stays."""
    if not context.latin or len(line) > 80 or line[-1] in ".!?。！？" or latin_share(line) >= 0.5:
        return False
    tokens = {t.casefold() for t in re.findall(r"[A-Za-z0-9]{2,}", line)}
    return bool(tokens & context.title_tokens)


_CREDIT_LINE = re.compile(
    r"(?:photo\s*)?(?:credits?|photo(?:graph)?|image|picture|caption)\s*:\s*\S.*"
    r"|\(?(?:photo|image)\s+(?:by|credit|courtesy(?: of)?)\s+\S.*",
    re.I,
)


def is_credit_line(line: str) -> bool:
    """A photo credit: "Credit: Official White House Photo by Daniel Torok)" under the Diplomat
    article's photo; "Photo:", "Image:" lines likewise. "Credit markets …" is no credit line:
    the label needs its colon."""
    return len(line.split()) <= 20 and bool(_CREDIT_LINE.fullmatch(line))


# How a line that introduces what follows ends. For: "…the foreign ministers declare their
# commitment to:", S. Res. 459's "That the Senate—".
LEAD_IN_ENDS = (":", "—", "–")


def introduces(text: str) -> bool:
    """Whether a sentence or block introduces what follows it (a list, a resolution's
    clauses) rather than stating something itself."""
    return text.rstrip().endswith(LEAD_IN_ENDS)


def is_markdown_heading(line: str) -> bool:
    """A Markdown ATX heading ("## Security"); "###" alone is a press-release end mark."""
    return bool(re.fullmatch(r"#{1,6}\s+\S.*", line))


# The bullets a list line may open with. For: the "  • " priority lists of the joint
# statements, Markdown's "- " and "* ".
BULLETS = "-•*–·▪●◦‣"
_LIST_MARKER = re.compile(
    rf"(?:[{re.escape(BULLETS)}]|\d{{1,3}}[.)]|\(\d{{1,3}}\)|\([a-z]{{1,4}}\)|[a-z][.)])\s+\S"
)


def is_list_item(line: str) -> bool:
    """A line that starts with a bullet or number: the "  • " priority lists of the 2019, 2020,
    2021 and 2023 Afghanistan statements, Markdown "- " and "1. " items, "(a) " clauses. A year
    that opens a sentence ("2025. …") is no number marker."""
    return bool(_LIST_MARKER.match(line))


_ENUMERATOR = re.compile(r"\(\d{1,3}\)|\([a-z]{1,4}\)|\d{1,3}\.")


def is_enumerator(line: str) -> bool:
    """A clause number alone on its line, its clause on the next: S. Res. 459 prints "(1)" and
    then "affirms the strategic importance …". The two lines are one list item."""
    return bool(_ENUMERATOR.fullmatch(line))


_OFFICE = re.compile(
    r"(?:(?:H\.E\.|His Excellency|Her Excellency)\s+)?(?:President|Vice President|Prime Minister"
    r"|(?:Foreign )?Minister|Secretary|Ambassador|Senator|Representative|Governor|Chairman|King"
    r"|Emir|Sultan)\b.*"
)


def is_signature_line(line: str) -> bool:
    """One signatory: "President Kassym-Jomart Tokayev of the Republic of Kazakhstan" (the New
    York Declaration). Alone it proves nothing: see ``is_signature_block``."""
    return len(line.split()) <= 14 and line[-1] not in ".!?;," and bool(_OFFICE.fullmatch(line))


def is_signature_block(lines: list[str]) -> bool:
    """Two or more signatory lines making up a whole paragraph: the six presidents under the
    New York Declaration. A sentence about a president ("President Biden thanked …") is long
    and punctuated, and stays."""
    return len(lines) >= 2 and all(is_signature_line(line) for line in lines)


_LINE_RULES = (
    (is_press_marker, BOILERPLATE),
    (is_page_furniture, BOILERPLATE),
    (is_bill_header, BOILERPLATE),
    (is_wire_credit, BOILERPLATE),
    (is_dateline, DATELINE),
    (is_credit_line, CAPTION),
)


def line_kind(line: str, context: Context) -> str:
    """The kind a line has on its own, "" when only its neighbours can tell."""
    for rule, kind in _LINE_RULES:
        if rule(line):
            return kind
    if repeats_title(line, context) or restates_title_in_other_script(line, context):
        return BOILERPLATE
    if is_markdown_heading(line):
        return HEADING
    return LIST_ITEM if is_list_item(line) else ""


# --- rules that need the neighbours --------------------------------------------------------


def _neighbour(lines: list[Line], i: int, step: int) -> Line | None:
    """The line before (step -1) or after (+1) line ``i`` in the same paragraph, if any."""
    j = i + step
    if 0 <= j < len(lines) and lines[j].paragraph == lines[i].paragraph:
        return lines[j]
    return None


def continues_item(item: Line, following: Line) -> bool:
    """Whether ``following`` carries on the list item that ends with ``item``: an indented
    line (Markdown), or a lower-case line after one that did not end its statement (wrapping).
    Another marker or clause number starts the next item instead."""
    if is_list_item(following.text) or is_enumerator(following.text):
        return False
    if following.indent > item.indent:
        return True
    return item.text[-1] not in ".;:!?" and following.text[:1].islower()


def mark_list_items(lines: list[Line], kinds: list[str], links: set[int]) -> None:
    """Clause numbers alone on a line take their clause (S. Res. 459's "(1)" lines); list items
    take their continuation lines. ``links`` receives the lines that join the line before."""
    for i, line in enumerate(lines):
        following = _neighbour(lines, i, 1)
        if following is None or kinds[i + 1]:
            continue
        if not kinds[i] and is_enumerator(line.text):
            kinds[i] = kinds[i + 1] = LIST_ITEM
            links.add(i + 1)
        elif kinds[i] == LIST_ITEM and continues_item(line, following):
            kinds[i + 1] = LIST_ITEM
            links.add(i + 1)


def mark_unmarked_items(lines: list[Line], kinds: list[str]) -> None:
    """A lead-in line followed, in its paragraph, by two or more lines that each start a
    statement (a capital letter) and end one (";" or ".", the last line aside) introduces a
    list without bullets: the Astana statement's "In support of C5+1 economic objectives, the
    participants:" and its "Emphasized …;", "Discussed …;" lines. A hard-wrapped sentence
    (a line that stops mid-sentence) and one line after a lead-in are no list."""
    for i, line in enumerate(lines):
        if kinds[i] or not introduces(line.text):
            continue
        run = []
        for j in range(i + 1, len(lines)):
            if lines[j].paragraph != line.paragraph or kinds[j]:
                break
            run.append(j)
        starts = all(lines[j].text[:1].isupper() or lines[j].text[:1].isdigit() for j in run)
        ends = all(lines[j].text.endswith((";", ".")) for j in run[:-1])
        if len(run) >= 2 and starts and ends:
            for j in run:
                kinds[j] = LIST_ITEM


def mark_signatures(lines: list[Line], kinds: list[str]) -> None:
    """Paragraphs that are signature blocks (see ``is_signature_block``) are signatures."""
    members: dict[int, list[int]] = {}
    for i, line in enumerate(lines):
        members.setdefault(line.paragraph, []).append(i)
    for indices in members.values():
        if all(not kinds[i] for i in indices) and is_signature_block(
            [lines[i].text for i in indices]
        ):
            for i in indices:
                kinds[i] = SIGNATURE


def mark_headings(lines: list[Line], kinds: list[str]) -> None:
    """A heading-shaped line standing alone is a heading ("Expanded Security Cooperation" in the
    New York Declaration, "A Narrowed C5+1" in the Diplomat article). Inside a paragraph of
    lines it must also follow a finished statement, another labelled line or be in capitals
    (the Astana statement's "Economic Cooperation:", S. Res. 459's "RESOLUTION"), and be
    followed by a capital: a short wrapped line of prose is neither."""
    for i, line in enumerate(lines):
        if kinds[i] or not heading_shaped(line.text):
            continue
        before, after = _neighbour(lines, i, -1), _neighbour(lines, i, 1)
        opens = before is None or bool(kinds[i - 1]) or before.text[-1] in ".!?:;"
        closes = after is None or bool(kinds[i + 1]) or after.text[:1].isupper()
        if (opens or line.text.isupper()) and (closes or after.text[:1].isdigit()):
            kinds[i] = HEADING


def mark_repeats(lines: list[Line], kinds: list[str]) -> None:
    """A title-like line (4 to 20 words, no sentence end) seen before in the document is a
    running title, not new text: the Diplomat copy repeats its title line above its photo (a
    title that is not known from metadata is caught this way, as are a PDF's running headers).
    Short labels ("Overview") may well repeat as real headings, and stay."""
    seen: set[str] = set()
    for i, line in enumerate(lines):
        words = len(line.text.split())
        if kinds[i] not in ("", HEADING) or line.text[-1] in _TERMINAL or not 4 <= words <= 20:
            continue
        key = normalise(line.text)
        if key in seen:
            kinds[i] = BOILERPLATE
        seen.add(key)


def mark_transcript_datelines(lines: list[Line], kinds: list[str]) -> None:
    """The place lines right above a transcript's time stamp are its dateline: "United Nations
    Headquarters / New York, New York" above "2:57 P.M. EDT" (the 2023 remarks). Only short
    lines that end no sentence are taken: "… Thank you." above "2:59 P.M. EDT" stays."""
    for i, line in enumerate(lines):
        if i == 0 or not is_time_stamp(line.text):
            continue
        paragraph, j = lines[i - 1].paragraph, i - 1
        run = []
        while j >= 0 and lines[j].paragraph == paragraph:
            text = lines[j].text
            if kinds[j] not in ("", HEADING) or len(text.split()) > 8 or text[-1] in _TERMINAL:
                run = []
                break
            run.append(j)
            j -= 1
        for k in run:
            kinds[k] = DATELINE


MAX_CAPTION_WORDS = 60


def mark_photo_descriptions(lines: list[Line], kinds: list[str]) -> None:
    """The text right above a photo credit describes the photo: "U.S. President Donald Trump
    speaks with … Nov. 6, 2025." above "Credit: Official White House Photo by Daniel Torok)"
    in the Diplomat article. Only unlabelled lines of the one paragraph before the credit, up to
    60 words, are taken; the article's first paragraph, after the credit, stays."""
    for i, line in enumerate(lines):
        if i == 0 or kinds[i] != CAPTION or not is_credit_line(line.text):
            continue
        paragraph, j = lines[i - 1].paragraph, i - 1
        run: list[int] = []
        while j >= 0 and lines[j].paragraph == paragraph and not kinds[j]:
            run.append(j)
            j -= 1
        if sum(len(lines[k].text.split()) for k in run) <= MAX_CAPTION_WORDS:
            for k in run:
                kinds[k] = CAPTION


# --- the text's blocks -----------------------------------------------------------------------


def split_lines(text: str) -> list[Line]:
    """The non-blank lines of ``text`` with exact trimmed offsets; a blank line (spaces only)
    starts a new paragraph."""
    lines: list[Line] = []
    paragraph, blank, position = 0, False, 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            if blank and lines:
                paragraph += 1
            blank = False
            indent = len(raw) - len(raw.lstrip())
            start = position + indent
            lines.append(Line(start, start + len(stripped), stripped, indent, paragraph))
        else:
            blank = True
        position += len(raw) + 1
    return lines


def make_context(text: str, title: str) -> Context:
    tokens = {t.casefold() for t in re.findall(r"[A-Za-z0-9]{2,}", title)} - _SMALL_WORDS
    return Context(normalise(title), frozenset(tokens), latin_share(text[:200_000]) >= 0.5)


def group(lines: list[Line], kinds: list[str], links: set[int]) -> tuple[Block, ...]:
    """One block per labelled line (or linked run of lines); consecutive unlabelled lines of a
    paragraph form one paragraph block."""
    blocks: list[Block] = []
    for i, line in enumerate(lines):
        kind = kinds[i] or PARAGRAPH
        joined = i in links or (kind == PARAGRAPH and blocks and blocks[-1].kind == PARAGRAPH)
        if joined and i and lines[i - 1].paragraph == line.paragraph:
            blocks[-1] = Block(blocks[-1].start, line.end, kind)
        else:
            blocks.append(Block(line.start, line.end, kind))
    return tuple(blocks)


def classify_text(text: str, title: str = "") -> tuple[Block, ...]:
    """The blocks of plain text or Markdown, in order: its blank-line-separated paragraphs,
    split further where a line is of its own kind (a list item, a heading, a credit, a bill
    header line), with exact offsets into ``text``. ``title`` (the document's, from metadata)
    lets lines that merely repeat it be told apart from headings."""
    lines = split_lines(text)
    context = make_context(text, title)
    kinds = [line_kind(line.text, context) for line in lines]
    links: set[int] = set()
    mark_list_items(lines, kinds, links)
    mark_signatures(lines, kinds)
    mark_headings(lines, kinds)
    mark_unmarked_items(lines, kinds)
    mark_repeats(lines, kinds)
    mark_transcript_datelines(lines, kinds)
    mark_photo_descriptions(lines, kinds)
    return group(lines, kinds, links)


def merge(structural: tuple[Block, ...], inferred: tuple[Block, ...]) -> tuple[Block, ...]:
    """Blocks known from markup (HTML tags) over blocks inferred from the text: an inferred
    block that overlaps a structural one gives way to it."""
    taken = sorted(structural, key=lambda b: b.start)
    starts = [b.start for b in taken]
    kept = []
    for block in inferred:
        i = bisect.bisect_right(starts, block.start)
        overlaps = (i and taken[i - 1].end > block.start) or (
            i < len(taken) and taken[i].start < block.end
        )
        if not overlaps:
            kept.append(block)
    return tuple(sorted([*taken, *kept], key=lambda b: b.start))


def kind_at(blocks: tuple[Block, ...], start: int, end: int) -> str:
    """The kind of the block holding the span ``text[start:end]`` (a sentence); "paragraph"
    when no block touches it. A span across blocks (a splitter may join a title line to the
    caption below it) takes the kind it overlaps most, ties going to "paragraph"."""
    i = bisect.bisect_right(blocks, start, key=lambda b: b.start)
    overlap: Counter[str] = Counter()
    for block in blocks[max(i - 1, 0) :]:
        if block.start >= max(end, start + 1):
            break
        if block.start <= start and end <= block.end:
            return block.kind
        shared = min(block.end, end) - max(block.start, start)
        if shared > 0:
            overlap[block.kind] += shared
    if not overlap:
        return PARAGRAPH
    return max(overlap, key=lambda kind: (overlap[kind], kind == PARAGRAPH))
