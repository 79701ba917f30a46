"""Which answerer a question gets: a plain extractive answer, or periods side by side (a
question of change naming periods, or "does the 2025 statement mention …"); and what the
person should know about their question itself (cut to length, in another script)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from c5qa.answer.compare import compare
from c5qa.answer.diff import compared, diff
from c5qa.answer.followup import among_items
from c5qa.answer.plain import compose, token_set
from c5qa.answer.types import Answer, abstention, label
from c5qa.index.store import IndexStore
from c5qa.query.analysis import Corpus, Question, analyze, uses_name
from c5qa.query.request import Filters, Period, Request
from c5qa.query.sides import asked_sides
from c5qa.query.terms import read
from c5qa.retrieve.search import Passage, Query
from c5qa.retrieve.searcher import Searcher

NOTHING_TO_SEARCH = "Please type a question: this one has no words to search for."
NOT_ENGLISH = (
    "The documents are in English: asking in English (names as they are spelled there, such "
    "as Kazakhstan or Samarkand) finds much more."
)


class Answerer:
    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.settings = searcher.settings

    def answer(
        self, asked: Question, request: Request, store: IndexStore, corpus: Corpus
    ) -> Answer:
        answer = self._route(asked, request, store, corpus)
        limit = self.settings.max_question_chars
        notes = [f"Only the first {limit:,} characters of the question were used."]
        notes = notes if asked.truncated else []
        if answer.abstained and answer.passages and asked.non_latin:
            notes.append(NOT_ENGLISH)
        return (
            dataclasses.replace(answer, notes=(*answer.notes, " ".join(notes))) if notes else answer
        )

    def _route(
        self, asked: Question, request: Request, store: IndexStore, corpus: Corpus
    ) -> Answer:
        if asked.empty:
            return abstention(asked.text, NOTHING_TO_SEARCH)
        searcher, k, mode = self.searcher, request.k, request.mode
        periods = self._scopes(asked, store) if request.filters is None else ()
        if asked.overall and request.filters is None:  # "What changed between 2023 and 2025?"
            sides = asked_sides(asked.text, asked.periods, asked.documents, store, corpus)
            result = diff(sides[0], sides[1], store, searcher.encode, self.settings)
            limit, first = self.settings.diff_topics, asked.diff_class
            return compared(result, store, limit, asked.text, first).answer
        if periods and asked.theme:  # "Does the 2025 statement mention climate change?"
            theme = analyze(asked.theme, (), corpus, self.settings.max_question_chars)
            query = searcher.query(theme.asks)
            return compare(asked, theme, (query, query), periods, searcher, store, k, mode)
        if periods:
            within = searcher.query(asked.within, asked.previous)
            whole = searcher.query(asked.asks, asked.previous)
            return compare(asked, asked, (within, whole), periods, searcher, store, k, mode)
        query = searcher.query(asked.asks, asked.previous, asked.topic)
        passages = searcher.passages(store, query, k, request.filters, mode)
        if request.filters is None and (asked.documents or asked.previous):
            return self._scoped(asked, request, query, passages, store, corpus)
        return compose(asked, query.vector, passages, store, self.settings)

    def _scoped(
        self,
        asked: Question,
        request: Request,
        query: Query,
        passages: list[Passage],
        store: IndexStore,
        corpus: Corpus,
    ) -> Answer:
        """A question that names documents searches them first, the rest of the corpus after
        them; a follow-up narrows to the documents of the turn it continues, or to the items
        of the list it answered ("Which of those is about critical minerals?"), unless they
        do not answer it (the conversation moved on)."""
        k, mode, settings = request.k, request.mode, self.settings
        scope = self._scope(asked, store, mode)
        if asked.documents:  # each named document has a passage among the k, ranks kept
            own = self.searcher.passages(store, query, k, Filters(sources=scope), mode)
            shown = {p.source for p in passages}
            best: dict[str, Passage] = {}
            for passage in own:
                best.setdefault(passage.source, passage)
            missing = [p for source, p in best.items() if source not in shown]
            passages = [*passages[: max(k - len(missing), 1)], *missing][:k]
            return compose(asked, query.topic, passages, store, settings, judge=query.vector)
        if asked.among:
            earlier = analyze(asked.previous, (), corpus, settings.max_question_chars)
            listed = self._route(earlier, dataclasses.replace(request, history=()), store, corpus)
            # Among the items the context is given: they are judged by the question alone.
            picked = among_items(asked, query.alone, listed, store, settings)
            if picked is not None:
                return picked
        own = self.searcher.passages(store, query, k, Filters(sources=scope), mode) if scope else []
        if own:
            # Within the documents of the turn it continues, a follow-up's sentences are
            # ranked by the question alone ("Who joined her?" is not "Who led the
            # delegation?"); whether they answer it is judged with the previous question.
            narrowed = dataclasses.replace(asked, documents=scope, narrowed=True)
            answer = compose(narrowed, query.alone, own, store, settings, judge=query.vector)
            if not answer.abstained:
                return answer
        return compose(asked, query.vector, passages, store, settings)

    def _scope(self, asked: Question, store: IndexStore, mode: str | None) -> tuple[str, ...]:
        """The documents searched first: those the question names; for a follow-up that names
        none, those its previous question named, else those that answered it (the sources of
        its passages: "Who proposed it?" after "What is the Critical Minerals Dialogue?" may
        be answered by the readout, not the declaration that answered best). A follow-up
        that names what none of them uses has moved on ("What about Turkmenistan?" after the
        Kazakhstan deals)."""
        if asked.documents or not asked.previous:
            return asked.documents
        scope = asked.earlier
        if not scope:
            before = self.searcher.query(read(asked.previous))
            found = self.searcher.passages(store, before, self.settings.k, None, mode)
            scope = tuple(dict.fromkeys(p.source for p in found))
        words = (
            set().union(*(token_set(store.documents[s].text) for s in scope)) if scope else set()
        )
        return scope if all(uses_name(n, words) for n in asked.asks.names) else ()

    @staticmethod
    def _scopes(asked: Question, store: IndexStore) -> tuple[Period, ...]:
        """Where a question is answered side by side: for "Does X mention THEME?" each
        document X names ("the 2025 fact sheets" are two), else the periods it names. A
        question that names a year none of those documents is dated in sets periods side by
        side ("in the 2015 declaration, or only in 2023 and 2025")."""
        named = [store.documents[s] for s in asked.documents if s in store.documents]
        years = {d.date[:4] for d in named}
        if not (asked.theme and named) or any(p.start[:4] not in years for p in asked.periods):
            return asked.periods
        return tuple(Period(label(d.date, d.title), d.date, d.date, (d.source,)) for d in named)

    def themed(
        self, asked: Question, periods: Sequence[Period], store: IndexStore, k: int
    ) -> Answer:
        """A theme, per period, side by side (``c5qa compare``, the chat's periods box)."""
        if asked.empty:
            return abstention(asked.text, NOTHING_TO_SEARCH)
        query = self.searcher.query(asked.asks)
        return compare(asked, asked, (query, query), periods, self.searcher, store, k, None)
