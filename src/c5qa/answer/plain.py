"""Stage 6: ranked passages become a short extractive answer in which every sentence is quoted
verbatim from a passage and followed by that passage's ``[n]`` marker. No LLM: what the answer
says is exactly what the corpus says, or it says plainly that the corpus does not answer.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath

import numpy as np

from c5qa.answer.lists import list_answer
from c5qa.answer.summary import summary_answer
from c5qa.answer.types import Answer, Quote, Section, abstention, label
from c5qa.index.store import IndexStore
from c5qa.ingest.blocks import DATELINE, NOT_CONTENT, QUOTED_WHEN_ASKED, introduces, kind_at
from c5qa.ingest.tokens import tokenize
from c5qa.query.analysis import (
    Question,
    context_terms,
    judged_terms,
    mention_answered,
    ranked_terms,
    unused_names,
    used,
    uses_name,
)
from c5qa.query.expected import DEFINITIVE
from c5qa.query.patterns import MONTH_WORDS, YEAR
from c5qa.retrieve.search import Passage, make_passage
from c5qa.settings import Settings

ABSTAIN_TEXT = (
    "The corpus does not appear to answer this question. The closest material it holds is "
    "listed below, but none of it addresses the question directly."
)


# A name most passages use ("C5+1": idf below log 2) names nothing in particular.
COMMON_NAME_IDF = math.log(2)


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, scored against the question."""

    n: int
    passage: Passage
    start: int
    end: int
    similarity: float
    relevance: float
    vector: np.ndarray

    @property
    def text(self) -> str:
        offset = self.passage.start
        return self.passage.text[self.start - offset : self.end - offset]

    def quote(self) -> Quote:
        return Quote(self.n, self.passage.source, self.start, self.end, self.text, self.relevance)


@lru_cache(maxsize=65_536)
def token_set(text: str) -> frozenset[str]:
    """A passage's or sentence's terms. The same passages come back question after question
    (the chat's topics recur), and tokenising them was the answer stage's largest cost."""
    return frozenset(tokenize(text))


def terms_of(store: IndexStore, text: str) -> frozenset[str]:
    """A text's terms as a question's are matched against them: a long form the corpus
    defines an acronym for counts as that acronym ("Trade and Investment Framework Agreement"
    answers "TIFA")."""
    return store.acronyms.expand(text, token_set(text))


def weighted_share(terms: dict[str, float], tokens: Collection[str]) -> float:
    total = sum(terms.values())
    return sum(w for t, w in terms.items() if used(t, tokens)) / total if total else 0.0


def _candidates(
    store: IndexStore,
    query: np.ndarray,
    terms: dict[str, float],
    passages: Sequence[Passage],
    settings: Settings,
    hidden: frozenset[str],
) -> list[Candidate]:
    seen: set[tuple[str, int, int]] = set()
    out: list[Candidate] = []
    for n, passage in enumerate(passages, start=1):
        vectors = store.chunk_sentence_vectors(passage.chunk_id)
        blocks = store.documents[passage.source].blocks
        for (start, end), vector in zip(passage.sentences, vectors, strict=True):
            key = (passage.source, start, end)
            # Overlapping chunks repeat sentences: cite the better-ranked one. A photo caption,
            # a bill header or a wire credit is never quoted as what a document says.
            if key in seen or kind_at(blocks, start, end) in hidden:
                continue
            seen.add(key)
            similarity = float(vector @ query)
            text = passage.text[start - passage.start : end - passage.start]
            overlap = weighted_share(terms, terms_of(store, text))
            # Lead-ins ("the participants:", "That the Senate—") say little on their own.
            fragment = settings.fragment_penalty if introduces(text) else 0.0
            relevance = similarity + settings.term_boost * overlap - fragment
            out.append(Candidate(n, passage, start, end, similarity, relevance, vector))
    return out


def _mmr(candidates: list[Candidate], limit: int, floor: float, diversity: float):
    """Maximal marginal relevance: relevant sentences that do not repeat each other."""
    chosen: list[Candidate] = []
    pool = [c for c in candidates if c.relevance >= floor]
    while pool and len(chosen) < limit:

        def gain(c: Candidate) -> float:
            redundancy = max((float(c.vector @ s.vector) for s in chosen), default=0.0)
            return (1 - diversity) * c.relevance - diversity * redundancy

        best = max(pool, key=gain)
        chosen.append(best)
        pool.remove(best)
    return chosen


