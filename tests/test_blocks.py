"""Block kinds on the real corpus: every rule on the case it exists for and on a near miss (a
real content line that must stay content), and the whole corpus labelled as a reader would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from c5qa.ingest import blocks as B
from c5qa.ingest.blocks import Block, classify_text, kind_at, merge
from c5qa.ingest.documents import Document, load_document
from tests.conftest import CORPUS, KAZAKHSTAN, NEW_YORK, NEW_YORK_HEADINGS, SAMARKAND

DIPLOMAT = "2025-11_the-diplomat-a-c5plus1-or-5-c1plus1s.txt"
SENATE = "2025-11-04_s-res-459-c5plus1-senate-resolution.txt"
FOURTH = "2019-09-24_joint-statement-fourth-c5plus1-ministerial.txt"
PRESS = "2020-07-10_joint-statement-for-the-press-c5plus1-high-level-dialogue.txt"
ASTANA = "2023-02-28_joint-statement-c5plus1-ministerial-astana.txt"
REMARKS = "2023-09-19_remarks-biden-after-central-asia-5plus1-meeting.txt"
READOUT = "2023-09-19_readout-biden-meeting-c5plus1-leaders-unga.txt"
AFGHANISTAN = "2023-08-11_joint-statement-c5plus1-special-session-afghanistan.txt"
HERITAGE = "2025-11-07_c5plus1-joint-statement-of-intent-cultural-heritage.txt"
DIPLOMAT_TITLE = "A C5+1 or 5 C1+1s: The New Math of US Central Asia Policy"


def document(name: str) -> Document:
    if not CORPUS.is_dir():
        pytest.fail(f"{CORPUS} is missing: these tests are about the real corpus")
    return load_document(CORPUS / name, CORPUS)


def kind_of(doc: Document, line: str, occurrence: int = 0) -> str:
    """The kind of the (occurrence-th) place ``line`` stands in the document's text."""
    start = -1
    for _ in range(occurrence + 1):
        start = doc.text.find(line, start + 1)
        assert start >= 0, f"{line!r} is not (that often) in {doc.source}"
    return kind_at(doc.blocks, start, start + len(line))


# (rule, file and line it exists for, file and start of a real content line it must leave)
LINE_RULES = [
    # The release line says where and when ("…in Astana, Kazakhstan on July 27"): it stays.
    (B.is_press_marker, FOURTH, "Begin Text:", FOURTH, "The text of the following statement"),
    (B.is_page_furniture, DIPLOMAT, "Listen to this article", DIPLOMAT, "The focus of the C5+1"),
    (B.is_page_furniture, SAMARKAND, "Category: World News", SAMARKAND, "Washington, DC - The"),
    (B.is_bill_header, SENATE, "119th CONGRESS", SENATE, "November 4, 2025 Committee"),
    (B.is_bill_header, SENATE, "S. RES. 459", KAZAKHSTAN, "S. firm Cove Capital and the"),
    (B.is_bill_header, SENATE, "IN THE SENATE OF THE UNITED STATES", SENATE, "That the Senate—"),
    (B.is_wire_credit, KAZAKHSTAN, "MENAFN - U.S. Department of State)", SAMARKAND, "Washington,"),
    (B.is_wire_credit, HERITAGE, "MENAFN - U.S. Department of State)", HERITAGE, "RECOGNIZING"),
    (B.is_dateline, FOURTH, "SEPTEMBER 24, 2019", SENATE, "October 21, 2025 Mr. Daines"),
    (B.is_dateline, PRESS, "10.07.2020", PRESS, "On June 30, the U.S. Secretary of State"),
    (B.is_dateline, REMARKS, "2:57 P.M. EDT", REMARKS, "THE PRESIDENT:"),
    (B.is_credit_line, DIPLOMAT, "Credit:\xa0Official White", DIPLOMAT, "Last week, economic"),
    (B.is_list_item, AFGHANISTAN, "• Discussed the", KAZAKHSTAN, "S. firm Cove Capital and"),
    (B.is_list_item, FOURTH, "• Strengthen the C5+1", AFGHANISTAN, "In light of shared C5+1"),
]
EXPECTED = {B.is_credit_line: "caption", B.is_list_item: "list_item", B.is_dateline: "dateline"}


