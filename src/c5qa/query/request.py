"""What a front end may ask for, checked once: the question, the conversation, how many
passages, which documents and dates, which retrieval mode.

Every face (chat, HTTP API, command line) builds its request through ``Request.of``, so a bad
``k`` or filter gets the same one-line refusal everywhere (``BadRequest``, a ``ValueError``:
exit 2 on the command line, one line from the API) and the service never sees one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from c5qa.ingest.documents import Document
from c5qa.query.patterns import PERIOD
from c5qa.settings import Settings

Message = Mapping[str, object]
MODES = ("hybrid", "dense", "bm25")
# Document kinds that comment on others rather than speak for a period.
COMMENTARY = ("analysis",)


class BadRequest(ValueError):
    """A request a face must refuse; the message is one line for the person or program."""


@dataclass(frozen=True)
class Filters:
    """Restrict a search to some documents and/or a date range (inclusive, ISO prefixes:
    "2023" or "2023-09" match every date that starts that way)."""

    sources: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""
    kinds: tuple[str, ...] = ()  # only documents of these kinds ("analysis", …)
    exclude_kinds: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(
            self.sources or self.date_from or self.date_to or self.kinds or self.exclude_kinds
        )

    def admits(self, document: Document) -> bool:
        if self.sources and document.source not in self.sources:
            return False
        if (self.kinds and document.kind not in self.kinds) or document.kind in self.exclude_kinds:
            return False
        date = document.date
        if (self.date_from or self.date_to) and not date:
            return False
        if self.date_from and date[: len(self.date_from)] < self.date_from:
            return False
        return not (self.date_to and date[: len(self.date_to)] > self.date_to)

    @classmethod
    def chosen(
        cls, sources: Sequence[str] | str | None = None, date_from: str = "", date_to: str = ""
    ) -> Filters | None:
        """The filters a person chose (documents, dates), or None when they chose none."""
        picked = [sources] if isinstance(sources, str) else list(sources or [])
        filters = cls(tuple(picked), (date_from or "").strip(), (date_to or "").strip())
        return filters or None

    @classmethod
    def from_json(cls, value: object) -> Filters | None:
        """Filters as the HTTP API takes them: {"sources": [...], "date_from", "date_to"}."""
        if not value:
            return None
        if not isinstance(value, Mapping):
            raise BadRequest("filters must be an object with sources, date_from and date_to")
        sources = value.get("sources")
        named = [sources] if isinstance(sources, str) else sources
        if named is not None and not (
            isinstance(named, (list, tuple)) and all(isinstance(s, str) for s in named)
        ):
            raise BadRequest("filters.sources must be a list of corpus file names")
        dates = [value.get("date_from") or "", value.get("date_to") or ""]
        if not all(isinstance(d, str) for d in dates):
            raise BadRequest("filters.date_from and date_to must be text such as 2023-09")
        return cls.chosen(sources, *dates)


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
    periods = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        match = PERIOD.fullmatch(part)
        if not match:
            raise BadRequest(f"period {part!r} is not DATE or DATE-DATE (DATE: YYYY[-MM[-DD]])")
        start, end = match.group(1), match.group(2) or match.group(1)
        if end[: len(start)] < start[: len(end)]:
            raise BadRequest(f"period {part!r} ends before it starts")
        periods.append(Period(part.replace(" ", ""), start, end))
    return periods


def _whole_number(value: Any) -> int | None:
    """``k`` as people and JSON write it: 5, 5.0, "5"; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value.strip())
    return None


def _history(value: object) -> tuple[Message, ...]:
    if not value:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise BadRequest("history must be a list of {role, content} messages")
    if not all(isinstance(message, Mapping) for message in value):
        raise BadRequest("history must be a list of {role, content} messages")
    return tuple(value)


@dataclass(frozen=True)
class Request:
    """One question as the service answers it; build it with ``Request.of``."""

    question: str
    history: tuple[Message, ...]
    k: int
    filters: Filters | None
    mode: str

    @classmethod
    def of(
        cls,
        settings: Settings,
        question: object,
        history: object = (),
        k: object = None,
        filters: Filters | None = None,
        mode: str | None = None,
    ) -> Request:
        """The request, with the settings' defaults for what was not given; ``BadRequest``
        names the first value that is out of bounds."""
        if question is not None and not isinstance(question, str):
            raise BadRequest("the question must be text")
        count = settings.k if k is None else _whole_number(k)
        if count is None or not 1 <= count <= settings.max_k:
            raise BadRequest(f"k must be a whole number from 1 to {settings.max_k}, not {k!r}")
        chosen = settings.retrieval if mode is None else mode
        if chosen not in MODES:
            raise BadRequest(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        return cls(question or "", _history(history), count, filters, chosen)
