"""Stage 6: ranked passages become a short extractive answer in which every sentence is quoted
verbatim from a passage and followed by that passage's ``[n]`` marker. No LLM: what the answer
says is exactly what the corpus says, or it says plainly that the corpus does not answer.
"""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from c5qa.answer.expected import absence_theme, expected_answer
from c5qa.index.lexical import PUNCTUATION, tokenize
from c5qa.index.store import IndexStore
from c5qa.retrieve.search import YEAR, Passage, content_terms

ABSTAIN_TEXT = (
    "The corpus does not appear to answer this question. The closest material it holds is "
    "listed below, but none of it addresses the question directly."
)


@dataclass(frozen=True)
class Citation:
    """One quoted sentence: ``text == document.text[start:end]`` and it lies in passage ``n``."""

    n: int
    source: str
    start: int
    end: int
    text: str
    score: float


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    abstained: bool
    passages: tuple[Passage, ...]
    citations: tuple[Citation, ...] = ()

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "passages": [p.to_json(n) for n, p in enumerate(self.passages, start=1)],
        }


CHANGE = re.compile(
    r"\b(chang\w*|differ\w*|compar\w*|evolv\w*|shift\w*|over time|since|still|anymore|"
    r"carr(y|ied) over|dropp\w*|kept|continu\w*|between \d{4} and \d{4}|from \d{4} to \d{4}|"
    # the verb, not "economic development"; "new by 2023", "first appear", "show up"
    r"develop(s|ed|ing)?|trac(e|ed|ing)|new (by|in)|first appear\w*|show(s|ed)? up|"
    r"st(ay|ayed|ays) the same)\b",
    re.IGNORECASE,
)


# Two dated things set side by side: "between the Sept 2019 ministerial and the 2020 meetings".
_BETWEEN_DATES = re.compile(
    r"\bbetween\b[^?.;]{0,40}?\b\d{4}\b[^?.;]{0,40}?\band\b[^?.;]{0,40}?\b\d{4}\b",
    re.IGNORECASE,
)


def about_change(question: str) -> bool:
    """Whether a question asks how something developed over time."""
    return bool(CHANGE.search(question) or _BETWEEN_DATES.search(question))


@dataclass(frozen=True)
class Policy:
    """How an answer is chosen. The thresholds are calibrated on the eval set (see README)."""

    max_sentences: int = 5
    min_support: float = 0.40  # best sentence cosine below this: abstain
    min_coverage: float = 0.30  # idf-weighted share of question terms found: below, abstain
    margin: float = 0.15  # keep sentences within this of the best one
    term_boost: float = 0.3  # weight of question-term overlap in a sentence's relevance
    answer_types: bool = True  # "how many", "when": a sentence must hold a figure, a date


@dataclass(frozen=True)
class _Candidate:
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


def _fragment_penalty(text: str) -> float:
    """Lead-ins ("the participants:") say little on their own."""
    stripped = text.rstrip()
    if stripped.endswith(":"):
        return 0.3
    return 0.0


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


def _used(term: str, tokens: Set[str]) -> bool:
    """Whether a text uses a term; "5+1" counts as used where its parts are ("5 + 1")."""
    if term in tokens:
        return True
    parts = [p for p in term.split("+") if p]
    return len(parts) > 1 and all(p in tokens for p in parts)


def weighted_share(terms: dict[str, float], tokens: Set[str]) -> float:
    total = sum(terms.values())
    return sum(w for t, w in terms.items() if _used(t, tokens)) / total if total else 0.0


def _candidates(
    store: IndexStore,
    query: np.ndarray,
    terms: dict[str, float],
    passages: tuple[Passage, ...],
    term_boost: float,
) -> list[_Candidate]:
    seen: set[tuple[str, int, int]] = set()
    out: list[_Candidate] = []
    for n, passage in enumerate(passages, start=1):
        vectors = store.chunk_sentence_vectors(passage.chunk_id)
        for (start, end), vector in zip(passage.sentences, vectors, strict=True):
            key = (passage.source, start, end)
            if key in seen:  # overlapping chunks repeat sentences: cite the better-ranked one
                continue
            seen.add(key)
            similarity = float(vector @ query)
            text = passage.text[start - passage.start : end - passage.start]
            overlap = weighted_share(terms, terms_of(store, text))
            relevance = similarity + term_boost * overlap - _fragment_penalty(text)
            out.append(_Candidate(n, passage, start, end, similarity, relevance, vector))
    return out


