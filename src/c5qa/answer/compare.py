"""Continuity and change: evidence per period, side by side, with explicit absences.

A question about change is answered period by period (date filters), not from the corpus as a
whole, so a period whose documents are silent on a theme shows up as silent instead of being
crowded out by the talkative ones. Analysis pieces (commentary) are searched with the whole
question and quoted apart. The result is an ``Answer`` like any other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from c5qa.answer.plain import (
    ABSTAIN_TEXT,
    COMMON_NAME_IDF,
    compose,
    evidence,
    terms_of,
    weighted_share,
)
from c5qa.answer.types import Answer, Quote, Section
from c5qa.index.store import IndexStore
from c5qa.query.analysis import Question
from c5qa.query.expected import theme_words
from c5qa.query.request import COMMENTARY, Filters, Period
from c5qa.query.terms import Terms
from c5qa.retrieve.search import Passage, Query
from c5qa.retrieve.searcher import Searcher
from c5qa.settings import Settings

NO_DOCUMENT = "no document in this period."
SILENT = "no passage in the period's documents addresses this"


@dataclass(frozen=True)
class Finding:
    """A period's passages and whether they address the theme."""

    period: Period
    present: bool
    passages: tuple[Passage, ...]
    support: float
    coverage: float


def spread(passages: list[Passage], n: int, floor: float) -> list[Passage]:
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


def judging(settings: Settings) -> Settings:
    """A period's passages are judged against the question without its years, but still with
    the framing no period's text uses ("language on", "the level of"), and the commentary
    against the whole question: both address a theme at a lower share of its terms than a
    direct answer needs."""
    return settings.replace(min_coverage=min(settings.min_coverage, settings.presence_coverage))


def find(
    terms: Terms,
    query: Query,
    passages: list[Passage],
    store: IndexStore,
    period: Period,
    settings: Settings,
) -> Finding:
    """Whether ``passages`` address the theme: by meaning and coverage, lexically (every
    content word of the theme in one passage), or by its names ("Afghanistan's place in the
    C5+1 agenda" is about Afghanistan, and a period whose passages name it addresses it, in
    whatever words). An absence is only claimed when none finds anything."""
    bar = judging(settings)
    found = evidence(terms.terms, query.vector, passages, store, bar)
    words = set(terms.terms)
    literal = bool(words) and any(words <= terms_of(store, p.text) for p in passages)
    weights = {n: store.lexical.idf(n) for n in terms.names}
    named = {n: w for n, w in weights.items() if w > COMMON_NAME_IDF}
    by_name = bool(named) and any(
        weighted_share(named, terms_of(store, p.text)) >= settings.named_share for p in passages
    )
    present = bool(passages) and (
        literal
        or (found.support >= bar.abstain_below and (found.coverage >= bar.min_coverage or by_name))
    )
    return Finding(period, present, tuple(passages), found.support, found.coverage)


