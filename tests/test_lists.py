"""Lists answered from the document's structure, on the real corpus and index."""

from __future__ import annotations

from c5qa.answer.lists import item_run
from c5qa.answer.render import markdown
from c5qa.app.service import Service
from c5qa.ingest.blocks import Block
from tests.conftest import KAZAKHSTAN, NEW_YORK, NEW_YORK_HEADINGS, SAMARKAND


def _bullets(answer) -> list[str]:
    return [
        q.text for s in answer.sections for part in s.parts if part.bulleted for q in part.quotes
    ]


def test_the_deals_are_the_items_after_their_lead_in_across_chunks(
    corpus_service: Service,
) -> None:
    """The six paragraphs of deals of the Kazakhstan fact sheet (the last holds two), each a
    bullet citing a passage that holds it, although retrieval returned only some of their
    chunks (#15: "no deal and no figure")."""
    answer = corpus_service.ask(
        "Which commercial deals did Kazakhstan announce with US companies at the Nov 2025 "
        "summit, and how much was each worth?"
    )
    bullets = _bullets(answer)
    assert len(bullets) == 6
    for figure in ("$7 billion", "$4.2 billion", "$1.1 billion", "$200 million", "$250 million"):
        assert sum(figure in b for b in bullets) == 1, figure
    for quote in answer.citations:
        passage = answer.passages[quote.n - 1]
        assert passage.source == KAZAKHSTAN and passage.start <= quote.start < quote.end
        assert quote.end <= passage.end and passage.text.find(quote.text) >= 0
    assert "\n- The procurement of $7 billion in Boeing" in markdown(answer)


def test_a_document_named_answers_with_its_own_list(corpus_service: Service) -> None:
    answer = corpus_service.ask(
        "List the commitments the foreign ministers declared in the 2015 Samarkand declaration."
    )
    assert {answer.passages[q.n - 1].source for q in answer.citations} == {SAMARKAND}
    assert len(_bullets(answer)) == 7
    assert answer.citations[0].text.endswith("declare their commitment to:")


def test_headings_come_from_the_document_structure(corpus_service: Service) -> None:
    answer = corpus_service.ask("what are the section headings of the 2023 New York Declaration?")
    assert _bullets(answer) == NEW_YORK_HEADINGS
    assert {answer.passages[q.n - 1].source for q in answer.citations} == {NEW_YORK}


def test_signatories_come_from_the_signature_block(corpus_service: Service) -> None:
    """Everyone who signed is the document's signature block, one bullet each (#15); who
    signed for one party asks for no list."""
    answer = corpus_service.ask(
        "Who signed the New York Declaration? I need all six leaders' names."
    )
    assert len(_bullets(answer)) == 6 and "Japarov" in _bullets(answer)[1]
    assert {answer.passages[q.n - 1].source for q in answer.citations} == {NEW_YORK}
    one = corpus_service.ask(
        "Who signed the New York Declaration on behalf of the Kyrgyz Republic?"
    )
    assert not _bullets(one)


def test_a_question_without_a_list_in_its_passages_gets_the_plain_answer(
    corpus_service: Service,
) -> None:
    """No lead-in precedes the Sherwood-Randall meetings: a run of paragraphs is no list."""
    answer = corpus_service.ask("Which officials did Sherwood-Randall meet in Tashkent?")
    assert not _bullets(answer)


def test_a_run_ends_at_the_next_lead_in_or_section() -> None:
    text = "Intro:\nA one.\nB two.\nNEXT SECTION: more.\nC three."
    starts = [0, 7, 14, 21, 41]
    ends = [6, 13, 20, 40, len(text)]
    blocks = [Block(s, e, "paragraph") for s, e in zip(starts, ends, strict=True)]
    assert item_run(blocks, 2, text, 450) == (0, blocks[1:3])
    assert item_run(blocks, 4, text, 450) == (3, blocks[4:])
    # No lead-in before: not a list.
    assert item_run(blocks[1:3], 1, text, 450) == (0, [])
    # A block longer than an item is prose: the list ends before it.
    assert item_run(blocks, 2, text, 6) == (0, blocks[1:3])
    assert item_run(blocks, 2, text, 5) == (0, [])


def test_a_bulleted_item_is_quoted_without_its_bullet(corpus_service: Service) -> None:
    """The 2020 Tashkent statement's "• Strengthening mutual trust…": the answer sets its own
    bullet, so the quote starts after the document's."""
    answer = corpus_service.ask(
        "what priority areas did the participants set out in the 2020 Tashkent ministerial "
        "joint statement?"
    )
    bullets = _bullets(answer)
    assert len(bullets) >= 4 and bullets[0].startswith("Strengthening mutual trust")
    assert not [b for b in bullets if b.startswith(("•", "-", "*"))]