def _mmr(candidates: list[_Candidate], limit: int, floor: float, diversity: float = 0.3):
    """Maximal marginal relevance: relevant sentences that do not repeat each other."""
    chosen: list[_Candidate] = []
    pool = [c for c in candidates if c.relevance >= floor]
    while pool and len(chosen) < limit:

        def gain(c: _Candidate) -> float:
            redundancy = max((float(c.vector @ s.vector) for s in chosen), default=0.0)
            return (1 - diversity) * c.relevance - diversity * redundancy

        best = max(pool, key=gain)
        chosen.append(best)
        pool.remove(best)
    return chosen


def names(question: str) -> list[str]:
    """The tokens of the words a question uses as names: capitalised words other than a
    sentence's first, acronyms, and numbers ("Rubio", "NATO", "CASA-1000", "early-2024" → 2024).
    They say which specific thing is asked about, where the other words say what about it."""
    out: list[str] = []
    sentence_start = True
    for word in question.split():
        bare = word.strip(PUNCTUATION)
        named = bool(bare) and (
            (bare.isupper() and len(bare) > 1) or (bare[0].isupper() and not sentence_start)
        )
        out.extend(
            t
            for t in content_terms(bare)
            if len(t) > 1 and (named or any(ch.isdigit() for ch in t))
        )
        sentence_start = word.endswith((".", "?", "!", ":"))
    return out


def unknown_names(question: str, store: IndexStore) -> list[str]:
    """Names in the question that the corpus never uses: a question about NATO, the Belt and Road
    or a 2024 meeting cannot be answered from documents that never mention them, however close
    their topic is. A year counts as known when a document is dated in it; "5+1" when its parts
    occur ("5 + 1"); a stem when a corpus word starts with it ("Tajik" → "Tajikistan")."""
    vocab = store.lexical.bm25.vocab_dict
    vocab_keys = vocab.keys()
    years = {d.date[:4] for d in store.documents.values()}
    unknown = []
    for name in dict.fromkeys(names(question)):
        if _used(name, vocab_keys) or name in years:
            continue
        if name.isalpha() and len(name) >= 4 and any(w.startswith(name) for w in vocab):
            continue
        unknown.append(name)
    return unknown


_DOCUMENT = (
    r"(?:fact sheet|statement|declaration|article|analysis|resolution|readout|remarks|report)"
)
# A document named by its quoted title: "the 'Elevating U.S.-Uzbekistan Relations' fact sheet".
_QUOTED_TITLE = re.compile(
    rf"[\"“‘'](?P<before>[^\"”’']{{12,}})[\"”’']\s+{_DOCUMENT}"
    rf"|\b(?:{_DOCUMENT}|titled|entitled|called)\s+[\"“‘'](?P<after>[^\"”’']{{12,}})[\"”’']",
    re.IGNORECASE,
)


def unheld_document(question: str, store: IndexStore) -> str:
    """The quoted title of a document the question asks about that no document in the corpus
    has, or "": another text that only mentions it (an analysis listing the fact sheets) does
    not answer for its contents. A quote counts as held when a title has 80 % of its words."""
    for match in _QUOTED_TITLE.finditer(question):  # titles are read only for such a question
        quote = match.group("before") or match.group("after")
        words = set(tokenize(quote))
        if len(words) >= 2 and not any(
            len(words & token_set(d.title)) >= 0.8 * len(words) for d in store.documents.values()
        ):
            return quote
    return ""


def mention_answered(question: str, coverage: float) -> bool:
    """ "Does the declaration mention Syria?" is answered by a passage that holds every term of
    the question, however unlike the question its long sentences read."""
    return coverage >= 1.0 and bool(absence_theme(question))


