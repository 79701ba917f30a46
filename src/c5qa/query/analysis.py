"""A question is read once, into a ``Question``: what it is about, what kind of answer it
wants, which periods it sets side by side, what it names that the corpus never uses, and which
earlier question a follow-up continues. Every later stage reads these fields instead of the
question's words, so a rule about questions has one home (this module and ``patterns``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from c5qa.index.store import IndexStore
from c5qa.ingest.blocks import CAPTION, DATELINE, HEADING, SIGNATURE
from c5qa.ingest.tokens import PUNCTUATION, tokenize
from c5qa.query import patterns as p
from c5qa.query.expected import Expected, absence_theme, expected_answer
from c5qa.query.named import Identity, Naming, identity, named_documents
from c5qa.query.request import Message, Period, message_text
from c5qa.query.terms import Terms, content_terms, read, used
from c5qa.settings import Settings


@dataclass(frozen=True)
class Corpus:
    """What question analysis needs to know of the documents: the words they use, the years
    they are dated in, their titles' words, what each is called (to resolve "the Senate
    resolution")."""

    vocabulary: Collection[str]
    years: frozenset[str]  # first four characters of every document's date ("" if undated)
    titles: tuple[frozenset[str], ...]
    identities: tuple[Identity, ...] = ()
    events: frozenset[str] = frozenset()  # the numbered events its documents name (``numbered``)

    @classmethod
    def of(cls, store: IndexStore) -> Corpus:
        documents = store.documents.values()
        return cls(
            store.lexical.vocabulary,
            frozenset(d.date[:4] for d in documents),
            tuple(frozenset(tokenize(d.title)) for d in documents),
            tuple(identity(d) for d in documents),
            frozenset().union(*(e for d in documents for e in numbered(f"{d.title} {d.text}"))),
        )

    def periods(self) -> list[Period]:
        """One period per year that has dated documents."""
        return [Period(y, y, y) for y in sorted(y for y in self.years if y.isdigit())]


# How much longer a name may be than the word a text uses for it: "Uzbekistan" is the
# documents' "Uzbek" ("the Uzbek side") with its five letters more.
NAME_SUFFIX = 5


def uses_name(name: str, words: Collection[str]) -> bool:
    """Whether a text with these words uses a name: as it is, in parts ("5 + 1" for "5+1"), or
    as a stem or the stem of it: "Tajik" is used where "Tajikistan" is, and "Kyrgyzstan" where
    only "the Kyrgyz Republic" is."""
    if used(name, words):
        return True
    if not (name.isalpha() and len(name) >= 4):
        return False
    return any(
        w.startswith(name)
        or (len(w) >= 5 and name.startswith(w) and len(name) - len(w) <= NAME_SUFFIX)
        for w in words
    )


# How many words may stand between an ordinal and the event it numbers: "first-ever C5+1
# Presidential Summit", "fourth Ministerial and sixth ministerial-level meeting".
EVENT_WINDOW = 4


def numbered(text: str) -> list[frozenset[str]]:
    """The numbered events a text names, one set per ordinal that numbers any: each event
    word within ``EVENT_WINDOW`` words after it and before what else it may number, as
    "ordinal event" ("fourth ministerial"; "first ministerial" and "first meeting" for "first
    C5+1 ministerial meeting")."""
    words = tokenize(text)
    found = []
    for i, word in enumerate(words):
        if word not in p.ORDINAL_WORDS:
            continue
        after = words[i + 1 : i + 1 + EVENT_WINDOW]
        # "tenth-anniversary summit": the ordinal numbers the anniversary, not the summit.
        other = next((j for j, w in enumerate(after) if w in p.ORDINAL_OTHERS), len(after))
        events = frozenset(f"{word} {w}" for w in after[:other] if w in p.EVENT_WORDS)
        if events:
            found.append(events)
    return found


def unknown_events(question: str, corpus: Corpus) -> list[str]:
    """The numbered events a question names that no document numbers so, as it writes them:
    "third C5+1 ministerial", where the documents record the fourth."""
    unknown = [min(events).split() for events in numbered(question) if not events & corpus.events]
    written = (
        re.search(rf"\b{ordinal}\b(?:\W+\S+?){{0,{EVENT_WINDOW}}}?\W+{event}\w*", question, re.I)
        for ordinal, event in unknown
    )
    return [
        match.group(0) if match else " ".join(pair)
        for match, pair in zip(written, unknown, strict=True)
    ]