@dataclass(frozen=True)
class Evidence:
    """How well passages can answer at all. ``support`` is the best sentence's cosine with the
    question; ``coverage`` the largest idf-weighted share of the question's content terms (not
    "how", "did": the corpus rarely uses them, so their idf is high and they would dominate)
    that any one passage (with its title) contains — a question about something the corpus
    never mentions ("plov", "tenge") has low coverage however similar its topic sounds, and
    terms scattered over unrelated passages do not add up."""

    support: float
    coverage: float
    candidates: list[Candidate]


def evidence(
    terms: Sequence[str],
    query: np.ndarray,
    passages: Sequence[Passage],
    store: IndexStore,
    settings: Settings,
    hidden: frozenset[str] = NOT_CONTENT,
    context: Sequence[str] = (),
) -> Evidence:
    """``hidden``: the kinds of block whose sentences are not quoted (captions, boilerplate);
    ``context``: terms that count at ``context_term_weight`` of their idf (``context_terms``)."""
    share = settings.context_term_weight
    weights = {t: share * store.lexical.idf(t) for t in set(context)}
    weights.update({t: store.lexical.idf(t) for t in set(terms)})
    candidates = _candidates(store, query, weights, passages, settings, hidden)
    support = max((c.similarity for c in candidates), default=0.0)
    return Evidence(support, coverage(weights, passages, store), candidates)


def coverage(weights: dict[str, float], passages: Sequence[Passage], store: IndexStore) -> float:
    """The largest idf-weighted share of the terms that one passage, with its title, holds."""
    if not weights:
        return 1.0
    return max(
        (weighted_share(weights, terms_of(store, f"{p.title} {p.text}")) for p in passages),
        default=0.0,
    )


def _refusal(question: Question, found: Evidence, settings: Settings, own: float) -> str:
    """Why the passages do not answer, or "" when they may. ``own``: the coverage of the
    question's own terms (a narrowed follow-up is judged with its previous question's too).
    A sentence that passes a definitive check ("…Peace and Prosperity (TRIPP)") answers
    however unlike the question it reads."""
    wanted = question.wanted
    defined = (
        wanted is not None
        and wanted.kind in DEFINITIVE
        and any(wanted.fits(c.text, c.passage.title) for c in found.candidates)
    )
    if (
        not found.candidates
        or (
            found.support < settings.abstain_below
            and not (mention_answered(question, own) or defined)
        )
        or found.coverage < settings.min_coverage
        or question.unknown
    ):
        return ABSTAIN_TEXT
    if question.unheld:
        return f"{ABSTAIN_TEXT} It does not hold “{question.unheld}” itself."
    return ""


def _preferred(question: Question, fitting: list[Candidate], store: IndexStore) -> Candidate | None:
    """Of the sentences that fit a preference (a signature line for "who signed"), however
    they rank, the one that names most of the question's names: "President Sadyr Japarov of
    the Kyrgyz Republic" for who signed for Kyrgyzstan, not the best-ranked line."""
    names = set(question.asks.names)

    def named(c: Candidate) -> int:
        return sum(uses_name(n, terms_of(store, c.text)) for n in names)

    return max(fitting, key=lambda c: (named(c), c.relevance), default=None)


def _lead(
    question: Question, found: Evidence, floor: float, store: IndexStore, typed: bool
) -> Candidate | str | None:
    """The sentence that gives what the question asks for (a figure, a date, a name, the
    mention asked about), None when it asks for nothing in particular, or the refusal when no
    sentence gives it. The first passage is in scope as a whole: the figure asked for often
    sits next to the sentence that matches the question best; and a sentence that fits and
    ranks above one admitted so is admitted too ("The establishment of the C5+1 Secretariat in
    2022" over the first passage's "since its launch in 2015"). A question that names a year
    wants it from that year: Blinken in 2023 did not sign the 2015 text."""
    wanted = question.wanted if typed else None
    if wanted is not None:
        years = set(question.asks.years)
        fitting = [
            c
            for c in found.candidates
            if wanted.fits(c.text, c.passage.title)
            and (
                not years or c.passage.date[:4] in years or years.intersection(YEAR.findall(c.text))
            )
        ]
        if not wanted.required:
            return _preferred(question, fitting, store)
        admitted = [c.relevance for c in fitting if c.relevance >= floor or c.n == 1]
        if not admitted:
            return f"{ABSTAIN_TEXT} It gives no {wanted.what}."
        return max(fitting, key=lambda c: c.relevance)
    if question.theme:
        named = set(question.theme_terms)
        return max(
            found.candidates, key=lambda c: (len(named & terms_of(store, c.text)), c.relevance)
        )
    return None