def full_line(doc: Document, prefix: str) -> str:
    """The whole line of the document that starts with ``prefix`` (after indentation)."""
    for line in doc.text.splitlines():
        if line.strip().startswith(prefix):
            return line.strip()
    raise AssertionError(f"no line starting {prefix!r} in {doc.source}")


@pytest.mark.parametrize(("rule", "name", "case", "miss_name", "near_miss"), LINE_RULES)
def test_each_line_rule_takes_its_case_and_leaves_its_near_miss(
    rule: Callable[[str], bool], name: str, case: str, miss_name: str, near_miss: str
) -> None:
    doc, other = document(name), document(miss_name)
    line, miss = full_line(doc, case), full_line(other, near_miss)
    assert rule(line) and kind_of(doc, line) == EXPECTED.get(rule, "boilerplate")
    assert not rule(miss) and kind_of(other, miss) not in B.NOT_CONTENT


def test_a_lead_in_introduces_what_follows_and_a_statement_does_not() -> None:
    """One rule for lists (a lead-in heads their items), plain answers (a lead-in says little
    on its own) and summaries (it is no key sentence)."""
    senate, fourth = document(SENATE), document(FOURTH)
    assert B.introduces(full_line(senate, "That the Senate—"))
    assert B.introduces("…the foreign ministers declare their commitment to:  ")
    assert not B.introduces(full_line(fourth, "The text of the following statement"))


def test_title_rules_take_the_title_lines_and_leave_the_title_like_sentence() -> None:
    diplomat, senate = document(DIPLOMAT), document(SENATE)
    context = B.make_context(diplomat.text, diplomat.title)
    assert B.repeats_title(DIPLOMAT_TITLE, context)
    assert B.restates_title_in_other_script("C5+1或5 C1+1:美国中亚政策的新逻辑", context)
    assert not B.restates_title_in_other_script("中亚五国峰会讨论了什么？", context)
    assert not B.repeats_title("A Narrowed C5+1", context)
    # S. Res. 459's preamble sits inside its title but is a sentence: it stays content.
    honoring = full_line(senate, "Honoring the strategic importance")
    assert normalised_in(honoring, senate.title)
    assert not B.repeats_title(honoring, B.make_context(senate.text, senate.title))
    assert kind_of(senate, honoring) == "paragraph"
    new_york = document(NEW_YORK)
    assert kind_of(new_york, "The New York Declaration: C5+1 Resilience through") == "boilerplate"


def normalised_in(line: str, title: str) -> bool:
    return B.normalise(line.rstrip(".")) in B.normalise(title)


def test_headings_are_short_title_lines_and_sentences_are_not() -> None:
    new_york, astana, senate = document(NEW_YORK), document(ASTANA), document(SENATE)
    assert kind_of(new_york, "Expanded Security Cooperation") == "heading"
    assert kind_of(astana, "Economic Cooperation:") == "heading"
    assert kind_of(senate, "RESOLUTION") == "heading"
    assert kind_of(astana, "In support of C5+1 economic objectives, the participants:") == (
        "paragraph"
    )
    assert kind_of(senate, "That the Senate—") == "paragraph"


def test_a_clause_number_alone_takes_its_clause() -> None:
    senate = document(SENATE)
    clause = "(1)\naffirms the strategic importance of the C5+1 platform"
    assert kind_of(senate, clause) == "list_item"
    (item,) = [b for b in senate.blocks if senate.text.startswith("(1)", b.start)]
    assert senate.text[item.start : item.end].endswith("with the United States;")


def test_lines_after_a_lead_in_are_a_list_without_bullets_and_wrapped_prose_is_not() -> None:
    """The Astana statement lists what the participants did one line each, with no bullet
    (#15); a lead-in followed by a hard-wrapped sentence, or by one line, is no list."""
    astana = document(ASTANA)
    assert kind_of(astana, "In support of C5+1 economic objectives, the participants:") == (
        "paragraph"
    )
    for line in ("Emphasized that Central Asia", "Discussed how to mitigate", "Addressed how"):
        assert kind_of(astana, line) == "list_item", line
    wrapped = "He said the following:\nThe leaders met in New York and\nSamarkand to sign it.\n"
    single = "The participants:\nEmphasized the point;\n"
    for text in (wrapped, single):
        assert {b.kind for b in B.classify_text(text)} == {"paragraph"}, text