def findings(
    searcher: Searcher,
    store: IndexStore,
    query: Query,
    periods: Sequence[Period],
    k: int,
    mode: str | None,
) -> list[Finding]:
    """Each period's passages and whether they address the query, judged on what was
    searched: the question without its years and words of change, which no single period
    holds."""
    settings = searcher.settings
    per_period = max(settings.period_passages, -(-k // len(periods)))
    out = []
    for period in periods:
        candidates = searcher.passages(store, query, 3 * per_period, period.filters, mode)
        passages = spread(candidates, per_period, settings.spread_floor)
        out.append(find(query.terms, query, passages, store, period, settings))
    return out


def _period_section(finding: Finding, answer: Answer, offset: int) -> Section:
    label = finding.period.label
    if not finding.passages:
        return Section(label, note=NO_DOCUMENT)
    if finding.present and not answer.abstained:
        return Section(label, parts=tuple(s.shifted(offset) for s in answer.sections))
    return Section(label, note=SILENT, closest=offset + 1)


def _commentary(commentary: Answer, offset: int, limit: int) -> Section | None:
    quotes: tuple[Quote, ...] = commentary.citations[:limit]
    if commentary.abstained or not quotes:
        return None
    caption = commentary.passages[0].title
    return Section("Commentary", tuple(q.shifted(offset) for q in quotes), caption=caption)


def naming(
    finding: Finding, answer: Answer, theme: Question, store: IndexStore, settings: Settings
) -> Finding:
    """A yes/no question's period or document says "yes" only through a quoted sentence
    that names the subject: at least ``subject_share`` of the theme's idf-weighted terms. A
    fact sheet about Turkmenistan is close in meaning to "the travel ban on Turkmen citizens"
    without saying a word about it."""
    weights = {t: store.lexical.idf(t) for t in set(theme.asks.terms)}
    named = max(
        (weighted_share(weights, terms_of(store, q.text)) for q in answer.citations), default=0.0
    )
    return dataclasses.replace(finding, present=finding.present and named >= settings.subject_share)


def verdict_lead(question: Question, found: list[Finding], searched: int) -> tuple[str, str]:
    """A yes/no question's verdict, and a lead that states only what the search did: which
    of the documents searched (``searched`` in all, in the documents or periods named) have a
    quoted sentence that names the theme. The quotes that follow say what they say; the
    rendering puts the verdict ("Yes.", "No —") before the lead."""
    theme = theme_words(question.theme)
    present = [f.period.label for f in found if f.present]
    labels = ", ".join(f.period.label for f in found)
    if searched == 1:
        said = "mentions" if present else "does not mention"
        return ("yes" if present else "no"), f"{labels} {said} “{theme}”."
    if not present:
        return "no", f"None of the {searched} documents searched ({labels}) mentions “{theme}”."
    if all(f.period.sources for f in found):  # one document each
        count = "Both" if len(found) == len(present) == 2 else f"{len(present)} of the {len(found)}"
        return "yes", f"{count} documents searched mention “{theme}”: {', '.join(present)}."
    return "yes", f"Documents dated {', '.join(present)} mention “{theme}”."


def side_by_side(
    question: Question,
    about: Question,
    found: list[Finding],
    answers: list[Answer],
    commentary: Answer,
    absence: bool,
    settings: Settings,
    searched: int = 0,
) -> Answer:
    """Per period the best quoted sentences, or a plain statement of absence with the closest
    near miss and its score; then the commentary. A yes/no question about a mention gets its
    verdict first; when every period is silent and no commentary speaks, the answer abstains
    (still listing each period's closest passage)."""
    passages: list[Passage] = []
    sections: list[Section] = []
    for finding, answer in zip(found, answers, strict=True):
        sections.append(_period_section(finding, answer, len(passages)))
        passages.extend(finding.passages)
    said = _commentary(commentary, len(passages), settings.commentary_passages)
    if said is not None:
        passages.extend(commentary.passages)
        sections.append(said)
    notes = (f"The documents never use {' or '.join(f'“{w}”' for w in about.unused)}.",)
    quoted = any(s.all_quotes() for s in sections)
    if absence and found:
        verdict, lead = verdict_lead(question, found, searched)
    elif quoted:
        verdict = "answered" if all(f.present for f in found) else "partial"
        lead = ""
    else:
        verdict, lead = "abstained", ABSTAIN_TEXT
    kept = notes if about.unused else ()
    return Answer(question.text, verdict, lead, tuple(sections), tuple(passages), kept)


def compare(
    question: Question,
    about: Question,
    queries: tuple[Query, Query],
    periods: Sequence[Period],
    searcher: Searcher,
    store: IndexStore,
    k: int,
    mode: str | None,
) -> Answer:
    """``about`` is what the quotes answer (the question, or the theme of "does it mention");
    ``queries[0]`` searches each period, and its terms judge them; ``queries[1]`` searches the
    commentary, which weighs periods against each other and so is found by the whole question,
    years included."""
    settings = searcher.settings
    query, across = queries
    found = findings(searcher, store, query, periods, k, mode)
    quoting = settings.replace(abstain_below=0.0, min_coverage=0.0)
    answers = [compose(about, query.vector, f.passages, store, quoting, typed=False) for f in found]
    near = searcher.passages(
        store, across, settings.commentary_passages, Filters(kinds=COMMENTARY), mode
    )
    commentary = compose(about, across.vector, near, store, judging(settings))
    # Answering a theme apart from the question is how a yes/no question about a mention is
    # answered: its verdict comes first.
    absence = about is not question
    if absence:
        found = [naming(f, a, about, store, settings) for f, a in zip(found, answers, strict=True)]
    searched = sum(
        1 for d in store.documents.values() for period in periods if period.filters.admits(d)
    )
    return side_by_side(question, about, found, answers, commentary, absence, settings, searched)
