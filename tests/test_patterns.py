"""Every rule in ``c5qa.query.patterns`` on the question it exists for, and on a near miss.

A row names the rule, a text it must match (usually the very question its "For:" comment
names), a text it must not match, and for a regex with named groups what it must capture.
Regexes are applied the way their callers apply them (``PERIOD`` whole, ``MENTION`` from the
start, the rest anywhere); a word list matches a text when every token of the text is in it
and misses one when none is.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from c5qa.ingest.tokens import tokenize
from c5qa.query import patterns as p

# The builder functions, built as their callers build them (``expected._speaker``,
# ``expected._holder``).
BUILT = {
    "speaker_label": p.speaker_label("Japarov"),
    "office_holder": p.office_holder("Secretary"),
}
# How callers apply a regex when it is not ``search``.
APPLIED = {
    "PERIOD": "fullmatch",
    "MENTION": "match",
    "PASSIVE_MENTION": "match",
    "REFERENCE_AFTER": "match",
}

ROWS = [
    # (rule, must match, must not match, named groups the match captures)
    (
        "YEAR",
        "Which Secretary of State attended the 2023 Astana ministerial?",
        "Which Secretary of State attended the 12023 Astana ministerial?",
        {},
    ),
    ("QUESTION_WORDS", "How has it said anything", "Afghanistan place changed", {}),
    (
        "FOCUS",
        "On what day did the ministers meet?",
        "What did the ministers say on the day?",
        {"focus": "day"},
    ),
    ("LIGHT_VERBS", "took", "takeover", {}),
    ("ITEM_VERBS", "list listed named", "threats", {}),
    ("MONTH_WORDS", "Feb Sept November", "Astana ministerial", {}),
    ("ORDINAL_WORDS", "third fourth", "C5+1 ministerial", {}),
    ("EVENT_WORDS", "ministerial summit", "third Samarkand", {}),
    ("ORDINAL_OTHERS", "anniversary", "tenth summit", {}),
    ("ASKED_ONLY", "took listed", "threats", {}),
    # A question without its question mark is still one; a SciFact claim is not.
    ("IS_QUESTION", "Which officials took part", "Type 2 diabetes takes a toll on the body", {}),
    ("WRITTEN_ACRONYM", "the TIFA focus of 2019", "the C5+1 focus of the year", {}),
    ("POSSESSIVE", "B3W's", "B3Ws", {}),
    (
        "CHANGE",
        "How did security cooperation change between 2023 and 2025?",
        # The noun is a theme, not a question of change.
        "What did the 2023 declaration say about economic development?",
        {},
    ),
    (
        "BETWEEN_DATES",
        "between the Sept 2019 New York ministerial and the 2020 meetings",
        "What was signed between Kazakhstan and the US in 2023?",
        {},
    ),
    ("EARLY", "from the early years through 2023", "their early-2020 statement", {}),
    ("DATED_EVENT", "the 2015 Samarkand declaration", "the Samarkand declaration of 2015", {}),
    ("DATED_YEAR", "Sept 2019", "order 12019", {}),
    ("YEAR_SPAN", "2015–2022", "2015 and 2022", {}),
    ("PERIOD", "2015-2022", "2023-13-99x", {}),
    (
        "MENTION",
        "Does the New York Declaration mention Syria at all?",
        "What did the New York Declaration say about Syria?",
        {"theme": "Syria at all"},
    ),
    (
        "PASSIVE_MENTION",
        "Was Covid-19 discussed at the C5+1 roundtable in Tashkent in July 2021?",
        "Was the roundtable in Tashkent in July 2021?",
        {"theme": "Covid-19"},
    ),
    ("THEME_FILLER", "Syria at all", "Syria", {}),
    (
        "THEME_SCOPE",
        "Afghanistan in his remarks or in the White House readout",
        "Afghanistan in the region",
        {},
    ),
    (
        "DOCUMENT_NOUN",
        "Does the Turkmenistan fact sheet mention Afghanistan?",
        "Does Turkmenistan mention Afghanistan?",
        {},
    ),
    ("MEETING_NOUNS", "ministerial meeting", "declaration statement", {}),
    ("BILL", "Does S.Res.459 say anything about human rights?", "Does the S.Res say anything?", {}),
    # Applied to the question before a document noun.
    ("REFERENCE_BEFORE", "Does the 2015 Samarkand ", "Does the ", {}),
    # Applied from the end of a document noun.
    ("REFERENCE_AFTER", " (S.Res.459) mention critical minerals", " mention critical minerals", {}),
    (
        "MONTH_YEAR",
        "the roundtable in Tashkent in July 2021",
        "the roundtable in Tashkent in 2021",
        {},
    ),
    (
        "PHOTO",
        "Who is credited with the photo of Trump in the Diplomat article?",
        "Who is credited with the Boeing deal?",
        {},
    ),
    (
        "CHANGE_CLASS",
        "What is new in 2025 compared with 2023?",
        "What changed between 2023 and 2025?",
        {"new": "new"},
    ),
    ("CHANGE_NOUNS", "commitments priorities", "security cooperation", {}),
    (
        "ADMINISTRATION",
        "The White House (Biden administration; archived at bidenwhitehouse.archives.gov)",
        "U.S. Department of State; retrieved from MENAFN republication",
        {"name": "Biden"},
    ),
    (
        "ERA",
        "What changed between the Biden-era declaration and the 2025 summit?",
        "What does A New Era in U.S.-Kazakhstan Relations list?",
        {"name": "Biden"},
    ),
    (
        "SUMMIT",
        "What changed between the 2023 New York Declaration and the 2025 summit?",
        "What did the summit in 2023, and the 2025 statements, say?",
        {"year": "2025"},
    ),
    (
        "TOTAL",
        "What was the total dollar value of all the deals?",
        "What was the dollar value of the Boeing deal?",
        {},
    ),
    ("SIGNER", "And who signed for Kyrgyzstan?", "Which deals did Kazakhstan sign?", {}),
    (
        "FOR_PARTY",
        "signed on behalf of the Kyrgyz Republic",
        "Who signed the New York Declaration?",
        {},
    ),
    (
        "CLOCK",
        "2:57 P.M. EDT",
        "the 2025 summit",
        {},
    ),
    (
        "PLACE",
        "Where and at what time did Biden deliver his remarks?",
        "What did Biden say where the leaders met?",
        {},
    ),
    (
        "LIST",
        "Which commercial deals did Kazakhstan announce with US companies?",
        "Which company won the air traffic contract?",
        {},
    ),
    (
        "SUMMARY",
        "What does the Senate resolution on the C5+1 say?",
        "What does the Senate resolution say about Afghanistan?",
        {},
    ),
    (
        "AMONG",
        "Which of those is about critical minerals?",
        "Which deal is about critical minerals?",
        {},
    ),
    (
        "STANDS_FOR",
        "What does the acronym TRIPP stand for?",
        "What does the TRIPP route stand for?",
        {"acronym": "TRIPP"},
    ),
    (
        "HEADINGS",
        "what are the section headings of the 2023 New York Declaration?",
        "What is the headline of the Diplomat article?",
        {},
    ),
    (
        "QUOTED_TITLE",
        "List the deals in the 'Elevating U.S.-Uzbekistan Relations' fact sheet.",
        "List the deals in the Elevating U.S.-Uzbekistan Relations fact sheet.",
        {"before": "Elevating U.S.-Uzbekistan Relations", "after": None},
    ),
    (
        "HOW_MANY",
        "How many locomotives are in Kazakhstan's Wabtec order?",
        "How much is the Wabtec order worth?",
        {"rest": "locomotives are in Kazakhstan's Wabtec order"},
    ),
    (
        "HOW_MUCH",
        "How much uranium will Kazakhstan sell?",
        "How many tons of uranium will Kazakhstan sell?",
        {"next": "uranium"},
    ),
    (
        "VALUE",
        "What was the total dollar value of the deals?",
        "Which deals had the most value?",
        {},
    ),
    ("DOLLARS", "$25 million of security funding", "25 million dollars of funding", {}),
    ("MONEY_WORDS", "dollars", "security", {}),
    ("NUMBER_WORDS", "six", "appears times", {}),
    # A scale makes a figure; a plain number word does not.
    ("SCALE_WORDS", "billion", "six", {}),
    (
        "WHEN",
        "At what time did Biden speak?",
        "Where was the resolution adopted?",
        {"unit": "time"},
    ),
    (
        "DATE",
        "The Senate adopted S. Res. 459 on November 4, 2025.",
        "The Senate adopted S. Res. 459 by unanimous consent.",
        {},
    ),
    ("OFFICE_OR_HONORIFIC", "President Japarov", "Japarov, the president", {}),
    (
        "SPOKE",
        "What did President Japarov say in his speech at the 2023 summit?",
        "What did the leaders say in their speeches?",
        {"who": "President Japarov "},
    ),
    (
        "SPEAKING",
        "In his remarks, what did Biden say about security?",
        "What did Biden sign?",
        {},
    ),
    ("SPEECH_VERBS", "highlighted", "Biden met", {}),
    (
        "HOLDER",
        "Which U.S. Secretary of State travelled to Samarkand?",
        "Which Secretaries of State travelled to Samarkand?",
        {"office": "Secretary of State"},
    ),
    ("speaker_label", "JAPAROV: Thank you", "Japarov said: thank you", {}),
    (
        "office_holder",
        "Secretary of State Blinken attended.",
        "the Secretary of State of the United States attended.",
        {},
    ),
]


def _match(name: str, text: str) -> re.Match[str] | None:
    rule = BUILT.get(name) or getattr(p, name)
    return getattr(rule, APPLIED.get(name, "search"))(text)


def _words(name: str, text: str) -> list[bool]:
    """For each token of ``text``, whether the word list ``name`` holds it."""
    tokens = tokenize(text)
    assert tokens, f"{text!r} has no tokens to look up"
    return [t in getattr(p, name) for t in tokens]


@pytest.mark.parametrize(("name", "hit", "miss", "captured"), ROWS, ids=[row[0] for row in ROWS])
def test_each_rule_matches_its_question_and_not_a_near_miss(
    name: str, hit: str, miss: str, captured: dict[str, str | None]
) -> None:
    if isinstance(getattr(p, name, None), frozenset):
        assert all(_words(name, hit)), f"{name} lacks a word of {hit!r}"
        assert not any(_words(name, miss)), f"{name} holds a word of the near miss {miss!r}"
        return
    found = _match(name, hit)
    assert found, f"{name} does not match {hit!r}"
    assert not _match(name, miss), f"{name} matches the near miss {miss!r}"
    assert {key: found.group(key) for key in captured} == captured


def _rules() -> set[str]:
    """The module's public rules: compiled regexes, word lists and builder functions."""
    names = set()
    for name, value in vars(p).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (re.Pattern, frozenset)) or (
            inspect.isfunction(value) and value.__module__ == p.__name__
        ):
            names.add(name)
    return names