def test_signature_blocks_are_signatures_and_sentences_about_presidents_are_not() -> None:
    """A signature block is its own kind, quotable: it answers "Who signed for Kyrgyzstan?"."""
    new_york, readout = document(NEW_YORK), document(READOUT)
    lines = ["President Kassym-Jomart Tokayev of the Republic of Kazakhstan"]
    assert not B.is_signature_block(lines) and B.is_signature_line(lines[0])
    assert kind_of(new_york, "President Joseph R. Biden, Jr. of the United States") == ("signature")
    assert kind_of(readout, "President Joseph R. Biden, Jr. met with the Presidents") == (
        "paragraph"
    )


def test_a_transcript_dateline_is_a_dateline_and_its_last_words_are_not() -> None:
    """A dateline is quotable: it answers "Where did Biden speak?"."""
    remarks = document(REMARKS)
    assert kind_of(remarks, "United Nations Headquarters") == "dateline"
    assert kind_of(remarks, "New York, New York") == "dateline"
    assert kind_of(remarks, "So, thank you very, very much for making the effort.") == "paragraph"


def test_a_photo_description_above_a_credit_is_a_caption_and_the_article_is_not() -> None:
    diplomat = document(DIPLOMAT)
    assert kind_of(diplomat, "U.S. President Donald Trump speaks with Kazakh President") == (
        "caption"
    )
    assert kind_of(diplomat, "Credit:\xa0Official White House Photo by Daniel Torok)") == (
        "caption"
    )
    assert kind_of(diplomat, "Last week, economic cooperation took center stage") == "paragraph"


def test_a_repeated_title_is_found_without_metadata_and_a_short_label_is_not() -> None:
    diplomat = document(DIPLOMAT)
    blocks = classify_text(diplomat.text)  # no title known
    first = diplomat.text.find(DIPLOMAT_TITLE)
    second = diplomat.text.find(DIPLOMAT_TITLE, first + 1)
    assert kind_at(blocks, first, first + len(DIPLOMAT_TITLE)) == "paragraph"
    assert kind_at(blocks, second, second + len(DIPLOMAT_TITLE)) == "boilerplate"
    narrowed = diplomat.text.find("A Narrowed C5+1")
    assert kind_at(blocks, narrowed, narrowed + 15) == "heading"


def test_markdown_headings_and_list_items() -> None:
    text = "## Expanded Security Cooperation\n\n- Leidos will upgrade air traffic control.\n\n###\n"
    blocks = classify_text(text)
    assert [(text[b.start : b.end], b.kind) for b in blocks] == [
        ("## Expanded Security Cooperation", "heading"),
        ("- Leidos will upgrade air traffic control.", "list_item"),
        ("###", "boilerplate"),
    ]