def _dated(
    question: Question, lead: Candidate, candidates: list[Candidate], store: IndexStore
) -> list[Candidate]:
    """The lead, or when it is a line of a dateline, the dateline's lines that give what the
    question asks, in the document's order: its date and times ("2:57 P.M. EDT … 2:59 P.M.
    EDT" for when Biden started and finished), and its place when asked where ("United Nations
    Headquarters / New York, New York")."""
    blocks = store.documents[lead.passage.source].blocks
    wanted = question.wanted
    if wanted is None or kind_at(blocks, lead.start, lead.end) != DATELINE:
        return [lead]
    lines = {
        (c.start, c.end): c
        for c in candidates
        if c.passage.source == lead.passage.source
        and kind_at(blocks, c.start, c.end) == DATELINE
        and (wanted.fits(c.text, "") or question.where)
    }
    return [lines[span] for span in sorted(lines)]


def _order(chosen: list[Candidate], opening: list[Candidate], change: bool) -> list[Candidate]:
    """A story over time reads oldest first, source by source. Otherwise, and for a story
    that asks for a figure, date or name, the answer opens with what the question asks for
    (``opening``: that figure, date or name, else the most direct sentence); the rest follow
    grouped by source, in date order when they span several years."""
    if change and not opening:
        return sorted(chosen, key=lambda c: (c.passage.date or "9999", c.n, c.start))
    first = opening or chosen[:1]
    rest = [c for c in chosen if c not in first]
    if len({c.passage.date[:4] for c in chosen if c.passage.date}) > 1:
        rest.sort(key=lambda c: (c.passage.date or "9999", c.n, c.start))
    else:
        rest.sort(key=lambda c: (c.n, c.start))
    # The lead's own source continues it before the others.
    rest.sort(key=lambda c: c.passage.source != first[0].passage.source)
    return [*first, *rest]


def _sections(ordered: list[Candidate]) -> tuple[Section, ...]:
    """One section per run of quotes from one source; labelled with year and title when the
    quotes span several years."""
    labelled = len({c.passage.date[:4] for c in ordered if c.passage.date}) > 1
    runs: list[list[Candidate]] = []
    for c in ordered:
        if runs and runs[-1][-1].passage.source == c.passage.source:
            runs[-1].append(c)
        else:
            runs.append([c])
    return tuple(
        Section(
            label(run[0].passage.date, run[0].passage.title) if labelled else "",
            tuple(c.quote() for c in run),
        )
        for run in runs
    )


def _listed(
    question: Question,
    query: np.ndarray,
    kept: tuple[Passage, ...],
    found: Evidence,
    store: IndexStore,
    settings: Settings,
    hidden: frozenset[str],
) -> Answer | None:
    """The list a question asks for (``answer/lists.py``). The documents it names are read
    whole, not only their retrieved passages: a list's lead-in ("…by taking the following
    actions:") may sit in a chunk retrieval ranked below the preamble."""
    candidates = found.candidates
    if question.documents:
        scope = [
            make_passage(store, chunk_id, 0.0)
            for source in question.documents
            for chunk_id in range(*store.ranges[source])
        ][: settings.max_list_chunks]
        candidates = evidence(question.asks.terms, query, scope, store, settings, hidden).candidates
    ranked = [(c.passage.source, c.start, c.relevance) for c in candidates]
    floor = max(c.relevance for c in found.candidates) - settings.answer_margin
    listed = list_answer(question, ranked, kept, store, settings, floor)
    if listed is None:
        return None
    source = listed.citations[0].source
    missing = unused_names(question.text, foreign_names(question, source, store))
    if not missing:
        return listed
    words = " or ".join(f"“{w}”" for w in missing)
    title = store.documents[source].title
    why = f"{ABSTAIN_TEXT} The list that comes closest, in “{title}”, never mentions {words}."
    return abstention(question.text, why, kept)