def test_every_rule_has_a_row() -> None:
    """A rule added to ``patterns`` without a row here fails until it gets one."""
    rows = [row[0] for row in ROWS]
    assert len(rows) == len(set(rows)), "a rule has two rows"
    assert set(rows) == _rules()


def _for_comments() -> dict[str, str]:
    """What the source says above each module-level assignment (its comment lines, directly
    above) and in each function's docstring."""
    source = Path(p.__file__).read_text(encoding="utf-8")
    lines = source.splitlines()
    said: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            comment = []
            row = node.lineno - 2  # the line above, 0-based
            while row >= 0 and lines[row].lstrip().startswith("#"):
                comment.insert(0, lines[row].lstrip("# "))
                row -= 1
            said[node.targets[0].id] = " ".join(comment)
        elif isinstance(node, ast.FunctionDef):
            said[node.name] = ast.get_docstring(node) or ""
    return said


def test_every_rule_names_the_question_it_exists_for() -> None:
    """Each rule's comment (or docstring) says "For:" and quotes the question that failed
    without it, so that nobody has to guess why a rule is there before changing it."""
    said = _for_comments()
    missing = sorted(
        name for name in _rules() if not re.search(r"For:\s*[\"“]", said.get(name, ""))
    )
    assert not missing, f'rules without a "For:" comment quoting their question: {missing}'