# Lines that are not statements of their document, per corpus file.
NOT_STATEMENTS = {
    DIPLOMAT: [
        "C5+1或5 C1+1:美国中亚政策的新逻辑",
        "Listen to this article",
        DIPLOMAT_TITLE,
        "U.S. President Donald Trump speaks with Kazakh President Kassym-Jomart Tokayev",
        "Credit:\xa0Official White House Photo by Daniel Torok)",
    ],
    SENATE: ["III", "119th CONGRESS", "1st Session", "S. RES. 459", "IN THE SENATE OF THE"],
    SAMARKAND: ["Print", "Category: World News"],
    KAZAKHSTAN: ["MENAFN - U.S. Department of State)"],
    REMARKS: ["###"],
    FOURTH: ["Joint Statement on the Fourth C5+1 Ministerial"],
}
# Lines that say when, where or by whom, not what: quotable, of their own kinds.
DATELINES_AND_SIGNATURES = {
    NEW_YORK: [
        ("September 21, 2023", "dateline"),
        ("President Shavkat Mirziyoyev of the Republic of Uzbekistan", "signature"),
    ],
    REMARKS: [("2:57 P.M. EDT", "dateline"), ("2:59 P.M. EDT", "dateline")],
    FOURTH: [("SEPTEMBER 24, 2019", "dateline")],
}
# Substantive claims, which must never be taken for captions or boilerplate.
CLAIMS = {
    KAZAKHSTAN: [
        "The procurement of $7 billion in Boeing 787-9 widebody aircraft",
        "A $200 million contract awarded to U.S. firm Leidos",
        "DEEPENING U.S. PARTNERSHIP WITH KAZAKHSTAN: President Donald J. Trump met",
    ],
    NEW_YORK: [
        "we will launch a C5+1 Critical Minerals Dialogue",
        "This week, we – the presidents",
    ],
    SENATE: ["November 4, 2025 Committee discharged; considered and agreed to"],
    DIPLOMAT: ["There are no challenges mentioned in the 2025 joint statements"],
    SAMARKAND: ["Washington, DC - The foreign ministers of the Republic of Kazakhstan"],
}


def test_the_whole_corpus_is_labelled_as_a_reader_would() -> None:
    if not CORPUS.is_dir():
        pytest.fail(f"{CORPUS} is missing: these tests are about the real corpus")
    names = sorted(p.name for p in CORPUS.iterdir() if p.suffix in {".txt", ".md"})
    assert len(names) >= 17 and set(NOT_STATEMENTS) | set(CLAIMS) <= set(names)
    for name in names:
        doc = document(name)
        assert doc.blocks and valid(doc)
        for line in NOT_STATEMENTS.get(name, []):
            assert kind_of(doc, line) in B.NOT_CONTENT, (name, line)
        for line, kind in DATELINES_AND_SIGNATURES.get(name, []):
            assert kind_of(doc, line) == kind, (name, line)
        for claim in CLAIMS.get(name, []):
            assert kind_of(doc, claim) in {"paragraph", "list_item"}, (name, claim)
    new_york = document(NEW_YORK)
    assert [new_york.text[b.start : b.end] for b in new_york.blocks if b.kind == "heading"] == (
        NEW_YORK_HEADINGS
    )
    diplomat = document(DIPLOMAT)
    assert kind_of(diplomat, DIPLOMAT_TITLE, occurrence=1) == "boilerplate"


def valid(doc: Document) -> bool:
    """Blocks are ordered, disjoint, trimmed, of a known kind and inside the text."""
    ends = 0
    for block in doc.blocks:
        piece = doc.text[block.start : block.end]
        assert block.kind in B.KINDS and piece and piece == piece.strip(), block
        assert ends <= block.start < block.end <= len(doc.text), block
        ends = block.end
    return True


def test_kind_at_takes_the_containing_block_or_the_largest_share() -> None:
    blocks = (Block(0, 10, "boilerplate"), Block(11, 40, "caption"), Block(50, 60, "heading"))
    assert kind_at(blocks, 2, 5) == "boilerplate"
    assert kind_at(blocks, 5, 30) == "caption"  # across a title line and the caption under it
    assert kind_at(blocks, 42, 48) == "paragraph"  # no block there
    assert kind_at((), 0, 5) == "paragraph"
    assert kind_at((Block(0, 10, "caption"), Block(10, 20, "paragraph")), 5, 15) == "paragraph"


def test_markup_blocks_win_over_inferred_ones() -> None:
    structural = (Block(0, 5, "caption"),)
    inferred = (Block(0, 5, "paragraph"), Block(7, 9, "heading"))
    assert merge(structural, inferred) == (Block(0, 5, "caption"), Block(7, 9, "heading"))


def test_classify_text_keeps_offsets_exact_on_odd_text(tmp_path: Path) -> None:
    text = "  \n\n\t Expanded Security Cooperation  \r\n\n(1)\n\n• \n"
    for block in classify_text(text):
        piece = text[block.start : block.end]
        assert piece == piece.strip() and piece
    assert classify_text("") == () and classify_text("\n\n  \n") == ()
