"""The documents a question names: "the 2023 New York Declaration", "the Turkmenistan fact
sheet", "the Senate resolution", "the Diplomat article", "the 2025 fact sheets (Kazakhstan,
Turkmenistan)".

A reference is read off the question around a document noun (``patterns.DOCUMENT_NOUN``): the
words before it back to a determiner or preposition, and a complement after it ("of intent",
"(S.Res.459)", "on Afghanistan"). It resolves against each document's identity, the words of
its title, file name, publisher (its first clause: "The Diplomat", "The White House") and kind,
and its date. A document is named when it is of the kind the noun says, dated as the reference
dates it, and uses every name of the reference that any document's identity uses; a plural
noun may spread its names over several documents ("the fact sheets (Kazakhstan,
Turkmenistan)"). Words no identity uses ("main", "headings") say nothing about which document.
A reference whose names no document of its kind has ("the Uzbekistan fact sheet") names none:
the corpus does not hold it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from c5qa.ingest.documents import Document
from c5qa.ingest.tokens import tokenize
from c5qa.query import patterns as p
from c5qa.query.terms import used

# One name for each kind of document noun. For: "the Diplomat article" (its kind is "analysis").
NOUN_NAMES = {"factsheet": "fact sheet", "analysis": "article", "analyse": "article"}

MONTH_NUMBERS = {calendar.month_abbr[n].lower(): f"{n:02d}" for n in range(1, 13)}


def document_noun(match: re.Match[str]) -> str:
    """A DOCUMENT_NOUN match as one singular, lower-case name ("Fact Sheets" → "fact sheet")."""
    word = match.group(0).lower().replace("-", "")
    if p.BILL.match(word):
        return "resolution"
    word = word if word == "remarks" or word.endswith("sis") else word.removesuffix("s")
    return NOUN_NAMES.get(word, "article" if word == "oped" else word)


def month_words(date: str) -> str:
    """The month names of an ISO month ("2021-07" → "July Jul"), which name no document."""
    if len(date) < 7:
        return ""
    number = int(date[5:7])
    return f"{calendar.month_name[number]} {calendar.month_abbr[number]}"


def reference_date(text: str) -> str:
    """The date a reference gives its document, as an ISO prefix ("2021-07", "2023") or ""."""
    dated = p.MONTH_YEAR.search(text)
    if dated:
        return f"{dated.group(2)}-{MONTH_NUMBERS[dated.group(1).lower()[:3]]}"
    year = p.YEAR.search(text)
    return year.group(0) if year else ""


@dataclass(frozen=True)
class Identity:
    """What a document is called: the words a question may name it by, and its date."""

    source: str
    words: frozenset[str]
    nouns: frozenset[str]  # the document nouns its title, file name or kind use ("fact sheet")
    date: str


def identity(document: Document) -> Identity:
    stem = re.sub(r"^[\d-]+_", "", PurePosixPath(document.source).stem)
    publisher = re.split(r"[;(]", document.publisher, maxsplit=1)[0]
    administrations = [m.group(0) for m in p.ADMINISTRATION.finditer(document.publisher)]
    text = " ".join(
        (document.title, stem.replace("-", " "), publisher, document.kind, *administrations)
    )
    nouns = frozenset(document_noun(m) for m in p.DOCUMENT_NOUN.finditer(text))
    return Identity(document.source, frozenset(tokenize(text)), nouns, document.date)


@dataclass(frozen=True)
class Reference:
    """One document reference in a question."""

    noun: str  # singular, lower case ("fact sheet")
    plural: bool
    words: frozenset[str]  # the words around the noun, tokenised
    date: str  # "2023", "2021-07" or ""
    span: tuple[int, int] = (0, 0)  # where the question says it, qualifying words included


def references(question: str) -> list[Reference]:
    """Each document noun of the question with the words that qualify it."""
    found = []
    covered = 0  # the end of the last reference: a noun inside it qualifies that one
    for match in p.DOCUMENT_NOUN.finditer(question):
        if match.start() < covered:  # "the readout of Biden's meeting" is one reference
            continue
        before = p.REFERENCE_BEFORE.search(question[: match.start()])
        after = p.REFERENCE_AFTER.match(question, match.end())
        covered = after.end() if after else match.end()
        head = before.group(0) if before else ""
        tail = after.group(0) if after else ""
        start = before.start() if before else match.start()
        word = match.group(0).lower()
        found.append(
            Reference(
                document_noun(match),
                word.endswith("s") and word not in ("remarks", "analysis"),
                # Without the possessive's "s" ("Biden's remarks").
                frozenset(
                    w for w in tokenize(_eras(f"{head} {match.group(0)} {tail}")) if len(w) > 1
                ),
                reference_date(f"{head} {tail}"),
                (start, covered),
            )
        )
    return found


def _eras(text: str) -> str:
    """ "Biden-era" read as "Biden administration", as a publisher names it."""
    return p.ERA.sub(lambda m: f"{m['name']} administration", text)


# Nouns that name a document of any kind: "the C5+1 cultural heritage document".
ANY_KIND = frozenset(("document", "text"))


def _fits(reference: Reference, document: Identity) -> bool:
    kind = reference.noun in ANY_KIND or reference.noun in document.nouns
    return kind and document.date.startswith(reference.date[:4])


def resolve(reference: Reference, identities: Iterable[Identity]) -> tuple[str, ...]:
    """The documents a reference names (see the module doc), in corpus order. A month narrows
    the documents of its year when any is dated in it (a statement may be issued weeks after
    the meeting it records: "the July 2023 special session", dated August). A meeting noun
    ("the ministerial meeting") names a document only with a date or a name few documents use:
    every joint statement records a meeting."""
    every = list(identities)
    used_by: dict[str, int] = {}
    for document in every:
        for word in document.words:
            used_by[word] = used_by.get(word, 0) + 1
    generic = frozenset(tokenize(f"{reference.noun} {month_words(reference.date)}"))
    names = (reference.words & used_by.keys()) - generic - {reference.date[:4]}
    if tokenize(reference.noun)[0] in p.MEETING_NOUNS and not (
        reference.date or any(used_by[n] <= p.DISTINCTIVE_USES for n in names)
    ):
        return ()
    candidates = [d for d in every if _fits(reference, d)]
    sources = _named(names, candidates, reference.plural)
    in_month = [
        s
        for s in sources
        if any(d.source == s and d.date.startswith(reference.date) for d in every)
    ]
    return tuple(in_month) or sources


def _named(names: frozenset[str], candidates: list[Identity], plural: bool) -> tuple[str, ...]:
    whole = [d.source for d in candidates if names <= d.words]
    if whole or not plural:
        return tuple(whole)
    spread = [d for d in candidates if names & d.words]
    covered = frozenset().union(*(names & d.words for d in spread)) if spread else frozenset()
    return tuple(d.source for d in spread) if spread and covered == names else ()


@dataclass(frozen=True)
class Naming:
    """The documents a question names, and the question without the words that name them:
    what it asks of those documents ("when was the C5+1 format inaugurated?" of "According to
    the 2021 virtual ministerial statement, when was …"). The naming words say where to look;
    left in, they rank the sentences that repeat them (the statement's own "met … 2021
    virtually in the C5+1 format") above the one that answers."""

    sources: tuple[str, ...]
    rest: str


def named_documents(question: str, identities: Iterable[Identity], limit: int) -> Naming:
    """The documents the question names. A reference that fits more than ``limit`` documents
    ("the statements") names nothing in particular, and its words stay in ``rest``."""
    every = list(identities)
    named: dict[str, None] = {}
    parts, cursor = [], 0  # the question, less the naming words of each resolved reference
    for reference in references(question):
        sources = resolve(reference, every)
        if sources and len(sources) <= limit:
            named.update(dict.fromkeys(sources))
            start, end = max(reference.span[0], cursor), reference.span[1]
            parts += [
                question[cursor:start],
                _unnamed(question[start:end], reference, sources, every),
            ]
            cursor = end
    parts.append(question[cursor:])
    return Naming(tuple(named), " ".join("".join(parts).split()))


def _unnamed(
    span: str, reference: Reference, sources: tuple[str, ...], every: list[Identity]
) -> str:
    """A reference's words less those that name its documents (their identity's words, as
    parts too: "5+1" where the title says "5 + 1"; the noun; the date): "cite as an" stays of
    "the 2025 C5+1 cultural heritage statement of intent cite as an", since a reference's
    complement reaches past its name."""
    naming = frozenset(tokenize(reference.noun)) | {reference.date[:4]}
    naming |= frozenset().union(*(d.words for d in every if d.source in sources))
    if len(reference.date) >= 7:  # "Sept 2023": any spelling of a month names the date
        naming |= p.MONTH_WORDS
    kept = [
        w
        for w in span.split()
        if not (tokenize(w) and all(used(t, naming) for t in tokenize(_eras(w))))
    ]
    return f" {' '.join(kept)} "
