"""Continuity and change: evidence per period, side by side, with explicit absences.

A question about change is answered period by period (date filters), not from the corpus as a
whole, so a period whose documents are silent on a theme shows up as silent instead of being
crowded out by the talkative ones. The answer keeps the ``Answer`` shape of ``ask``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from c5qa.answer.expected import absence_theme
from c5qa.answer.plain import (
    ABSTAIN_TEXT,
    CHANGE,
    Answer,
    Citation,
    Policy,
    about_change,
    evidence,
    names,
    terms_of,
    unknown_names,
    weighted_share,
)
from c5qa.index.lexical import PUNCTUATION
from c5qa.index.store import IndexStore
from c5qa.retrieve.search import YEAR, Filters, Passage, content_terms

COMMENTARY = ("analysis",)  # document kinds that comment on others rather than speak for a period
# A period's passages are judged against the question without its years, but still with the
# framing no period's text uses ("language on", "the level of"), and the commentary against the
# whole question: both address a theme at a lower share of its terms than a direct answer needs.
PRESENCE_COVERAGE = 0.15
# Or the theme's names hold this share (idf-weighted) of one of the period's passages.
NAMED_SHARE = 0.5
# A further document's best passage joins a period's passages at this share of the period's
# best score; below it, the document is not about the theme.
SPREAD_FLOOR = 0.5


@dataclass(frozen=True)
class Period:
    label: str
    start: str  # inclusive ISO prefix, e.g. "2015"
    end: str

    @property
    def filters(self) -> Filters:
        """The period's own documents: what was said then, not later commentary on it."""
        return Filters(date_from=self.start, date_to=self.end, exclude_kinds=COMMENTARY)


def parse_periods(text: str) -> list[Period]:
    """ "2015-2022,2023,2025-11-07" → three periods. Bounds are ISO date prefixes, so a
    month-only date ("2025-11") falls into its year and its month."""
    date = r"\d{4}(?:-\d{2}){0,2}"
    periods = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        match = re.fullmatch(rf"({date})(?:\s*(?:–|-(?=\d{{4}}\b)|\.\.)\s*({date}))?", part)
        if not match:
            raise ValueError(f"period {part!r} is not DATE or DATE-DATE (DATE: YYYY[-MM[-DD]])")
        start, end = match.group(1), match.group(2) or match.group(1)
        if end[: len(start)] < start[: len(end)]:
            raise ValueError(f"period {part!r} ends before it starts")
        periods.append(Period(part.replace(" ", ""), start, end))
    return periods


def default_periods(store: IndexStore) -> list[Period]:
    """One period per year that has dated documents."""
    years = sorted({d.date[:4] for d in store.documents.values() if d.date[:4].isdigit()})
    return [Period(year, year, year) for year in years]


# The format's beginnings, which no year names: "from the early years through 2023".
_EARLY = re.compile(
    r"\b(?:(?:the |its )?(?:early|first|initial) years|(?:at|from) the (?:outset|start|beginning)|"
    r"in the beginning|initially|originally|at first|"
    r"(?:its|the) (?:founding|inception|early days))\b",
    re.IGNORECASE,
)


# A dated event that stands for its period: "the 2015 Samarkand declaration", "the November
# 2025 Washington summit", "the 2023 leaders' summit", "the April 2021 ministerial".
_MONTH = (
    r"(?i:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)"
)
_EVENT = re.compile(
    rf"\b(?:{_MONTH}\s+)?(?:19|20)\d{{2}}\b(?:\s+(?:[A-Z][\w.’'-]*|(?i:leaders)[’']?))*\s+"
    r"(?i:declarations?|joint statements?|statements?|summits?|ministerials?|meetings?|"
    r"sessions?|readouts?|remarks|resolutions?|fact sheets?|documents?|texts?)\b"
)
# "2015–2022", "2019-2020": one span of years, not two years to set side by side.
_SPAN = re.compile(r"\b((?:19|20)\d{2})\s*[–—-]\s*((?:19|20)\d{2})\b")


def period_free(question: str) -> str:
    """The question without its years, the dated events that stand for them and its words of
    change, for searching within periods. The period filters already do the years' work, and
    left in they pull the passages that themselves compare those years (an analysis weighing
    "2023" against "2025") ahead of the passages about the theme; a period's own event name
    ("the 2023 New York Declaration") is missing from every other period."""
    text = _EVENT.sub(" ", _EARLY.sub(" ", question))
    text = re.sub(rf"\b(?:{_MONTH}\s+)?(?:19|20)\d{{2}}s?\b", " ", text)
    return " ".join(CHANGE.sub(" ", text).split())


def years_in(question: str) -> list[Period]:
    """The periods a question names, in order: one per year ("between 2023 and 2025"), one
    per span ("the early years (2015–2022)")."""
    spans = [sorted(match.groups()) for match in _SPAN.finditer(question)]
    periods = {
        first: Period(f"{first}–{last}" if first < last else first, first, last)
        for first, last in spans
    }
    spanned = {year for span in spans for year in span}
    for year in YEAR.findall(question):
        if year not in spanned:
            periods.setdefault(year, Period(year, year, year))
    return [periods[start] for start in sorted(periods)]