def unknown_names(names: Sequence[str], corpus: Corpus) -> list[str]:
    """Names that the corpus never uses (``uses_name``): a question about NATO, the Belt and
    Road or a 2024 meeting cannot be answered from documents that never mention them, however
    close their topic is. A year counts as known when a document is dated in it, and a month
    always: "Feb 28 2023" dates a statement that writes "February"."""
    return [
        name
        for name in dict.fromkeys(names)
        if not (name in corpus.years or name in p.MONTH_WORDS or uses_name(name, corpus.vocabulary))
    ]


def unused_names(question: str, unknown: Sequence[str]) -> list[str]:
    """The words of ``question`` holding an unknown name, as the question writes them ("B3W")."""
    if not unknown:
        return []
    words = (p.POSSESSIVE.sub("", word.strip(PUNCTUATION)) for word in question.split())
    return list(dict.fromkeys(w for w in words if set(unknown).intersection(content_terms(w))))


def unheld_document(question: str, corpus: Corpus) -> str:
    """The quoted title of a document the question asks about that no document in the corpus
    has, or "": another text that only mentions it (an analysis listing the fact sheets) does
    not answer for its contents. A quote counts as held when a title has 80 % of its words."""
    for match in p.QUOTED_TITLE.finditer(question):
        quote = match.group("before") or match.group("after")
        words = set(tokenize(quote))
        if len(words) >= 2 and not any(len(words & t) >= 0.8 * len(words) for t in corpus.titles):
            return quote
    return ""


def about_change(question: str) -> bool:
    """Whether a question asks how something developed over time."""
    return bool(p.CHANGE.search(question) or p.BETWEEN_DATES.search(question))


def period_free(question: str) -> str:
    """The question without its years, the dated events that stand for them and its words of
    change, for searching within periods. The period filters already do the years' work, and
    left in they pull the passages that themselves compare those years (an analysis weighing
    "2023" against "2025") ahead of the passages about the theme; a period's own event name
    ("the 2023 New York Declaration") is missing from every other period."""
    text = p.DATED_EVENT.sub(" ", p.EARLY.sub(" ", question))
    text = p.DATED_YEAR.sub(" ", text)
    return " ".join(p.CHANGE.sub(" ", text).split())


def years_in(question: str) -> list[Period]:
    """The periods a question names, in order: one per year ("between 2023 and 2025"), one
    per span ("the early years (2015–2022)")."""
    spans = [sorted(match.groups()) for match in p.YEAR_SPAN.finditer(question)]
    periods = {
        first: Period(f"{first}–{last}" if first < last else first, first, last)
        for first, last in spans
    }
    spanned = {year for span in spans for year in span}
    for year in p.YEAR.findall(question):
        if year not in spanned:
            periods.setdefault(year, Period(year, year, year))
    return [periods[start] for start in sorted(periods)]


def periods_asked(question: str, corpus: Corpus) -> list[Period]:
    """The periods a question names: each year, and "the early years" as everything from the
    first dated document up to the first year named ("2015–2022" before "2023")."""
    periods = years_in(question)
    if not (periods and p.EARLY.search(question)):
        return periods
    dated = corpus.periods()
    if dated and dated[0].start < periods[0].start:
        first, last = dated[0].start, str(int(periods[0].start) - 1)
        periods.insert(0, Period(first if first == last else f"{first}–{last}", first, last))
    return periods


def side_by_side(question: str, corpus: Corpus) -> list[Period]:
    """The periods a question is answered over, side by side, or [] for a plain answer: a
    question of change that names two periods, or "Does the 2025 statement mention climate
    change?"."""
    periods = periods_asked(question, corpus)
    if (periods and absence_theme(question)) or (about_change(question) and len(periods) >= 2):
        return periods
    return []


def documents_apart(
    periods: Sequence[Period], sources: Sequence[str], dates: Mapping[str, str]
) -> list[tuple[str, ...]]:
    """The named documents that no named period holds, one group per year: each group is a
    side of a diff ("the New York Declaration" against "the 2025 summit"; "the 2025 fact
    sheets" are one side)."""
    groups: dict[str, list[str]] = {}
    for source in sources:
        date = dates.get(source, "")
        if not any(date and p.start <= date[: len(p.start)] <= p.end for p in periods):
            groups.setdefault(date[:4], []).append(source)
    return [tuple(group) for group in groups.values()]


def asks_overall(question: str, naming: Naming, periods: Sequence[Period], corpus: Corpus) -> bool:
    """Whether a question asks what changed overall between two sides (two periods, a period
    and a document, two documents) with no topic of its own: the words left once the sides'
    names, the words of change and the classes asked for (``CHANGE_CLASS``) are taken out
    name no more than what any document says (``CHANGE_NOUNS``)."""
    asked = about_change(question) or p.CHANGE_CLASS.search(naming.rest)
    rest = period_free(p.CHANGE_CLASS.sub(" ", naming.rest))
    dates = {i.source: i.date for i in corpus.identities}
    sides = len(periods) + len(documents_apart(periods, naming.sources, dates))
    return bool(asked) and sides == 2 and set(read(rest).terms) <= p.CHANGE_NOUNS


