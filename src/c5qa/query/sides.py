"""The two sides of a diff ("what changed between A and B"): a period ("2023", "2015-2022",
"2025-11") or documents (a source's file name, a reference such as "the New York
Declaration", or words of a title: "A New Era"). Each resolves to a ``Period``: a span of dates
(the documents dated in it, commentary aside) or the documents named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from c5qa.index.store import IndexStore
from c5qa.ingest.tokens import tokenize
from c5qa.query import patterns as p
from c5qa.query.analysis import Corpus, documents_apart, uses_name
from c5qa.query.named import named_documents, references, resolve
from c5qa.query.request import BadRequest, Period, parse_periods


def side(text: str, corpus: Corpus, limit: int) -> Period:
    """``text`` as a period or as the documents it names; a ``BadRequest`` when it is
    neither, or names more than ``limit`` documents (then it names nothing in particular)."""
    value = " ".join(text.split())
    if p.PERIOD.fullmatch(value):
        return parse_periods(value, limit=1)[0]
    by_source = {i.source: i for i in corpus.identities}
    if value in by_source:
        return Period(value, "", "", (value,))
    sources = _named(value, corpus, limit)
    if not sources:
        raise BadRequest(
            f"{value!r} is neither a period (such as 2023, 2015-2022 or 2025-11) nor a "
            "document of the corpus (a file name, or words of its title)"
        )
    return Period(value, "", "", sources)


def _named(value: str, corpus: Corpus, limit: int) -> tuple[str, ...]:
    """The documents a reference names ("New York Declaration", "the Kazakhstan fact sheet"),
    else those whose title, file name or publisher use every word of ``value``. Unlike a
    question's reference, a side's uses all its words: "the Belt and Road declaration" is no
    declaration of the corpus."""
    words = set(tokenize(value))
    naming = named_documents(
        value if value.lower().startswith("the ") else f"the {value}", corpus.identities, limit
    )
    identities = {i.source: i for i in corpus.identities}
    named = frozenset().union(*(identities[s].words for s in naming.sources))
    if naming.sources and all(uses_name(w, named) for w in words):
        return naming.sources
    found = tuple(i.source for i in corpus.identities if words and words <= i.words)
    return found if len(found) <= limit else ()


# How much of its documents' titles a side's label quotes.
TITLE_CHARS = 60


def asked_sides(
    question: str,
    periods: Sequence[Period],
    named: Sequence[str],
    store: IndexStore,
    corpus: Corpus,
) -> tuple[Period, ...]:
    """The two sides of a question of change, earliest first: each period's documents the
    question names ("the 2023 New York Declaration"), else its summit's day when it names one
    ("the 2025 summit": the day most of the year's documents were issued), else the period;
    and the named documents no period holds, one side per year ("the Biden-era declaration")."""
    summits = {m.group("year") for m in p.SUMMIT.finditer(question)}
    documents = store.documents
    called = _called(question, corpus)
    sides = []
    for period in periods:
        own = [s for s in named if period.filters.admits(documents[s])]
        if own:
            sides.append(_named_side(period.label, own, store, called))
        elif period.start == period.end and period.start in summits:
            sides.append(_summit(period, store))
        else:
            sides.append(period)
    dates = {s: d.date for s, d in documents.items()}
    for group in documents_apart(periods, named, dates):
        sides.append(_named_side(documents[group[0]].date[:4], group, store, called))
    return tuple(sorted(sides, key=lambda side: _first_date(side, store)))


def _called(question: str, corpus: Corpus) -> dict[str, str]:
    """What the question calls each document it names ("2023 New York Declaration")."""
    called: dict[str, str] = {}
    for reference in references(question):
        words = question[reference.span[0] : reference.span[1]].strip(" ,")
        for source in resolve(reference, corpus.identities):
            called.setdefault(source, words)
    return called


def _named_side(
    year: str, sources: Sequence[str], store: IndexStore, called: dict[str, str]
) -> Period:
    """A side of documents the question names, labelled as the question calls them with
    their dates ("the 2023 New York Declaration (2023-09-21)"), else by their titles."""
    dates = sorted({store.documents[s].date for s in sources if store.documents[s].date})
    when = f" ({dates[0]}{f' to {dates[-1]}' if len(dates) > 1 else ''})" if dates else ""
    names = {called.get(s, "") for s in sources}
    if len(names) == 1 and "" not in names:
        return Period(f"the {names.pop()}{when}", "", "", tuple(sources))
    titles = "; ".join(store.documents[s].title for s in sources)
    titles = titles if len(titles) <= TITLE_CHARS else titles[: TITLE_CHARS - 1] + "…"
    return Period(f"the {year} {titles}".replace("  ", " "), "", "", tuple(sources))


def _first_date(side: Period, store: IndexStore) -> str:
    dates = [store.documents[s].date for s in side.sources if store.documents[s].date]
    return min(dates) if side.sources and dates else side.start


def _summit(period: Period, store: IndexStore) -> Period:
    days = Counter(
        d.date for d in store.documents.values() if len(d.date) == 10 and period.filters.admits(d)
    )
    if not days:
        return period
    day = max(sorted(days), key=lambda d: days[d])
    return Period(f"the {period.label} summit ({day})", day, day)