def periods_asked(question: str, store: IndexStore) -> list[Period]:
    """The periods a question names: each year, and "the early years" as everything from the
    first dated document up to the first year named ("2015–2022" before "2023")."""
    periods = years_in(question)
    if not (periods and _EARLY.search(question)):  # the documents are read only then
        return periods
    dated = default_periods(store)
    if dated and dated[0].start < periods[0].start:
        first, last = dated[0].start, str(int(periods[0].start) - 1)
        periods.insert(0, Period(first if first == last else f"{first}–{last}", first, last))
    return periods


def side_by_side(question: str, store: IndexStore) -> list[Period]:
    """The periods a question is answered over, side by side, or [] for a plain answer: a
    question of change that names two periods, or "Does the 2025 statement mention climate
    change?"."""
    periods = periods_asked(question, store)
    if (periods and absence_theme(question)) or (about_change(question) and len(periods) >= 2):
        return periods
    return []


@dataclass(frozen=True)
class Finding:
    period: Period
    present: bool
    passages: tuple[Passage, ...]
    support: float
    coverage: float


def compose_comparison(
    question: str,
    findings: list[Finding],
    answers: list[Answer],
    commentary: Answer | None = None,
    absence: bool = False,
    unused: list[str] | None = None,
) -> Answer:
    """Side by side: per period the best quoted sentences, or a plain statement of absence
    with the closest near-miss and its score."""
    passages: list[Passage] = []
    citations: list[Citation] = []
    lines = []
    for finding, answer in zip(findings, answers, strict=True):
        offset = len(passages)
        passages.extend(finding.passages)
        label = f"**{finding.period.label}:**"
        if not finding.passages:
            lines.append(f"{label} no document in this period.")
            continue
        if finding.present and not answer.abstained:
            shifted = re.sub(
                r"\[(\d+)\]", lambda m, o=offset: f"[{int(m.group(1)) + o}]", answer.text
            )
            lines.append(f"{label} {' '.join(shifted.split(chr(10) * 2))}")
            citations.extend(
                Citation(c.n + offset, c.source, c.start, c.end, c.text, c.score)
                for c in answer.citations
            )
        else:
            near = finding.passages[0]
            lines.append(
                f"{label} no passage in the period's documents addresses this (closest: "
                f"{near.title}, {near.location}, score {near.score:.2f} [{offset + 1}])."
            )
    if absence and findings:
        said = any(f.present for f in findings)
        lines.insert(
            0,
            "**Yes.**"
            if said
            else "**No** — nothing in these documents passes "
            "the match threshold, lexically or by meaning.",
        )
    if commentary is not None and not commentary.abstained and commentary.citations:
        offset = len(passages)
        passages.extend(commentary.passages)
        quoted = " ".join(f"{c.text} [{c.n + offset}]" for c in commentary.citations[:2])
        lines.append(f"**Commentary** ({commentary.passages[0].title}): {quoted}")
        citations.extend(
            Citation(c.n + offset, c.source, c.start, c.end, c.text, c.score)
            for c in commentary.citations[:2]
        )
    if unused:
        lines.append(f"*The documents never use {' or '.join(f'“{w}”' for w in unused)}.*")
    refused = not citations and not absence  # every period silent and no commentary
    if refused:
        lines.insert(0, ABSTAIN_TEXT)
    return Answer(question, "\n\n".join(lines), refused, tuple(passages), tuple(citations))


def unused_names(question: str, store: IndexStore) -> list[str]:
    """The question's names that no document uses, as the question writes them ("B3W")."""
    unknown = set(unknown_names(question, store))
    if not unknown:
        return []
    words = (re.sub(r"['’]s$", "", word.strip(PUNCTUATION)) for word in question.split())
    return list(dict.fromkeys(w for w in words if unknown.intersection(content_terms(w))))


def spread(passages: list[Passage], n: int, floor: float = SPREAD_FLOOR) -> list[Passage]:
    """The ``n`` best passages, then the best passage of each further document that scores
    at least ``floor`` times the period's best: a period speaks through all its documents,
    and two passages of one press release must not hide the founding declaration of the
    same years."""
    chosen = passages[:n]
    heard = {p.source for p in chosen}
    for passage in passages[n:]:
        if passage.source not in heard and passage.score >= floor * passages[0].score:
            chosen.append(passage)
            heard.add(passage.source)
    return chosen


def find(
    question: str,
    query,
    passages: list[Passage],
    store: IndexStore,
    period: Period,
    policy: Policy,
) -> Finding:
    support, coverage, _ = evidence(question, query, passages, store, policy.term_boost)
    # Present by meaning, or lexically: every content word of the theme in one passage. An
    # absence is only claimed when neither finds anything.
    terms = set(content_terms(question))
    literal = bool(terms) and any(terms <= terms_of(store, p.text) for p in passages)
    # Or by its names: "Afghanistan's place in the C5+1 agenda" is about Afghanistan, and a
    # period whose passages name it addresses it, in whatever words ("place", "agenda").
    # A name most passages use ("C5+1": idf below log 2) names nothing in particular.
    weights = {n: store.lexical.idf(n) for n in names(question)}
    named = {n: w for n, w in weights.items() if w > math.log(2)}
    by_name = bool(named) and any(
        weighted_share(named, terms_of(store, p.text)) >= NAMED_SHARE for p in passages
    )
    present = bool(passages) and (
        literal or (support >= policy.min_support and (coverage >= policy.min_coverage or by_name))
    )
    return Finding(period, present, tuple(passages), support, coverage)