def asked_class(naming: Naming) -> str:
    """The class of a diff a question asks for first ("new", "dropped", "continued"), or ""."""
    match = p.CHANGE_CLASS.search(naming.rest)
    return next((k for k, v in match.groupdict().items() if v), "") if match else ""


def previous_question(history: Sequence[Message]) -> str:
    """The last question the user asked before this one: what a follow-up is about."""
    for message in reversed(history):
        if message.get("role") == "user":
            text = message_text(message.get("content")).strip()
            if text:
                return text
    return ""


def clean(text: str) -> str:
    """Questions are untrusted input: no control characters, runs of spaces as one."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text or "").split())


def mostly_non_latin(text: str) -> bool:
    """Cyrillic, Chinese, Arabic…: scripts whose words cannot match English documents."""
    letters = [ch for ch in text if ch.isalpha()]
    return sum(ord(ch) > 0x24F for ch in letters) > len(letters) / 2


@dataclass(frozen=True)
class Question:
    """A question as every stage reads it."""

    text: str  # cleaned and cut to length
    asks: Terms  # the whole question
    kind: str  # number, date, person, expansion, mention, change or fact
    wanted: Expected | None  # what a sentence must hold to answer it
    theme: str  # "Does X mention THEME?"
    theme_terms: tuple[str, ...]  # the theme's content terms
    change: bool  # asks how something developed
    # Asks what changed overall between the two sides it names, with no topic of its own
    # ("What changed between 2023 and 2025?"): answered by a diff (answer/diff.py), its
    # ``periods`` then being the periods named (one when the other side is a document).
    overall: bool
    diff_class: str  # the diff's class it asks for first ("What is new in 2025…?"), or ""
    periods: tuple[Period, ...]  # answered side by side over these, or () for a plain answer
    within: Terms  # searched within each period: without years, dated events, words of change
    previous: str  # the earlier question a follow-up continues, or ""
    # Its names that the corpus never uses (as tokens), and the numbered events no document
    # numbers so (as written: "third C5+1 ministerial").
    unknown: tuple[str, ...]
    unused: tuple[str, ...]  # the same, as the question writes them
    unheld: str  # the quoted title of a document the corpus does not hold
    documents: tuple[str, ...]  # the sources it names ("the Turkmenistan fact sheet")
    topic: Terms  # what it asks of them: the question without the words naming them
    # For a follow-up that names none: those its previous question named ("What did the 2015
    # Samarkand declaration commit to?" → "what did it say about Paris?").
    earlier: tuple[str, ...]
    listing: bool  # asks for several things: answered with a list's items
    # The kind of block a document lists what it asks for in: its headings (its sections),
    # its signature block (who signed); "" when the list is in its text.
    structure: str
    summary: bool  # asks what a document says as a whole
    among: bool  # a follow-up that picks among what the previous answer listed
    # The kinds of block that are no statement but hold what it asks for (``quotable_kinds``).
    quotable: frozenset[str]
    where: bool  # asks where something took place, which a dateline's place line may say
    truncated: bool  # only its first max_chars were used
    non_latin: bool  # mostly in a script the documents do not use
    # A follow-up answered from the documents of the turn it continues (set by the answerer,
    # which may search to find them): its words and its previous question's say what it means.
    narrowed: bool = False

    @property
    def empty(self) -> bool:
        return not any(ch.isalnum() for ch in self.text)


def quotable_kinds(text: str) -> frozenset[str]:
    """The blocks that are no statement of a document but hold what the question asks for: a
    photo's caption describes the photo, a dateline says when and where ("2:57 P.M. EDT",
    "United Nations Headquarters"), a signature block who signed. A follow-up ("And for
    Tajikistan?") asks for what its previous question did."""
    kinds = {CAPTION} if p.PHOTO.search(text) else set()
    if p.WHEN.search(text) or p.PLACE.search(text):
        kinds.add(DATELINE)
    if p.SIGNER.search(text):
        kinds.add(SIGNATURE)
    return frozenset(kinds)


def asks_signatories(text: str) -> bool:
    """Whether a question asks for everyone who signed ("Who signed the New York
    Declaration?"), not for the one who signed for a party."""
    signer = p.SIGNER.search(text)
    return signer is not None and not p.FOR_PARTY.search(text, signer.end())


def _structure(text: str) -> str:
    """The kind of block whose blocks are the list the question asks for, or ""."""
    if p.HEADINGS.search(text):
        return HEADING
    return SIGNATURE if asks_signatories(text) else ""


def _kind(wanted: Expected | None, theme: str, change: bool) -> str:
    if wanted is not None:
        return wanted.kind
    return "mention" if theme else "change" if change else "fact"


def documents_named(question: str, theme: str, corpus: Corpus | None, limit: int) -> Naming:
    """The documents a question names; for "Does X mention THEME?", those X names (the theme
    "the Afghanistan session" is what is looked for, not where)."""
    if corpus is None:
        return Naming((), question)
    scope = question.replace(theme, " ") if theme else question
    naming = named_documents(scope, corpus.identities, limit)
    # The theme is what is asked: it stays in the rest.
    return Naming(naming.sources, f"{naming.rest} {theme}" if theme else naming.rest)


def _earlier(previous: str, corpus: Corpus | None, limit: int) -> tuple[str, ...]:
    if not (previous and corpus):
        return ()
    return documents_named(previous, absence_theme(previous), corpus, limit).sources


def analyze(
    text: str,
    history: Sequence[Message],
    corpus: Corpus | None,
    max_chars: int,
    max_named: int = Settings.max_named_documents,
) -> Question:
    """Read a question once. ``corpus`` None reads it without the documents (no unknown names,
    no periods, no documents named), for a question that will not be searched."""
    whole = clean(text)
    cleaned = whole[:max_chars]
    asks = read(cleaned)
    theme = absence_theme(cleaned)
    wanted = expected_answer(cleaned)
    change = about_change(cleaned)
    unknown = unknown_names(asks.names, corpus) if corpus else []
    events = unknown_events(cleaned, corpus) if corpus else []
    naming = documents_named(cleaned, theme, corpus, max_named)
    named_periods = periods_asked(cleaned, corpus) if corpus else []
    overall = (
        corpus is not None and not theme and asks_overall(cleaned, naming, named_periods, corpus)
    )
    periods = tuple(named_periods if overall else side_by_side(cleaned, corpus)) if corpus else ()
    within = read(period_free(cleaned))
    return Question(
        text=cleaned,
        asks=asks,
        kind=_kind(wanted, theme, change),
        wanted=wanted,
        theme=theme,
        theme_terms=tuple(content_terms(theme)),
        change=change,
        periods=periods,
        within=within,
        overall=overall,
        diff_class=asked_class(naming) if overall else "",
        previous=previous_question(history),
        unknown=(*unknown, *events),
        unused=(*unused_names(cleaned, unknown), *events),
        unheld=unheld_document(cleaned, corpus) if corpus else "",
        documents=naming.sources,
        topic=read(naming.rest) if naming.sources else asks,
        earlier=_earlier(previous_question(history), corpus, max_named),
        listing=bool(p.LIST.search(cleaned)) or asks_signatories(cleaned),
        structure=_structure(cleaned),
        summary=bool(p.SUMMARY.search(cleaned)),
        among=bool(history) and bool(p.AMONG.search(cleaned)),
        quotable=quotable_kinds(cleaned) | quotable_kinds(previous_question(history)),
        where=bool(p.PLACE.search(cleaned)),
        truncated=len(whole) > max_chars,
        non_latin=mostly_non_latin(cleaned),
    )


def mention_answered(question: Question, coverage: float) -> bool:
    """ "Does the declaration mention Syria?" is answered by a passage that holds every term of
    the question, however unlike the question its long sentences read; so is "what did it say
    about Paris?" about the declaration the previous turn asked about."""
    return coverage >= 1.0 and (bool(question.theme) or question.narrowed)


def judged_terms(question: Question) -> tuple[str, ...]:
    """The terms a passage is judged against: a narrowed follow-up's with its previous
    question's ("Is there a condition on that?" is about the pipeline asked about before)."""
    if question.narrowed:
        return (*question.asks.terms, *read(question.previous).terms)
    return question.asks.terms


def ranked_terms(question: Question) -> tuple[str, ...]:
    """The terms sentences are ranked by: what the question asks of the documents it names,
    not the words naming them, which their every sentence may repeat (whether the passages
    answer at all is still judged with every word: ``judged_terms``)."""
    return question.topic.terms


def context_terms(question: Question) -> tuple[str, ...]:
    """The terms that rank a narrowed follow-up's sentences at a share of their weight
    (``Settings.context_term_weight``): its previous question's, which say what is talked
    about, while the follow-up's own say what is asked ("Who joined her on the trip?" is not
    "Who led the US delegation to Tashkent?", whose answer would lead again)."""
    return read(question.previous).terms if question.narrowed else ()