def evidence(
    question: str,
    query: np.ndarray,
    passages: list[Passage],
    store: IndexStore,
    term_boost: float = Policy.term_boost,
) -> tuple[float, float, list[_Candidate]]:
    """(support, coverage, candidate sentences): how well the passages can answer at all.

    Support is the best sentence's cosine with the question; coverage the largest idf-weighted
    share of the question's content terms (not "how", "did": the corpus rarely uses them, so
    their idf is high and they would dominate) that any one passage (with its title) contains —
    a question about something the corpus never mentions ("plov", "tenge") has low coverage
    however similar its topic sounds, and terms scattered over unrelated passages do not add up."""
    terms = {t: store.lexical.idf(t) for t in set(content_terms(question))}
    candidates = _candidates(store, query, terms, tuple(passages), term_boost)
    support = max((c.similarity for c in candidates), default=0.0)
    coverage = (
        max(
            (weighted_share(terms, terms_of(store, f"{p.title} {p.text}")) for p in passages),
            default=0.0,
        )
        if terms
        else 1.0
    )
    return support, coverage, candidates


def _label(passage: Passage) -> str:
    title = passage.title if len(passage.title) <= 60 else passage.title[:59] + "…"
    return f"{passage.date[:4] or 'undated'} {title}".replace("*", "")


def compose(
    question: str,
    query: np.ndarray,
    passages: list[Passage],
    store: IndexStore,
    policy: Policy = Policy(),
) -> Answer:
    passages_t = tuple(passages)
    support, coverage, candidates = evidence(question, query, passages, store, policy.term_boost)
    theme = absence_theme(question)
    if (
        not candidates
        or (support < policy.min_support and not mention_answered(question, coverage))
        or coverage < policy.min_coverage
        or unknown_names(question, store)
    ):
        return Answer(question, ABSTAIN_TEXT, True, passages_t)
    unheld = unheld_document(question, store)
    if unheld:
        text = f"{ABSTAIN_TEXT} It does not hold “{unheld}” itself."
        return Answer(question, text, True, passages_t)
    top = max(c.relevance for c in candidates)
    floor = top - policy.margin
    chosen = _mmr(candidates, policy.max_sentences, floor=floor)
    wanted = expected_answer(question) if policy.answer_types else None
    lead = None  # the sentence that gives what the question asks for, if it asks for something
    if wanted is not None:
        # The first passage is in scope as a whole: the figure, date or name asked for often
        # sits in the sentence next to the one that matches the question best. A question that
        # names a year wants it from that year: Blinken in 2023 did not sign the 2015 text.
        asked_years = set(YEAR.findall(question))
        fitting = [
            c
            for c in candidates
            if (c.relevance >= floor or c.n == 1)
            and wanted.fits(c.text, c.passage.title)
            and (
                not asked_years
                or c.passage.date[:4] in asked_years
                or asked_years.intersection(YEAR.findall(c.text))
            )
        ]
        if not fitting:
            return Answer(question, f"{ABSTAIN_TEXT} It gives no {wanted.what}.", True, passages_t)
        lead = max(fitting, key=lambda c: c.relevance)
    elif theme:  # the sentence that names what "does it mention …" asks about
        named = set(content_terms(theme))
        lead = max(candidates, key=lambda c: (len(named & terms_of(store, c.text)), c.relevance))
    if lead is not None:
        chosen = [lead, *(c for c in chosen if c is not lead)][: policy.max_sentences]
    if about_change(question):  # a story over time reads oldest first, source by source
        ordered = sorted(chosen, key=lambda c: (c.passage.date or "9999", c.n, c.start))
    else:  # the most direct sentence first, then the rest grouped by source
        ordered = [chosen[0], *sorted(chosen[1:], key=lambda c: (c.n, c.start))]
    lines: list[str] = []
    previous_source = None
    # Quotes from several years are labelled with year and document, and read in date order.
    years = {c.passage.date[:4] for c in ordered if c.passage.date}
    labelled = len(years) > 1
    if labelled:
        ordered = sorted(ordered, key=lambda c: (c.passage.date or "9999", c.n, c.start))
    if lead is not None:  # the figure, date or name asked for comes first, with its source
        ordered = [lead, *(c for c in ordered if c is not lead)]
        ordered.sort(key=lambda c: c.passage.source != lead.passage.source)
    for c in ordered:
        sentence = f"{c.text} [{c.n}]"
        if c.passage.source == previous_source:
            lines[-1] += " " + sentence
        elif labelled:
            lines.append(f"**{_label(c.passage)}:** {sentence}")
        else:
            lines.append(sentence)
        previous_source = c.passage.source
    citations = tuple(
        Citation(c.n, c.passage.source, c.start, c.end, c.text, c.relevance) for c in ordered
    )
    return Answer(question, "\n\n".join(lines), False, passages_t, citations)