def foreign_names(question: Question, source: str, store: IndexStore) -> list[str]:
    """The question's names of things (words, not numbers or months, that few passages use)
    that a document never uses, in its text, title, publisher or file name: a list of deals
    from the Kazakhstan fact sheet does not answer "What deals did Uzbekistan sign?", however
    well its other words match. ("US" is its documents' "U.S.": dots do not count; a name is
    used by its stem, as everywhere: ``uses_name``.)"""
    d = store.documents[source]
    stem = PurePosixPath(source).stem.replace("-", " ").replace("_", " ")
    tokens = set(token_set(f"{d.text} {d.title} {d.publisher} {stem}"))
    tokens |= {t.replace(".", "") for t in tokens}
    return [
        n
        for n in dict.fromkeys(question.asks.names)
        if n.isalpha()
        and n not in MONTH_WORDS
        and store.lexical.idf(n) > COMMON_NAME_IDF
        and not uses_name(n, tokens)
    ]


def _leading(
    question: Question, found: Evidence, store: IndexStore, settings: Settings, typed: bool
) -> tuple[Evidence, float, Candidate | str | None]:
    """The sentences an answer is drawn from, their relevance floor and its lead. A question
    that names documents is answered from them when their passages are among those found and
    give what it asks for: "In his remarks after the meeting, what did Biden say?" is not
    answered by the readout of the meeting, nor "the Turkmenistan fact sheet" by commentary
    about it; "how many times does 'challenges' appear in the New York Declaration according
    to the Diplomat piece?" is answered by the piece."""
    floor = max(c.relevance for c in found.candidates) - settings.answer_margin
    named = [
        c
        for c in found.candidates
        if c.passage.source in question.documents and c.relevance >= floor
    ]
    if named:
        own = dataclasses.replace(found, candidates=named)
        lead = _lead(question, own, floor, store, typed)
        if not isinstance(lead, str):
            return own, floor, lead
    return found, floor, _lead(question, found, floor, store, typed)


def compose(
    question: Question,
    query: np.ndarray,
    passages: Sequence[Passage],
    store: IndexStore,
    settings: Settings,
    typed: bool = True,
    judge: np.ndarray | None = None,
) -> Answer:
    """The answer from ``passages``, or an abstention that says why. ``typed`` False leaves
    out the check of what kind of answer the question wants (a period's quotes in a
    side-by-side answer, where presence was judged already). ``judge``, when given, is the
    vector whether to answer at all is judged with (a narrowed follow-up's, with its previous
    question), while ``query`` ranks the sentences."""
    kept = tuple(passages)
    # Only a question about a picture is answered by its caption, about a date or place by a
    # dateline, about who signed by a signature block.
    hidden = (NOT_CONTENT | QUOTED_WHEN_ASKED) - question.quotable
    ranked = ranked_terms(question)
    found = evidence(ranked, query, kept, store, settings, hidden, context_terms(question))
    judged = found
    if judge is not None or question.topic != question.asks:
        # Whether to answer is judged with another vector or other terms than the ranking.
        vector = query if judge is None else judge
        judged = evidence(judged_terms(question), vector, kept, store, settings, hidden)
    own = judged.coverage
    if question.narrowed:
        own = coverage({t: store.lexical.idf(t) for t in set(question.asks.terms)}, kept, store)
    refusal = _refusal(question, judged, settings, own)
    if refusal:
        return abstention(question.text, refusal, kept)
    if question.listing and typed:
        listed = _listed(question, query, kept, found, store, settings, hidden)
        if listed is not None:
            return listed
    if question.summary and typed:
        summed = summary_answer(question, kept, store, settings)
        if summed is not None:
            return summed
    candidates = found.candidates  # every sentence found, a dateline's lines among them
    found, floor, lead = _leading(question, found, store, settings, typed)
    if isinstance(lead, str):
        return abstention(question.text, lead, kept)
    chosen = _mmr(found.candidates, settings.answer_sentences, floor, settings.answer_diversity)
    opening = [] if lead is None else _dated(question, lead, candidates, store)
    chosen = [*opening, *(c for c in chosen if c not in opening)][: settings.answer_sentences]
    ordered = _order(chosen, opening, question.change)
    return Answer(question.text, "answered", "", _sections(ordered), kept)
